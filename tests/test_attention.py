"""Targets and what needs attention, on hand-worked weeks (SQLite and PostgreSQL).

Weeks (Monday starts): W1 2026-04-06, W2 04-13, W3 04-20, W4 04-27, W5 05-04. Each location is
open Monday to Friday 09:00-17:00 with one room: 40 room-hours a week. Every booking lasts an
hour, so a week of 20 held bookings is 20 room-hours, 50.0 % utilization (outside the default
70-90 %, which is why the no-show tests read the no-show rows only).
"""

import subprocess
import sys
from datetime import date, timedelta

import pandas as pd
import pytest

from queries.attention import attention_status, main, needs_attention
from queries.report import report_counts
from queries.scope import EVERYTHING, Scope
from queries.targets import TARGET_COLUMNS, effective_targets, replace_targets
from tests.builders import add_capacity, add_location, add_week_of_bookings, refresh_all

W1, W2, W3, W4, W5 = (date(2026, 4, 6) + timedelta(days=7 * n) for n in range(5))


def open_location(conn, location_id: str, opened_on: date | None = None) -> None:
    add_location(conn, location_id, opened_on=opened_on)
    for weekday in ("mon", "tue", "wed", "thu", "fri"):
        add_capacity(conn, location_id, weekday, "09:00", "17:00", 1)


def no_show(conn, week: date, locations=None, scope=EVERYTHING) -> dict:
    status = attention_status(conn, scope=scope, locations=locations, week=week)
    # The dashboard hands it the counts of more weeks, read once with the cards': the same list.
    counts = report_counts(
        conn, scope=scope, locations=locations, start=week - timedelta(weeks=30), end=week
    )
    shared = attention_status(conn, scope=scope, locations=locations, week=week, counts=counts)
    pd.testing.assert_frame_equal(shared, status)
    rows = status[status["metric"] == "no_show_rate_pct"]
    return {row["location_id"]: row for row in rows.to_dict("records")}


def attention_rows(conn, week: date, metric: str, locations=None) -> list[dict]:
    found = needs_attention(conn, scope=EVERYTHING, week=week, locations=locations)
    return found[found["metric"] == metric].to_dict("records")


def set_targets(conn, rows: list[list]) -> None:
    replace_targets(
        conn, pd.DataFrame(rows, columns=TARGET_COLUMNS), email="admin@example.org", source="test"
    )


def test_attention_starts_after_weeks_outside_and_stays_while_outside(engine):
    # No-show rate, default target at most 8 %, two weeks: W1 1/20 = 5 % inside, W2 2/20 = 10 %
    # outside (one week), W3 3/20 = 15 % outside (two: attention, since W2), W4 2/20 = 10 %.
    with engine.begin() as conn:
        open_location(conn, "rock")
        for week, missed in ((W1, 1), (W2, 2), (W3, 3), (W4, 2)):
            add_week_of_bookings(conn, "rock", week, 20, missed)
        refresh_all(conn)
        at_w2 = no_show(conn, W2)["rock"]
        at_w3 = attention_rows(conn, W3, "no_show_rate_pct")
        at_w4 = attention_rows(conn, W4 + timedelta(days=3), "no_show_rate_pct")  # a Thursday
    assert (at_w2["value"], at_w2["attention"], at_w2["weeks_outside"]) == (10.0, False, 1)
    assert [(r["location_id"], r["value"], r["since"]) for r in at_w3] == [("rock", 15.0, W2)]
    assert at_w3[0]["target"] == "at most 8%"
    assert at_w3[0]["label"] == "No-show rate"
    assert [(r["value"], r["since"], r["weeks_outside"]) for r in at_w4] == [(10.0, W2, 3)]


def test_attention_stops_after_a_whole_week_back_inside(engine):
    # W1 10 %, W2 15 %: attention from W2. W3 1/20 = 5 % is inside: no attention at W3.
    # W4 10 % is one week outside again: still none (two are needed).
    with engine.begin() as conn:
        open_location(conn, "rock")
        for week, missed in ((W1, 2), (W2, 3), (W3, 1), (W4, 2)):
            add_week_of_bookings(conn, "rock", week, 20, missed)
        refresh_all(conn)
        assert attention_rows(conn, W2, "no_show_rate_pct")[0]["since"] == W1
        assert attention_rows(conn, W3, "no_show_rate_pct") == []
        at_w4 = no_show(conn, W4)["rock"]
    assert (at_w4["attention"], at_w4["weeks_outside"], at_w4["since"]) == (False, 1, None)


