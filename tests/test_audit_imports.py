"""Every imported file leaves an audit entry: applied (with its rows, in the same transaction),
refused, or the one an error stopped the import on; the command line audits as the OS user."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.load import ImportRefused, import_files
from queries import audit, schema
from queries.audit import read_log
from queries.db import make_engine
from queries.scope import EVERYTHING
from tests.conftest import TWO_WEEKS

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "director@clinic.example"
USERS = "email,role,locations\ndirector@clinic.example,admin,\nm@clinic.example,manager,arlington\n"


class Rerun(BaseException):
    """Like Streamlit's rerun: raised into a running import from its progress callback."""


def _entries(engine) -> list[tuple[str | None, str, dict]]:
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING)
    return [
        (row.email, row.action, json.loads(row.detail))
        for row in log.iloc[::-1].itertuples()  # oldest first
    ]


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def _users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(USERS)
    return path


def test_each_applied_file_gets_its_own_entry_with_its_counts(engine, tmp_path):
    import_files(engine, [_users_file(tmp_path), TWO_WEEKS / "locations.csv"], actor=ADMIN)
    assert _entries(engine) == [
        (ADMIN, "import", {"file": "locations.csv", "kind": "locations", "rows": 2,
                           "inserted": 2, "updated": 0, "removed": 0}),
        (ADMIN, "import", {"file": "users.csv", "kind": "users", "rows": 2,
                           "inserted": 2, "updated": 0, "removed": 0}),
    ]  # fmt: skip


@pytest.mark.parametrize("error", [RuntimeError("disk full"), Rerun()], ids=["error", "rerun"])
def test_a_crash_after_the_users_file_keeps_its_entry_and_records_the_failure(
    engine, tmp_path, error
):
    def progress(fraction: float, text: str) -> None:
        if "bookings.csv" in text:
            raise error

    paths = [_users_file(tmp_path), TWO_WEEKS / "locations.csv", TWO_WEEKS / "bookings.csv"]
    with pytest.raises(type(error)):
        import_files(engine, paths, progress=progress, actor=ADMIN)
    entries = _entries(engine)
    assert [(action, detail["file"]) for _, action, detail in entries] == [
        ("import", "locations.csv"),
        ("import", "users.csv"),
        ("import_failed", "bookings.csv"),
    ]
    assert entries[-1] == (
        ADMIN,
        "import_failed",
        {"file": "bookings.csv", "kind": "bookings", "error": type(error).__name__},
    )
    # The users file that changed who sees what is stored, and its entry with it.
    assert _count(engine, schema.users) == 2
    assert _count(engine, schema.bookings) == 0


def test_a_refused_file_is_audited_with_its_error_count(engine, tmp_path):
    bad = tmp_path / "capacity.csv"
    bad.write_text(
        "location_id,weekday,open_time,close_time,rooms,effective_from,effective_to\n"
        "atlantis,mon,09:00,17:00,2,2026-01-01,\n"
        "rockville,funday,09:00,17:00,2,2026-01-01,\n"
    )
    with pytest.raises(ImportRefused) as refusal:
        import_files(engine, [TWO_WEEKS / "locations.csv", bad], actor=ADMIN)
    assert len(refusal.value.errors) == 2
    assert _entries(engine)[1] == (
        ADMIN,
        "import_refused",
        {"file": "capacity.csv", "kind": "capacity", "errors": 2},
    )


def test_a_file_whose_entry_cannot_be_written_is_not_stored(engine, tmp_path, monkeypatch):
    def broken(conn, **entry):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "append", broken)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        import_files(engine, [TWO_WEEKS / "locations.csv"], actor=ADMIN)
    assert _count(engine, schema.locations) == 0


def test_an_import_without_an_actor_writes_no_entry(engine):
    import_files(engine, [TWO_WEEKS / "locations.csv"])
    assert _entries(engine) == []


def test_the_command_line_audits_as_the_operating_system_user(db_url):
    env = {**os.environ, "LOGNAME": "clinic-operator", "USER": "clinic-operator"}
    done = subprocess.run(
        [sys.executable, "-m", "data.load", "--db", db_url, str(TWO_WEEKS / "locations.csv")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    engine = make_engine(db_url)
    try:
        assert _entries(engine) == [
            ("os:clinic-operator", "import", {"file": "locations.csv", "kind": "locations",
             "rows": 2, "inserted": 2, "updated": 0, "removed": 0}),
        ]  # fmt: skip
    finally:
        engine.dispose()
