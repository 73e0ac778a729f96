"""Database fixtures: every query test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at `TEST_POSTGRES_URL` (default: user postgres on 127.0.0.1:5432). It is a
required dependency of the test suite: if it cannot be reached the PostgreSQL tests fail, they do
not skip.
"""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from queries.db import make_engine, upgrade
from queries.schema import calendar, metadata

# The hand-checked fixture lives in the repository: a clone has nothing beside it.
TWO_WEEKS = Path(__file__).resolve().parent / "fixtures" / "two-weeks"
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_database():
    name = f"dash_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name != calendar.name)
    engine = make_engine(url)
    with engine.begin() as conn:
        # The audit log refuses TRUNCATE (a trigger); the test superuser empties it with
        # triggers off for this transaction only.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """URL of an empty, migrated database: a fresh SQLite file, or a truncated PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("_postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def engine(db_url):
    """Engine on an empty, migrated database (both dialects)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