def test_a_week_with_too_few_bookings_counts_neither_way(engine):
    # W1 2/20 = 10 % outside. W2: 19 held, 5 missed (26.3 %), not judged. W3 2/20 = 10 %: the
    # second judged week outside, so attention since W1. W4: 19 held, none missed (0 %), not
    # judged: attention stays. W5 0/20 = 0 %: it stops.
    with engine.begin() as conn:
        open_location(conn, "rock")
        for week, held, missed in ((W1, 20, 2), (W2, 19, 5), (W3, 20, 2), (W4, 19, 0), (W5, 20, 0)):
            add_week_of_bookings(conn, "rock", week, held, missed)
        refresh_all(conn)
        at_w2 = no_show(conn, W2)["rock"]
        at_w3 = attention_rows(conn, W3, "no_show_rate_pct")
        at_w4 = attention_rows(conn, W4, "no_show_rate_pct")
        at_w4_status = no_show(conn, W4)["rock"]
        at_w5 = attention_rows(conn, W5, "no_show_rate_pct")
    assert (at_w2["judged"], at_w2["attention"], at_w2["value"]) == (False, False, 26.3)
    assert at_w2["reason"] == "19 bookings held, fewer than 20"
    assert [(r["value"], r["since"]) for r in at_w3] == [(10.0, W1)]
    assert [(r["value"], r["since"]) for r in at_w4] == [(0.0, W1)]
    assert not at_w4_status["judged"]
    assert at_w5 == []


def test_too_few_requests_leave_the_request_rates_unjudged(engine):
    from tests.builders import add_consultation

    # 9 requests in W1, none contacted within the hour (0 %, far under 80 %): not judged.
    with engine.begin() as conn:
        open_location(conn, "rock")
        for n in range(9):
            add_consultation(conn, f"c{n}", "rock", f"{W1 + timedelta(days=n % 5)} 09:0{n}")
        refresh_all(conn)
        status = attention_status(conn, scope=EVERYTHING, locations=None, week=W1)
    row = status[status["metric"] == "contacted_within_1h_pct"].iloc[0]
    assert (row["value"], bool(row["judged"]), row["reason"]) == (
        0.0,
        False,
        "9 requests, fewer than 10",
    )


def test_a_location_that_opened_mid_period_is_judged_from_its_first_open_week(engine):
    # Opened Wednesday of W3: W1 and W2 have no rooms open (not judged). W3: 12 bookings in
    # Wednesday-Friday's 24 room-hours = 50 % (outside 70-90), W4 20 of 40 = 50 %: attention at
    # W4, since W3.
    with engine.begin() as conn:
        open_location(conn, "rock", opened_on=W3 + timedelta(days=2))
        add_week_of_bookings(conn, "rock", W3, 12, 0, first_day=2)
        add_week_of_bookings(conn, "rock", W4, 20, 0)
        refresh_all(conn)
        before = attention_status(conn, scope=EVERYTHING, locations=None, week=W2)
        at_w3 = attention_status(conn, scope=EVERYTHING, locations=None, week=W3)
        at_w4 = attention_rows(conn, W4, "utilization_pct")
    utilization = before[before["metric"] == "utilization_pct"].iloc[0]
    assert (bool(utilization["judged"]), utilization["reason"]) == (False, "no rooms open")
    first = at_w3[at_w3["metric"] == "utilization_pct"].iloc[0]
    assert (first["value"], bool(first["attention"]), first["weeks_outside"]) == (50.0, False, 1)
    assert [(r["value"], r["since"], r["target"]) for r in at_w4] == [(50.0, W3, "70-90%")]


def test_a_location_row_wins_over_the_every_location_row(engine):
    # `*`: at most 8 %, two weeks. rock's own row: at most 12 %, one week.
    # W1: both 2/20 = 10 %; W2: both 3/20 = 15 %.
    with engine.begin() as conn:
        open_location(conn, "rock")
        open_location(conn, "pike")
        for location_id in ("rock", "pike"):
            add_week_of_bookings(conn, location_id, W1, 20, 2)
            add_week_of_bookings(conn, location_id, W2, 20, 3)
        refresh_all(conn)
        set_targets(
            conn, [["*", "no_show_rate_pct", None, 8, 2], ["rock", "no_show_rate_pct", None, 12, 1]]
        )
        at_w1 = no_show(conn, W1)
        at_w2 = attention_rows(conn, W2, "no_show_rate_pct")
        effective = effective_targets(conn, scope=EVERYTHING, locations=None)
    # W1: rock 10 % is inside its own 12 %; pike 10 % is one week over 8 %.
    assert (bool(at_w1["rock"]["attention"]), at_w1["rock"]["weeks_outside"]) == (False, 0)
    assert (bool(at_w1["pike"]["attention"]), at_w1["pike"]["weeks_outside"]) == (False, 1)
    # W2: rock 15 % over 12 % for its one week; pike over 8 % for two weeks, since W1.
    assert [(r["location_id"], r["since"], r["target"]) for r in at_w2] == [
        ("pike", W1, "at most 8%"),
        ("rock", W2, "at most 12%"),
    ]
    sources = effective[effective["metric"] == "no_show_rate_pct"].set_index("location_id")
    assert sources["source"].to_dict() == {"pike": "*", "rock": "location"}
    # Metrics without a stored row keep their defaults.
    utilization = effective[effective["metric"] == "utilization_pct"]
    assert set(utilization["source"]) == {"default"}


