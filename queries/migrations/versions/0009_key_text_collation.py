"""Ids, location ids and patient refs compared byte by byte on PostgreSQL (`key_text`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Table -> its key text columns and their length. SQLite compares text byte by byte already.
COLUMNS = {
    "locations": {"location_id": 40},
    "capacity": {"location_id": 40},
    "closures": {"location_id": 40},
    "daily_location_stats": {"location_id": 40},
    "user_locations": {"location_id": 40},
    "targets": {"location_id": 40},
    "bookings": {"booking_id": 100, "patient_ref": 100, "location_id": 40},
    "consultations": {"request_id": 100, "patient_ref": 100, "location_id": 40},
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "{collation}"'
            for column, length in columns.items()
        )
        # Names and collations are this module's constants, never input.
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
