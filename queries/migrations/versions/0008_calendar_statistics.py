"""Planner statistics for `calendar` on PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 fills the calendar once and nothing writes it again, so only autovacuum would give the
    # planner its size; where that is off or has not run, the room-minutes query takes the
    # calendar for a few rows and looks closures up day by day. SQLite plans it well without.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE calendar")


def downgrade() -> None:
    # Statistics are not schema: nothing to undo.
    pass
