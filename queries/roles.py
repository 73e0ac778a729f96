"""PostgreSQL roles: the owner runs the migrations, the app runs as a role that may only read and
append to the audit log. The grants, and the command that migrates and applies them:

    python -m queries.roles --db postgresql://clinic_owner@HOST/clinic --app-role clinic_app

Run it as the owner of the database (docs/access.md, "Database roles").
"""

import argparse
import sys
from collections.abc import Sequence

from psycopg import sql
from sqlalchemy import Engine

from queries.db import default_url, open_database
from queries.schema import audit_log, calendar, metadata

# The app reads and writes the clinic's tables (the Import page replaces rows); the audit log it
# may only read and append to, so not even the app's own credentials can rewrite history.
DATA_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
AUDIT_PRIVILEGES = "SELECT, INSERT"
# The calendar is written by the migrations alone.
READ_ONLY = "SELECT"


def app_grants(app_role: str) -> list[str]:
    """The statements that give `app_role` what the app needs and no more (identifiers quoted)."""
    role = sql.Identifier(app_role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
        # The app brings the schema "up to date" when it opens the database: a read at head.
        sql.SQL("GRANT SELECT ON alembic_version TO {}").format(role),
        # Ids of the audit log and the import log come from sequences.
        sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
    ]
    for table in metadata.sorted_tables:
        privileges = {audit_log.name: AUDIT_PRIVILEGES, calendar.name: READ_ONLY}.get(
            table.name, DATA_PRIVILEGES
        )
        statements.append(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(privileges), sql.Identifier(table.name), role
            )
        )
    return [statement.as_string(None) for statement in statements]


def grant_app_role(engine: Engine, app_role: str) -> None:
    """Apply `app_grants` on a PostgreSQL database whose tables the engine's user owns."""
    if engine.dialect.name != "postgresql":
        raise ValueError("database roles apply to PostgreSQL only; SQLite has no roles")
    with engine.begin() as conn:
        for statement in app_grants(app_role):
            conn.exec_driver_sql(statement)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: migrate the database as its owner, then grant the app role its rights."""
    parser = argparse.ArgumentParser(
        prog="python -m queries.roles",
        description="Migrate as the owner and grant the app's role what it needs (PostgreSQL).",
    )
    parser.add_argument("--db", default=None, help="the owner's database URL")
    parser.add_argument("--app-role", required=True, help="the role the app connects as")
    args = parser.parse_args(argv)
    engine = open_database(args.db or default_url())
    try:
        grant_app_role(engine, args.app_role)
    except ValueError as problem:
        sys.stderr.write(f"error: {problem}\n")
        return 2
    finally:
        engine.dispose()
    print(f"migrated; {args.app_role} may read and write the data and only append to audit_log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