def test_a_manager_sees_only_their_locations_attention(engine):
    with engine.begin() as conn:
        open_location(conn, "rock")
        open_location(conn, "pike")
        for location_id in ("rock", "pike"):
            add_week_of_bookings(conn, location_id, W1, 20, 3)
            add_week_of_bookings(conn, location_id, W2, 20, 3)
        refresh_all(conn)
        manager = Scope(allowed=frozenset({"pike"}))
        asked_all = needs_attention(conn, scope=manager, week=W2, locations=None)
        asked_rock = needs_attention(conn, scope=manager, week=W2, locations=["rock", "pike"])
        everyone = needs_attention(conn, scope=EVERYTHING, week=W2, locations=None)
        nobody = needs_attention(conn, scope=Scope(allowed=frozenset()), week=W2, locations=None)
    assert set(everyone["location_id"]) == {"pike", "rock"}
    assert set(asked_all["location_id"]) == {"pike"}
    assert asked_all.equals(asked_rock)
    assert nobody.empty


def test_replacing_targets_is_audited_with_before_and_after(engine):
    from queries.audit import read_log

    with engine.begin() as conn:
        add_location(conn, "rock")
        set_targets(conn, [["*", "no_show_rate_pct", None, 8, 2]])
        set_targets(conn, [["rock", "utilization_pct", 60, 85, 3]])
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING, actions=["targets"])
    assert list(log["email"]) == ["admin@example.org", "admin@example.org"]
    newest = pd.read_json(pd.io.common.StringIO(log["detail"].iloc[0]), typ="series")
    assert newest["before"] == [["*", "no_show_rate_pct", None, 8.0, 2]]
    assert newest["after"] == [["rock", "utilization_pct", 60.0, 85.0, 3]]


def test_the_command_prints_the_list_and_exits_zero_either_way(db_url, engine, capsys):
    # Opened on W1, 50 % utilization in W1 and W2, no no-shows, no requests.
    with engine.begin() as conn:
        open_location(conn, "rock", opened_on=W1)
        add_week_of_bookings(conn, "rock", W1, 20, 0)
        add_week_of_bookings(conn, "rock", W2, 20, 0)
        refresh_all(conn)
        # Utilization 0-100 %: everything is inside its target.
        set_targets(conn, [["*", "utilization_pct", 0, 100, 2]])
    assert main(["--db", db_url, "--week", "2026-04-15"]) == 0
    assert capsys.readouterr().out == "Nothing needs attention in the week of 2026-04-13.\n"
    with engine.begin() as conn:
        set_targets(conn, [["*", "utilization_pct", 70, 90, 2]])
    assert main(["--db", db_url, "--week", "2026-04-13", "--format", "csv"]) == 0
    assert capsys.readouterr().out == (
        "week_start,location_id,metric,value,min,max,weeks,since\n"
        "2026-04-13,rock,utilization_pct,50,70,90,2,2026-04-06\n"
    )
    assert main(["--db", db_url, "--week", "2026-04-13", "--location", "rock"]) == 0
    assert capsys.readouterr().out == (
        "Needs attention in the week of 2026-04-13:\n"
        "Rock: Utilization 50%, target 70-90%, outside since 2026-04-06\n"
    )


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_the_command_runs_as_a_module(tmp_path, fmt):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-m", "queries.attention", "--db", url, "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("week_start," if fmt == "csv" else "Nothing needs attention")


def test_only_an_admin_reads_every_stored_target(engine):
    from queries.targets import stored_targets

    with engine.begin() as conn:
        add_location(conn, "rock")
        set_targets(conn, [["rock", "no_show_rate_pct", None, 10, 2]])
        stored = stored_targets(conn, scope=EVERYTHING).to_dict("records")
        assert len(stored) == 1 and pd.isna(stored[0].pop("min"))
        assert stored == [
            {"location_id": "rock", "metric": "no_show_rate_pct", "max": 10.0, "weeks": 2}
        ]
        with pytest.raises(PermissionError):
            stored_targets(conn, scope=Scope(allowed=frozenset({"rock"})))
