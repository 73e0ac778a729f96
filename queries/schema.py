"""The database schema: tables as the importer stores them, plus columns derived at import time.

Timestamps are stored twice: the instant in UTC (naive, for elapsed time and cross-location order)
and the location's local calendar date (for weekly bucketing), so every dialect groups the same way.
"""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    true,
)

from queries.metric_definitions import DAILY_COUNTS, RESPONSE_SECONDS

metadata = MetaData()


def key_text(length: int) -> String:
    """An id or a pseudonymous reference: compared and sorted byte by byte on both databases.

    PostgreSQL otherwise compares such text by the server's locale, which sorts an index of
    millions of refs two to three times slower, and orders ids as SQLite does not.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


locations = Table(
    "locations",
    metadata,
    Column("location_id", key_text(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("state", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("opened_on", Date),
    Column("closed_on", Date),
)

# One row per calendar day, 2000-2099: weekday (0 = Monday) and the start of its Monday and
# Sunday weeks. Joining on it keeps week bucketing identical on SQLite and PostgreSQL.
calendar = Table(
    "calendar",
    metadata,
    Column("day", Date, primary_key=True),
    Column("weekday", SmallInteger, nullable=False),
    Column("week_mon", Date, nullable=False),
    Column("week_sun", Date, nullable=False),
)

capacity = Table(
    "capacity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("location_id", ForeignKey("locations.location_id"), nullable=False),
    Column("weekday", SmallInteger, nullable=False),  # 0 = Monday
    Column("open_minute", SmallInteger, nullable=False),  # minutes after local midnight
    Column("close_minute", SmallInteger, nullable=False),
    Column("rooms", SmallInteger, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Index("ix_capacity_location_weekday", "location_id", "weekday"),
)

closures = Table(
    "closures",
    metadata,
    Column("location_id", ForeignKey("locations.location_id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("reason", Text),
)

consultations = Table(
    "consultations",
    metadata,
    Column("request_id", key_text(100), primary_key=True),
    Column("location_id", ForeignKey("locations.location_id"), nullable=False),
    Column("received_at", DateTime, nullable=False),  # UTC
    Column("received_date", Date, nullable=False),  # local date at the location
    Column("channel", String(16), nullable=False),
    Column("indication", String(16), nullable=False),
    Column("first_contact_at", DateTime),  # UTC
    Column("response_minutes", Float),  # true elapsed minutes, received -> first contact
    Column("consult_at", DateTime),  # UTC
    Column("consult_date", Date),  # local date at the location
    Column("consult_status", String(16), nullable=False),
    Column("patient_ref", key_text(100)),
    # Derived at import: a completed consult whose patient has a completed booking within 30 days.
    Column("converted", Boolean, nullable=False, default=False),
    # response_minutes makes it covering for the weekly median, which reads a year of requests.
    Index("ix_consultations_received", "received_date", "location_id", "response_minutes"),
    Index("ix_consultations_consult", "consult_date", "location_id"),
    Index("ix_consultations_patient", "patient_ref"),
)

bookings = Table(
    "bookings",
    metadata,
    Column("booking_id", key_text(100), primary_key=True),
    Column("location_id", ForeignKey("locations.location_id"), nullable=False),
    Column("patient_ref", key_text(100), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("starts_at", DateTime, nullable=False),  # UTC
    Column("start_date", Date, nullable=False),  # local date at the location
    Column("start_minute", SmallInteger, nullable=False),  # local minutes after midnight
    Column("duration_minutes", SmallInteger, nullable=False),
    Column("status", String(12), nullable=False),
    Column("booked_at", DateTime),  # UTC
    # Derived at import: position among the patient's completed bookings (all / initial only),
    # ordered by starts_at then booking_id; NULL when the booking is not completed.
    Column("completed_seq", Integer),
    Column("initial_seq", Integer),
    Index("ix_bookings_start", "start_date", "location_id"),
    Index("ix_bookings_patient", "patient_ref", "starts_at"),
)

# Per location and local day, every count the weekly report sums (`DAILY_COUNTS`), and the
# response times its median is taken over; kept current by `queries.derived.refresh_after_import`
# so reports read days, not raw rows.
daily_location_stats = Table(
    "daily_location_stats",
    metadata,
    Column("location_id", ForeignKey("locations.location_id"), primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(name, Integer, nullable=False) for name in DAILY_COUNTS),
    # The day's contacted requests' whole seconds to first contact, comma-separated, in no
    # particular order (NULL: none contacted). A median over any days and locations is exact
    # from them, and a report reads one short text per day rather than every request.
    Column(RESPONSE_SECONDS, Text),
)

users = Table(
    "users",
    metadata,
    Column("email", String(254), primary_key=True),  # stored lower-case
    Column("role", String(8), nullable=False),
    # The users file's `weekly_email` (yes/no, default yes): whether `reports.send` mails them.
    Column("weekly_email", Boolean, nullable=False, server_default=true()),
)

user_locations = Table(
    "user_locations",
    metadata,
    Column("email", ForeignKey("users.email", ondelete="CASCADE"), primary_key=True),
    Column("location_id", key_text(40), primary_key=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),  # UTC
    Column("email", String(254)),
    Column("action", String(32), nullable=False),
    Column("detail", Text),  # JSON
    Index("ix_audit_log_at", "at"),
)

# Targets per location and weekly metric; `location_id` "*" holds the target of every location
# that has no row of its own (queries/targets.py). No foreign key: "*" names no location.
targets = Table(
    "targets",
    metadata,
    Column("location_id", key_text(40), primary_key=True),
    Column("metric", String(40), primary_key=True),
    Column("min_value", Float),
    Column("max_value", Float),
    Column("weeks", SmallInteger, nullable=False),
)

# One row per recipient and week of the weekly e-mail (reports/delivery.py): a row is claimed as
# `sending` before the SMTP server is asked, and only its acceptance makes it `sent`.
deliveries = Table(
    "deliveries",
    metadata,
    Column("recipient", String(254), primary_key=True),  # lower-case e-mail address
    Column("week", Date, primary_key=True),  # the Monday the reported week starts on
    Column("locations", Text, nullable=False),  # the location ids reported, space-separated
    Column("status", String(8), nullable=False),  # sending, sent or failed
    Column("message_id", String(255)),
    Column("at", DateTime, nullable=False),  # UTC, last change
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),  # UTC
    Column("kind", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("rows", Integer, nullable=False),
)

# Saved column mappings of clinics' exports (data/mapping.py): the mapping as its TOML text, and
# the export's headers (matched case-insensitively, in any order) by which a file is recognised.
import_mappings = Table(
    "import_mappings",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("header_key", Text, nullable=False),  # JSON list of the sorted, normalised headers
    Column("body", Text, nullable=False),  # the mapping as TOML
    Column("saved_at", DateTime, nullable=False),  # UTC
    Column("saved_by", String(254)),
    Index("ix_import_mappings_header_key", "header_key"),
)
