"""Temporary tables: a connection's own work tables, gone when it closes."""

from sqlalchemy import Column, Connection, MetaData, Table


def temporary_table(
    name: str, *columns: Column, metadata: MetaData | None = None, **options
) -> Table:
    """A temporary table's definition, in `metadata` (a throwaway one when None)."""
    return Table(name, metadata or MetaData(), *columns, prefixes=["TEMPORARY"], **options)


def create_empty(conn: Connection, *tables: Table) -> None:
    """Create these temporary tables empty; one an earlier, failed run on this connection left
    behind is dropped first."""
    for table in tables:
        table.drop(conn, checkfirst=True)
        table.create(conn)
