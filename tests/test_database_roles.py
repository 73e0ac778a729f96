"""PostgreSQL with two roles, as docs/access.md sets it up: the owner migrates (and loads the first
big files), the app connects as a role that may only read and append to the audit log."""

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from data.load import import_files
from queries import audit
from queries.audit import read_log
from queries.db import make_engine, open_database
from queries.roles import main as roles_main
from queries.schema import audit_log, user_locations
from queries.scope import EVERYTHING
from tests.conftest import PG_ADMIN_URL, TWO_WEEKS

pytestmark = pytest.mark.postgres
USERS = "email,role,locations\ndirector@clinic.example,admin,\nm@clinic.example,manager,arlington\n"


@pytest.fixture(scope="module")
def roles():
    """A database owned by a fresh owner role, migrated by it with `python -m queries.roles`,
    and a fresh app role; yields (owner URL, app URL). Roles and database are dropped after."""
    tag = uuid.uuid4().hex[:10]
    owner, app, name = f"clinic_owner_{tag}", f"clinic_app_{tag}", f"dash_roles_{tag}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        conn.execute(text(f'CREATE ROLE "{app}" LOGIN'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner}"'))
    server = PG_ADMIN_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    owner_url = f"postgresql+psycopg://{owner}@{server}/{name}"
    app_url = f"postgresql+psycopg://{app}@{server}/{name}"
    try:
        assert roles_main(["--db", owner_url, "--app-role", app]) == 0
        engine = make_engine(owner_url)
        import_files(engine, sorted(TWO_WEEKS.glob("[!e]*.csv")))  # all but the expected report
        engine.dispose()
        yield owner_url, app_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{app}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


@pytest.fixture
def app_engine(roles):
    # What the app does first: open the database, which brings the schema "up to date".
    engine = open_database(roles[1])
    yield engine
    engine.dispose()


def test_the_app_role_appends_to_the_audit_log_and_reads_it(app_engine):
    audit.record(app_engine, email="director@clinic.example", action=audit.SIGN_IN)
    with app_engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING, email="director@")
    assert log["action"].tolist()[:1] == ["sign_in"]


def test_the_app_role_imports_a_users_file_and_audits_it(app_engine, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(USERS)
    import_files(app_engine, [path], actor="director@clinic.example")
    with app_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(user_locations)) == 1
        entries = read_log(conn, scope=EVERYTHING, actions=[audit.IMPORT])
    assert entries["email"].tolist()[:1] == ["director@clinic.example"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET email = 'someone-else@example.org'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DROP TABLE audit_log",
    ],
)
def test_the_app_role_may_not_change_or_remove_the_audit_log(app_engine, statement):
    audit.record(app_engine, email="director@clinic.example", action=audit.SIGN_OUT)
    with app_engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(audit_log))
    with (
        pytest.raises(DBAPIError, match=r"permission denied|must be owner"),
        app_engine.begin() as conn,
    ):
        conn.exec_driver_sql(statement)
    with app_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(audit_log)) == before


def test_the_owner_is_refused_by_the_triggers_too(roles):
    engine = make_engine(roles[0])
    try:
        audit.record(engine, email=None, action=audit.SIGN_IN)
        for statement in ("UPDATE audit_log SET email = 'x'", "TRUNCATE audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
