"""A download is logged where its file is built, when the browser asks for it, not on the click."""

import json

import pytest
from sqlalchemy import func, select

from dashboard.auth import audited_download
from queries import audit
from queries.access import ADMIN, Viewer
from queries.schema import audit_log
from queries.scope import EVERYTHING

VIEWER = Viewer(email="director@clinic.example", role=ADMIN, scope=EVERYTHING)
DETAIL = {"file": "weekly-metrics.csv", "locations": ["arlington"], "rows": 4}


def _entries(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (email, action, json.loads(detail))
            for email, action, detail in conn.execute(
                select(audit_log.c.email, audit_log.c.action, audit_log.c.detail)
            )
        ]


def test_drawing_the_button_logs_nothing_and_each_file_built_is_logged(engine):
    data = audited_download(engine, VIEWER, DETAIL, lambda: b"week_start,location_id\n")
    assert _entries(engine) == []
    assert data() == b"week_start,location_id\n"
    assert data() == b"week_start,location_id\n"
    entry = ("director@clinic.example", "download", DETAIL)
    assert _entries(engine) == [entry, entry]


def test_no_file_is_handed_over_when_its_entry_cannot_be_written(engine, monkeypatch):
    def broken(engine, **entry):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    data = audited_download(engine, VIEWER, DETAIL, lambda: b"secret figures")
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        data()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(audit_log)) == 0
