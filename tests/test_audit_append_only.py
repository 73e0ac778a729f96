"""The database itself keeps the audit log append-only, whoever connects and however they write."""

from datetime import datetime

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from queries.schema import audit_log

ENTRY = {"at": datetime(2026, 3, 2, 9), "action": "sign_in", "email": None}
# The first entry of an empty log gets id 1.
FORGED = {**ENTRY, "id": 1, "email": "someone-else@example.org", "action": "page_view"}


def _one_entry(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(audit_log).values(**ENTRY))


def _assert_entry_unchanged(engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.id, audit_log.c.email, audit_log.c.action)).all()
    assert [tuple(row) for row in rows] == [(1, None, "sign_in")]


def _overwrite(dialect: str):
    """The dialect's way to write over a stored id in one INSERT."""
    if dialect == "sqlite":
        return sqlite.insert(audit_log).prefix_with("OR REPLACE").values(**FORGED)
    stmt = postgresql.insert(audit_log).values(**FORGED)
    return stmt.on_conflict_do_update(
        index_elements=["id"], set_={"email": FORGED["email"], "action": FORGED["action"]}
    )


def _wipe(dialect: str):
    """The dialect's way to empty a table at once (SQLite's is a DELETE without WHERE)."""
    return text("TRUNCATE audit_log" if dialect == "postgresql" else "DELETE FROM audit_log")


@pytest.mark.parametrize(
    "change",
    [
        lambda dialect: update(audit_log).values(email="someone-else@example.org"),
        lambda dialect: delete(audit_log).where(audit_log.c.id == 1),
        _overwrite,
        _wipe,
    ],
    ids=["update", "delete", "insert-over-a-stored-id", "truncate"],
)
def test_the_database_refuses_to_change_or_remove_audit_entries(engine, change):
    _one_entry(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(change(engine.dialect.name))
    _assert_entry_unchanged(engine)


def test_new_entries_are_still_appended_after_the_stored_ones(engine):
    _one_entry(engine)
    new = {"at": datetime(2026, 3, 2, 10), "action": "sign_out"}
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # OR REPLACE of a new id is a plain append, and is let through.
            conn.execute(sqlite.insert(audit_log).prefix_with("OR REPLACE").values(**new))
        else:
            conn.execute(insert(audit_log).values(**new))
    with engine.connect() as conn:
        actions = conn.scalars(select(audit_log.c.action).order_by(audit_log.c.id)).all()
    assert actions == ["sign_in", "sign_out"]
