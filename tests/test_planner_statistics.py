"""PostgreSQL's planner knows the size of every table a migration or an import wrote.

Without statistics it takes a table for an empty one and joins it row by row. Autovacuum would
gather them in time, but it may be off (as on the CI machine's server) or not have run yet, and
the first report after an import is the one a manager waits for.
"""

import pytest
from sqlalchemy import func, select, text

from data.load import import_files
from queries.db import make_engine
from queries.schema import metadata
from tests.conftest import TWO_WEEKS, _truncate_postgres

pytestmark = pytest.mark.postgres

SMALL_FILES = ("locations", "capacity", "closures")


def _planner_rows(conn, table: str) -> float:
    """What the planner believes the table holds: -1 while it was never analyzed."""
    query = text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)")
    return conn.execute(query, {"t": table}).scalar_one()


def _rows(conn, table: str) -> int:
    return conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()


def test_the_calendar_has_statistics_after_the_migrations(_postgres_database):
    engine = make_engine(_postgres_database)
    with engine.connect() as conn:
        assert _rows(conn, "calendar") > 36_000
        assert _planner_rows(conn, "calendar") == _rows(conn, "calendar")
    engine.dispose()


def test_an_import_leaves_statistics_for_the_small_tables_it_wrote(_postgres_database):
    _truncate_postgres(_postgres_database)
    engine = make_engine(_postgres_database)
    with engine.connect() as conn:
        # TRUNCATE forgets their statistics.
        assert all(_planner_rows(conn, t) <= 0 for t in SMALL_FILES)
    import_files(engine, [TWO_WEEKS / f"{kind}.csv" for kind in SMALL_FILES])
    with engine.connect() as conn:
        for table in SMALL_FILES:
            assert _rows(conn, table) > 0
            assert _planner_rows(conn, table) == _rows(conn, table), table
    engine.dispose()


def test_a_bulk_import_leaves_statistics_for_every_big_table_it_wrote(_postgres_database):
    _truncate_postgres(_postgres_database)
    engine = make_engine(_postgres_database)
    import_files(
        engine, [p for p in TWO_WEEKS.glob("*.csv") if p.stem != "expected-weekly-metrics"]
    )
    with engine.connect() as conn:
        for table in ("bookings", "consultations", "daily_location_stats"):
            assert _rows(conn, table) > 0
            assert _planner_rows(conn, table) == _rows(conn, table), table
    engine.dispose()
