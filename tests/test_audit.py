"""The audit log: events are appended with who, what and when, and admins can filter them."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from queries.audit import DOWNLOAD, PAGE_VIEW, SIGN_IN, read_log, record
from queries.schema import audit_log
from queries.scope import EVERYTHING

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_download_event_keeps_what_which_locations_and_how_many_rows(engine):
    detail = {"file": "weekly.csv", "locations": {"rockville", "arlington"}, "rows": 6}
    record(engine, email="m@clinic.example", action=DOWNLOAD, detail=detail, at=T0)
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING)
    assert log[["email", "action"]].values.tolist() == [["m@clinic.example", DOWNLOAD]]
    assert log["at"].iloc[0] == datetime(2026, 3, 2, 14, 0)
    assert json.loads(log["detail"].iloc[0]) == {
        "file": "weekly.csv",
        "locations": ["arlington", "rockville"],
        "rows": 6,
    }


def test_times_are_stored_in_utc(engine):
    eastern = timezone(timedelta(hours=-5))
    record(
        engine, email="a@x.example", action=SIGN_IN, at=datetime(2026, 3, 2, 9, 0, tzinfo=eastern)
    )
    with engine.connect() as conn:
        assert read_log(conn, scope=EVERYTHING)["at"].iloc[0] == datetime(2026, 3, 2, 14, 0)


def test_unknown_action_is_refused_and_nothing_is_written(engine):
    with pytest.raises(ValueError, match="unknown audit action"):
        record(engine, email="a@x.example", action="delete_everything")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(audit_log)) == 0


def test_read_log_filters_by_email_part_action_and_time_newest_first(engine):
    record(engine, email="anna@clinic.example", action=SIGN_IN, at=T0)
    record(engine, email="anna@clinic.example", action=PAGE_VIEW, at=T0 + timedelta(minutes=1))
    record(engine, email="bob@clinic.example", action=PAGE_VIEW, at=T0 + timedelta(minutes=2))
    record(engine, email="anna@clinic.example", action=DOWNLOAD, at=T0 + timedelta(minutes=3))
    with engine.connect() as conn:
        anna = read_log(conn, scope=EVERYTHING, email="ANNA@")
        views = read_log(conn, scope=EVERYTHING, actions=[PAGE_VIEW])
        window = read_log(
            conn,
            scope=EVERYTHING,
            since=T0 + timedelta(minutes=1),
            until=T0 + timedelta(minutes=2),
        )
        newest = read_log(conn, scope=EVERYTHING, limit=1)
    assert anna["action"].tolist() == [DOWNLOAD, PAGE_VIEW, SIGN_IN]
    assert views["email"].tolist() == ["bob@clinic.example", "anna@clinic.example"]
    assert window["email"].tolist() == ["bob@clinic.example", "anna@clinic.example"]
    assert newest["action"].tolist() == [DOWNLOAD]


def test_email_filter_treats_percent_and_underscore_literally(engine):
    record(engine, email="a_b@x.example", action=SIGN_IN, at=T0)
    record(engine, email="axb@x.example", action=SIGN_IN, at=T0)
    with engine.connect() as conn:
        assert read_log(conn, scope=EVERYTHING, email="a_b")["email"].tolist() == ["a_b@x.example"]
        assert read_log(conn, scope=EVERYTHING, email="%").empty
