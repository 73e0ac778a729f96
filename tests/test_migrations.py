from datetime import date

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from queries.db import MIGRATIONS, head_revision, upgrade
from queries.new_migration import next_revision
from queries.schema import metadata
from tests.builders import add_consultation, add_location


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_migrations_build_exactly_the_schema_the_code_declares(engine):
    """A column or index added to queries/schema.py without a migration fails here."""
    assert _differences(engine) == []


def test_the_newest_migration_undoes_and_applies_again(engine):
    """The newest migration's `downgrade` undoes its `upgrade`: one step down, then up again,
    leaves the declared schema, on both databases."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() != head_revision()
    upgrade(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    assert _differences(engine) == []


def test_a_new_migration_is_numbered_after_the_newest():
    assert next_revision("0005") == "0006"
    assert next_revision("0099") == "0100"
    with pytest.raises(ValueError, match="not a number"):
        next_revision(None)


def test_0007_fills_the_response_times_of_the_days_stored_before_it(engine):
    """Days counted before 0007 get their contacted requests' whole seconds, NULL if none."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    with engine.begin() as conn:
        add_location(conn, "arlington")
        # 32 min 55 s, 34 min 23 s and one not contacted on one day; one not contacted on another.
        for request, received, contact in (
            ("r1", "2026-03-03 09:00:00", "2026-03-03 09:32:55"),
            ("r2", "2026-03-03 10:00:00", "2026-03-03 10:34:23"),
            ("r3", "2026-03-03 11:00:00", None),
            ("r4", "2026-03-04 11:00:00", None),
        ):
            add_consultation(conn, request, "arlington", received, first_contact=contact)
        for day, requests in (("2026-03-03", 3), ("2026-03-04", 1)):
            # The table as 0006 left it: counts only (`booked_minutes` the last count).
            conn.execute(
                text(
                    "INSERT INTO daily_location_stats VALUES "
                    "('arlington', :day, :requests, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"
                ),
                {"day": date.fromisoformat(day), "requests": requests},
            )
    upgrade(engine)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT day, response_seconds FROM daily_location_stats")).all()
    filled = {str(day): value for day, value in stored}
    assert sorted(filled["2026-03-03"].split(",")) == ["1975", "2063"]
    assert filled["2026-03-04"] is None


def _declared_collations(dialect) -> dict[tuple[str, str], str | None]:
    return {
        (table.name, column.name): getattr(column.type.dialect_impl(dialect), "collation", None)
        for table in metadata.sorted_tables
        for column in table.columns
        if getattr(column.type.dialect_impl(dialect), "collation", None)
    }


def test_migrations_give_the_columns_the_collations_the_code_declares(engine):
    """Alembic's comparison does not see collations: a declared one without its migration
    fails here."""
    declared = _declared_collations(engine.dialect)
    if engine.dialect.name == "sqlite":
        assert declared == {}  # SQLite compares text byte by byte, as "C" does
        return
    assert declared[("bookings", "patient_ref")] == "C"
    with engine.connect() as conn:
        found = {
            (row.table_name, row.column_name): row.collation_name
            for row in conn.execute(
                text(
                    "SELECT table_name, column_name, collation_name "
                    "FROM information_schema.columns WHERE table_schema = current_schema()"
                )
            )
        }
    assert {key: found[key] for key in declared} == declared
