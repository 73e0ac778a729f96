import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from queries.db import MIGRATIONS, head_revision, upgrade
from queries.new_migration import next_revision
from queries.schema import metadata


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
