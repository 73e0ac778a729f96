"""The weekly report's columns: name, how values are written, definition (spec/metrics.md)."""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class MetricColumn:
    """One report column; `decimals` is None for dates, text and counts.

    `label` is the short name a person reads on a page; `unit` is written after a value ("%" for
    percentages, "min", "h"; empty for counts).
    """

    name: str
    kind: str  # "date", "text", "count" or "ratio"
    definition: str
    decimals: int | None = None
    label: str = ""
    unit: str = ""


WEEKLY_COLUMNS: tuple[MetricColumn, ...] = (
    MetricColumn(
        "week_start", "date", "date of the first day of the week (YYYY-MM-DD)", label="Week"
    ),
    MetricColumn("location_id", "text", "the location, or `ALL`", label="Location"),
    MetricColumn(
        "consult_requests",
        "count",
        "consultation requests whose `received_at` falls in the week",
        label="Consult requests",
    ),
    MetricColumn(
        "median_response_minutes",
        "ratio",
        "(1 dp) median, over the week's requests that have `first_contact_at`, of the elapsed "
        "minutes from `received_at` to `first_contact_at`",
        1,
        label="Median response",
        unit="min",
    ),
    MetricColumn(
        "contacted_within_1h_pct",
        "ratio",
        "(1 dp) 100 × the week's requests with a first contact at most 60 minutes after receipt "
        "÷ `consult_requests` (requests never contacted count as not within the hour)",
        1,
        label="Contacted within 1 h",
        unit="%",
    ),
    MetricColumn(
        "consults_completed",
        "count",
        "requests with `consult_status` = completed whose `consult_at` falls in the week",
        label="Consults completed",
    ),
    MetricColumn(
        "consult_conversion_pct",
        "ratio",
        "(1 dp) 100 × the consults counted in column 6 whose `patient_ref` has a completed booking "
        "(any location) starting within 30 days after `consult_at` (`consult_at` ≤ `starts_at` ≤ "
        "`consult_at` + 30 days) ÷ `consults_completed`",
        1,
        label="Consult conversion",
        unit="%",
    ),
    MetricColumn(
        "infusions_scheduled",
        "count",
        "occupying bookings whose `starts_at` falls in the week",
        label="Infusions booked",
    ),
    MetricColumn(
        "infusions_completed",
        "count",
        "bookings with status completed in the week",
        label="Infusions completed",
    ),
    MetricColumn("no_shows", "count", "bookings with status no_show in the week", label="No-shows"),
    MetricColumn(
        "late_cancellations",
        "count",
        "bookings with status late_cancel in the week",
        label="Late cancellations",
    ),
    MetricColumn(
        "cancellations",
        "count",
        "bookings with status cancelled in the week",
        label="Cancelled in time",
    ),
    MetricColumn(
        "no_show_rate_pct",
        "ratio",
        "(1 dp) 100 × `no_shows` ÷ (`infusions_completed` + `no_shows` + `late_cancellations`)",
        1,
        label="No-show rate",
        unit="%",
    ),
    MetricColumn(
        "new_patients",
        "count",
        "completed bookings in the week that are their patient's first completed booking anywhere "
        "(order: `starts_at`, then `booking_id`)",
        label="New patients",
    ),
    MetricColumn(
        "booster_infusions",
        "count",
        "completed bookings of kind booster in the week",
        label="Booster infusions",
    ),
    MetricColumn(
        "series_completions",
        "count",
        "completed bookings in the week that are their patient's sixth completed `initial` "
        "booking anywhere (same order)",
        label="Series completed",
    ),
    MetricColumn(
        "available_room_hours",
        "ratio",
        "(2 dp) available room-minutes of the week's seven days ÷ 60 (see the capacity file)",
        2,
        label="Room-hours available",
        unit="h",
    ),
    MetricColumn(
        "booked_room_hours",
        "ratio",
        "(2 dp) sum of `duration_minutes` of the week's occupying bookings ÷ 60",
        2,
        label="Room-hours booked",
        unit="h",
    ),
    MetricColumn(
        "utilization_pct",
        "ratio",
        "(1 dp) 100 × `booked_room_hours` ÷ `available_room_hours` (from unrounded values)",
        1,
        label="Utilization",
        unit="%",
    ),
)

# Consult conversion counts a first infusion up to this long after the consult (column 7).
CONVERSION_WINDOW = timedelta(days=30)

WEEKLY_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in WEEKLY_COLUMNS)

CONVENTIONS = (
    "A week is seven local calendar days starting on `week_start` (Monday by default; a setting "
    "may choose Sunday). Events fall in a week by the local date of their timestamp at their "
    "location.",
    "Counts are integers. Values marked (1 dp) are rounded to one decimal, (2 dp) to two. A value "
    "whose denominator is zero, or that has nothing to take a median of, is empty.",
    "`ALL` rows: counts and hours are sums; percentages and rates are recomputed from the pooled "
    "counts; the median is taken over the pooled requests. Never an average of the locations' "
    "percentages.",
    '"Occupying" bookings are those with status scheduled, completed, no_show or late_cancel: '
    "they held a room. A `cancelled` booking was freed in time and occupies nothing.",
)


def definition(name: str) -> str:
    """The spec's definition of report column `name` (KeyError if there is none)."""
    return column(name).definition


def column(name: str) -> MetricColumn:
    """The report column `name` (KeyError if there is none)."""
    for candidate in WEEKLY_COLUMNS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def conversion_final_from(week: date) -> date:
    """The first day on which the consult conversion of the week starting `week` can no longer
    change: the day after the window of the week's last consults has closed."""
    return week + timedelta(days=7) + CONVERSION_WINDOW
