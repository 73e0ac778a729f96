"""Targets per location and weekly metric (`*` for every location), with their pending weeks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("weeks", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "metric"),
    )


def downgrade() -> None:
    op.drop_table("targets")
