"""A table's primary and foreign keys, dropped for a bulk write and added back after it."""

from psycopg import sql as psql
from sqlalchemy import Connection, text


def drop_keys(conn: Connection, table_name: str) -> list[tuple[str, str]]:
    """PostgreSQL: drop the table's primary and foreign keys; their names and definitions.

    A foreign key is checked by a trigger per inserted row and a primary key grows its B-tree
    row by row; added back after the load, each is built or checked in one set-based pass (and
    the load stays one transaction, so a failure leaves them as they were). SQLite cannot drop
    constraints; its checks are cheap in-process lookups.
    """
    if conn.dialect.name != "postgresql":
        return []
    found = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'f') "
            "ORDER BY contype DESC, conname"
        ),
        {"table": table_name},
    ).all()
    for name, _definition in found:
        conn.exec_driver_sql(_ddl("ALTER TABLE {} DROP CONSTRAINT {}", table_name, name))
    return [(name, definition) for name, definition in found]


def add_keys(conn: Connection, table_name: str, found: list[tuple[str, str]]) -> None:
    for name, definition in found:
        # The definition is PostgreSQL's own text for a constraint it held a moment ago.
        statement = _ddl("ALTER TABLE {} ADD CONSTRAINT {} ", table_name, name) + definition
        conn.exec_driver_sql(statement)


def _ddl(template: str, *identifiers: str) -> str:
    """DDL text with quoted identifiers (names from our schema or the catalog, never input)."""
    return psql.SQL(template).format(*map(psql.Identifier, identifiers)).as_string(None)
