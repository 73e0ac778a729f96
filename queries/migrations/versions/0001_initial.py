"""Initial schema: locations, capacity, closures, consultations, bookings, derived aggregates,
users, the audit log, the import log, and the calendar of 2000-2099.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from queries.calendar_table import calendar_rows

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_table(
        "calendar",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("week_mon", sa.Date(), nullable=False),
        sa.Column("week_sun", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "locations",
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("location_id"),
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_table(
        "bookings",
        sa.Column("booking_id", sa.String(length=100), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("patient_ref", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("booked_at", sa.DateTime(), nullable=True),
        sa.Column("completed_seq", sa.Integer(), nullable=True),
        sa.Column("initial_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.location_id"],
        ),
        sa.PrimaryKeyConstraint("booking_id"),
    )
    op.create_index("ix_bookings_patient", "bookings", ["patient_ref", "starts_at"], unique=False)
    op.create_index("ix_bookings_start", "bookings", ["start_date", "location_id"], unique=False)
    op.create_table(
        "capacity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("open_minute", sa.SmallInteger(), nullable=False),
        sa.Column("close_minute", sa.SmallInteger(), nullable=False),
        sa.Column("rooms", sa.SmallInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.location_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_capacity_location_weekday", "capacity", ["location_id", "weekday"], unique=False
    )
    op.create_table(
        "closures",
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.location_id"],
        ),
        sa.PrimaryKeyConstraint("location_id", "day"),
    )
    op.create_table(
        "consultations",
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("indication", sa.String(length=16), nullable=False),
        sa.Column("first_contact_at", sa.DateTime(), nullable=True),
        sa.Column("response_minutes", sa.Float(), nullable=True),
        sa.Column("consult_at", sa.DateTime(), nullable=True),
        sa.Column("consult_date", sa.Date(), nullable=True),
        sa.Column("consult_status", sa.String(length=16), nullable=False),
        sa.Column("patient_ref", sa.String(length=100), nullable=True),
        sa.Column("converted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.location_id"],
        ),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index(
        "ix_consultations_consult", "consultations", ["consult_date", "location_id"], unique=False
    )
    op.create_index("ix_consultations_patient", "consultations", ["patient_ref"], unique=False)
    op.create_index(
        "ix_consultations_received",
        "consultations",
        ["received_date", "location_id", "response_minutes"],
        unique=False,
    )
    op.create_table(
        "daily_location_stats",
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("consult_requests", sa.Integer(), nullable=False),
        sa.Column("contacted_within_1h", sa.Integer(), nullable=False),
        sa.Column("consults_completed", sa.Integer(), nullable=False),
        sa.Column("consults_converted", sa.Integer(), nullable=False),
        sa.Column("infusions_scheduled", sa.Integer(), nullable=False),
        sa.Column("infusions_completed", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("late_cancellations", sa.Integer(), nullable=False),
        sa.Column("cancellations", sa.Integer(), nullable=False),
        sa.Column("new_patients", sa.Integer(), nullable=False),
        sa.Column("booster_infusions", sa.Integer(), nullable=False),
        sa.Column("series_completions", sa.Integer(), nullable=False),
        sa.Column("booked_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.location_id"],
        ),
        sa.PrimaryKeyConstraint("location_id", "day"),
    )
    op.create_table(
        "user_locations",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["email"], ["users.email"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("email", "location_id"),
    )
    calendar = sa.table(
        "calendar",
        sa.column("day", sa.Date),
        sa.column("weekday", sa.SmallInteger),
        sa.column("week_mon", sa.Date),
        sa.column("week_sun", sa.Date),
    )
    op.bulk_insert(calendar, calendar_rows())


def downgrade() -> None:
    op.drop_table("user_locations")
    op.drop_table("daily_location_stats")
    op.drop_index("ix_consultations_received", table_name="consultations")
    op.drop_index("ix_consultations_patient", table_name="consultations")
    op.drop_index("ix_consultations_consult", table_name="consultations")
    op.drop_table("consultations")
    op.drop_table("closures")
    op.drop_index("ix_capacity_location_weekday", table_name="capacity")
    op.drop_table("capacity")
    op.drop_index("ix_bookings_start", table_name="bookings")
    op.drop_index("ix_bookings_patient", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("users")
    op.drop_table("locations")
    op.drop_table("imports")
    op.drop_table("calendar")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
