"""Response times per location and day (`daily_location_stats.response_seconds`), for medians.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Each stored day's contacted requests, their whole seconds to first contact joined by commas: what
# queries.derived keeps from now on, filled here for the days already stored.
FILL = """
UPDATE daily_location_stats SET response_seconds = (
  SELECT {joined} FROM consultations c
  WHERE c.location_id = daily_location_stats.location_id
    AND c.received_date = daily_location_stats.day
    AND c.response_minutes IS NOT NULL)
"""
JOINED = {
    "sqlite": "group_concat(CAST(round(c.response_minutes * 60) AS INTEGER), ',')",
    "postgresql": "string_agg(CAST(CAST(round(c.response_minutes * 60) AS BIGINT) AS TEXT), ',')",
}


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: nothing to copy.
    op.add_column("daily_location_stats", sa.Column("response_seconds", sa.Text(), nullable=True))
    op.execute(FILL.format(joined=JOINED[op.get_bind().dialect.name]))


def downgrade() -> None:
    with op.batch_alter_table("daily_location_stats") as batch_op:
        batch_op.drop_column("response_seconds")
