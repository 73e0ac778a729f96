"""Ids and patient refs compared byte by byte on PostgreSQL (`queries.schema.key_text`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Table -> its key text columns (all VARCHAR(100)). SQLite compares text byte by byte already.
COLUMNS = {
    "bookings": ("booking_id", "patient_ref"),
    "consultations": ("request_id", "patient_ref"),
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN {column} TYPE VARCHAR(100) COLLATE "{collation}"' for column in columns
        )
        # Names and collations are this module's constants, never input.
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
