"""Initial schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

While the first release is being built this creates the tables from `queries.schema`; it is
replaced by explicit operations before the schema ships.
"""

from alembic import op

from queries.calendar_table import calendar_rows
from queries.schema import calendar, metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind)
    op.bulk_insert(calendar, calendar_rows())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
