"""The Import page (AppTest, a signed-in admin): every file of an upload is audited, and a file
that crashes leaves the files committed before it audited, an entry for the failure, and a plain
message instead of a traceback."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from streamlit.testing.v1 import AppTest

import data.load
from queries.audit import read_log
from queries.db import open_database
from queries.schema import bookings, user_locations, users
from queries.scope import EVERYTHING
from tests.conftest import TWO_WEEKS

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")
ADMIN = "director@clinic.example"
NEW_USERS = (
    b"email,role,locations\ndirector@clinic.example,admin,\nm@clinic.example,manager,arlington\n"
)
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "Zq4-test-secret-that-is-long-enough-0123456789",
    "client_id": "dashboard",
    "client_secret": "test-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """An empty clinic database with one admin; the app signed in as that admin."""
    url = f"sqlite:///{tmp_path / 'clinic.sqlite'}"
    engine = open_database(url)
    with engine.begin() as conn:
        conn.execute(insert(users), [{"email": ADMIN, "role": "admin"}])
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    yield engine
    engine.dispose()


def _admin_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": ADMIN, "email_verified": True}
    return at


def _upload(at: AppTest, files: dict[str, bytes]) -> AppTest:
    at.run()
    assert [title.value for title in at.title] == ["Import"]  # no data yet: the admin pages
    at.file_uploader(key="import_uploads").set_value(
        [(name, content, "text/csv") for name, content in files.items()]
    )
    at.run()
    return at.button(key="import_run").click().run()


def _log(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING)
    return [
        (row.email, row.action, json.loads(row.detail).get("file"))
        for row in log.iloc[::-1].itertuples()
        if row.action.startswith("import")
    ]


def test_each_uploaded_file_is_audited_as_the_signed_in_admin(clinic):
    at = _upload(
        _admin_app(),
        {"users.csv": NEW_USERS, "locations.csv": (TWO_WEEKS / "locations.csv").read_bytes()},
    )
    assert not at.exception
    assert "Applied: locations.csv (2 rows), users.csv (2 rows)" in at.success[0].value
    assert _log(clinic) == [
        (ADMIN, "import", "locations.csv"),
        (ADMIN, "import", "users.csv"),
    ]


def test_a_file_that_crashes_leaves_the_earlier_files_audited_and_says_so_plainly(
    clinic, monkeypatch
):
    class CrashingWriter(data.load.ChunkWriter):
        def write(self, rows):
            raise RuntimeError("connection reset by peer at db.internal:5432")

    monkeypatch.setattr(data.load, "ChunkWriter", CrashingWriter)
    at = _upload(
        _admin_app(),
        {
            "users.csv": NEW_USERS,
            "locations.csv": (TWO_WEEKS / "locations.csv").read_bytes(),
            "bookings.csv": (TWO_WEEKS / "bookings.csv").read_bytes(),
        },
    )
    assert not at.exception
    message = at.error[0].value
    assert "stopped on an unexpected error" in message
    assert "db.internal" not in message
    assert _log(clinic) == [
        (ADMIN, "import", "locations.csv"),
        (ADMIN, "import", "users.csv"),
        (ADMIN, "import_failed", "bookings.csv"),
    ]
    with clinic.connect() as conn:
        # The users file before the crash is stored (it changes who sees what), with its entry.
        assert conn.scalar(select(func.count()).select_from(user_locations)) == 1
        assert conn.scalar(select(func.count()).select_from(bookings)) == 0
