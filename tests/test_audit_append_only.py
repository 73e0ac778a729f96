from datetime import datetime

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from queries.schema import audit_log


def _one_entry(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(audit_log).values(at=datetime(2026, 3, 2, 9), action="sign_in"))


@pytest.mark.parametrize(
    "change",
    [
        update(audit_log).values(email="someone-else@example.org"),
        delete(audit_log),
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_or_remove_audit_entries(engine, change):
    _one_entry(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(change)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(audit_log)) == 1
        assert conn.scalar(select(audit_log.c.email)) is None
