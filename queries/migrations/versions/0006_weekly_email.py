"""The weekly e-mail: users choose it (`users.weekly_email`), and `deliveries` records each one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: recreating `users` on SQLite would cascade to `user_locations`.
    op.add_column(
        "users", sa.Column("weekly_email", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.create_table(
        "deliveries",
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("locations", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("recipient", "week"),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_column("users", "weekly_email")
