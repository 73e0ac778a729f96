from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from queries.schema import metadata


def test_migrations_build_exactly_the_schema_the_code_declares(engine):
    """A column or index added to queries/schema.py without a migration fails here."""
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
