"""Database URL, engine and schema upgrade: the one door every command goes through."""

import os
import re
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, column, create_engine, event, select, table
from sqlalchemy.exc import DBAPIError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "clinic.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Where Alembic records the revision a database is at (one row).
ALEMBIC_VERSION = table("alembic_version", column("version_num"))
# A migration file's own id and the id it follows, as every file in migrations/versions states them.
_REVISION = re.compile(r"""^(down_revision|revision)\s*=\s*(?:None|["']([^"']+)["'])""", re.M)


def default_url() -> str:
    """`DATABASE_URL` from the environment, else the embedded SQLite file in `data/`."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str) -> str:
    """Let `postgresql://` and `postgres://` URLs use the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (default: `default_url()`); nothing connects until it is used."""
    url = normalise_url(url or default_url())
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@cache
def head_revision() -> str | None:
    """The newest migration's id, read from the migration files without importing Alembic.

    None unless exactly one revision has no successor (Alembic then decides).
    """
    revisions, followed = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else followed).add(value)
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database records the newest migration: one small read, no Alembic."""
    try:
        with engine.connect() as conn:
            stored = conn.scalars(select(ALEMBIC_VERSION.c.version_num)).all()
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return head_revision() is not None and stored == [head_revision()]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, by default the newest (creates it on an empty database).

    A database already at the newest is left alone without importing Alembic, whose import is a
    noticeable part of every command's start (docs/performance.md).
    """
    if revision == "head" and at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_database(url: str | None = None) -> Engine:
    """Engine for `url` with its schema brought up to date: what every command starts with."""
    engine = make_engine(url)
    upgrade(engine)
    return engine
