"""The metric registry: every weekly report column with all a consumer needs (docs/metrics.md).

Each entry carries its name, the label and unit a person reads, its decimals, which direction is
good news, its formula over the summed counts and the spec's definition. The report
(queries/weekly.py), the pages' cards, tables and captions, the downloads and docs/metrics.md
(checked by tests/test_metric_docs.py) all read it; nothing else defines a metric.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import numpy as np

from queries.vocabulary import ALL, CONVERSION_WINDOW, OCCUPYING

# Which way a metric's good news goes (targets and alerts read this).
HIGHER = "higher is better"
LOWER = "lower is better"
NEUTRAL = "neutral"

# The counts kept per location and local day (`daily_location_stats`, queries/derived.py).
DAILY_COUNTS = (
    "consult_requests",
    "contacted_within_1h",
    "consults_completed",
    "consults_converted",
    "infusions_scheduled",
    "infusions_completed",
    "no_shows",
    "late_cancellations",
    "cancellations",
    "new_patients",
    "booster_infusions",
    "series_completions",
    "booked_minutes",
)
# Kept per location and local day beside the counts: the contacted requests' response times in
# whole seconds, which the median is taken over.
RESPONSE_SECONDS = "response_seconds"
# What the report sums over days and locations: the daily counts and the available room-minutes
# (from capacity). Every metric is computed from them, besides the median, which is taken over
# the requests themselves.
SUMMED_COUNTS = (*DAILY_COUNTS, "available_minutes")


def round_half_up(numerator: int, denominator: int, decimals: int) -> float | None:
    """numerator / denominator rounded half up, in integer arithmetic; None for a zero
    denominator. Exact: no float ever meets the rounding."""
    if denominator == 0:
        return None
    scale = 10**decimals
    return (2 * numerator * scale + denominator) // (2 * denominator) / scale


def round_half_up_array(
    numerator: np.ndarray, denominator: np.ndarray | int, decimals: int
) -> np.ndarray:
    """`round_half_up` of each element of int64 arrays (NaN for a zero denominator): the same
    integer arithmetic, and the same float, since every integer here is far below 2**53."""
    scale = 10**decimals
    below = np.broadcast_to(np.asarray(denominator, dtype="int64"), np.shape(numerator))
    safe = np.where(below == 0, 1, below)
    rounded = (2 * np.asarray(numerator, dtype="int64") * scale + safe) // (2 * safe) / scale
    return np.where(below == 0, np.nan, rounded)


@dataclass(frozen=True)
class Ratio:
    """`scale` × `numerator` ÷ the sum of the `denominator` counts (or ÷ `per` when there are
    none), all summed counts (`SUMMED_COUNTS`). Pooled rows apply it to pooled counts."""

    numerator: str
    denominator: tuple[str, ...] = ()
    scale: int = 100
    per: int = 1

    def exact(self, counts: Mapping[str, int]) -> tuple[int, int]:
        """The unrounded value as (numerator, denominator) integers."""
        below = sum(counts[name] for name in self.denominator) if self.denominator else self.per
        return self.scale * counts[self.numerator], below


@dataclass(frozen=True)
class MetricColumn:
    """One report column; `decimals` is None for dates, text and counts.

    `label` is the short name a person reads on a page; `unit` is written after a value ("%" for
    percentages, "min", "h"; empty for counts). `formula` computes a ratio from summed counts
    (None for counts, which are summed as they are, and for the median).
    """

    name: str
    kind: str  # "date", "text", "count" or "ratio"
    definition: str
    decimals: int | None = None
    label: str = ""
    unit: str = ""
    direction: str = NEUTRAL
    formula: Ratio | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.direction == HIGHER

    def value(self, counts: Mapping[str, int]) -> float | int | None:
        """This column's value from summed counts: a count as it is, a ratio by its `formula`
        rounded to its `decimals` (None when the denominator is zero)."""
        if self.formula is None:
            return counts[self.name]
        return round_half_up(*self.formula.exact(counts), self.decimals or 0)

    def values(self, counts: Mapping[str, np.ndarray]) -> np.ndarray:
        """`value` for arrays of summed counts, element by element (NaN for a zero
        denominator)."""
        if self.formula is None:
            return counts[self.name]
        return round_half_up_array(*self.formula.exact(counts), self.decimals or 0)

    def rounded(self, exact: Fraction) -> float:
        """An exact value (the median) rounded half up to this column's `decimals`."""
        return round_half_up(*exact.as_integer_ratio(), self.decimals or 0)


# The count each booking status adds to (queries/derived.py counts them per day).
STATUS_COUNTS = {
    "completed": "infusions_completed",
    "no_show": "no_shows",
    "late_cancel": "late_cancellations",
    "cancelled": "cancellations",
}
# Bookings that were due and held a room: the no-show rate's denominator, and the parts of
# `infusions_scheduled` that are columns of their own (safe_export withholds by them).
HELD = ("infusions_completed", "no_shows", "late_cancellations")


def _room_hours(name: str, minutes: str, definition: str, label: str) -> MetricColumn:
    """A room-hours column: summed room-minutes ÷ 60, to two decimals."""
    return MetricColumn(
        name,
        "ratio",
        "(2 dp) " + definition,
        2,
        label=label,
        unit="h",
        formula=Ratio(minutes, scale=1, per=60),
    )


WEEKLY_COLUMNS: tuple[MetricColumn, ...] = (
    MetricColumn(
        "week_start", "date", "date of the first day of the week (YYYY-MM-DD)", label="Week"
    ),
    MetricColumn("location_id", "text", f"the location, or `{ALL}`", label="Location"),
    MetricColumn(
        "consult_requests",
        "count",
        "consultation requests whose `received_at` falls in the week",
        label="Consult requests",
        direction=HIGHER,
    ),
    MetricColumn(
        "median_response_minutes",
        "ratio",
        "(1 dp) median, over the week's requests that have `first_contact_at`, of the elapsed "
        "minutes from `received_at` to `first_contact_at`",
        1,
        label="Median response",
        unit="min",
        direction=LOWER,
    ),
    MetricColumn(
        "contacted_within_1h_pct",
        "ratio",
        "(1 dp) 100 × the week's requests with a first contact at most 60 minutes after receipt "
        "÷ `consult_requests` (requests never contacted count as not within the hour)",
        1,
        label="Contacted within 1 h",
        unit="%",
        direction=HIGHER,
        formula=Ratio("contacted_within_1h", ("consult_requests",)),
    ),
    MetricColumn(
        "consults_completed",
        "count",
        "requests with `consult_status` = completed whose `consult_at` falls in the week",
        label="Consults completed",
        direction=HIGHER,
    ),
    MetricColumn(
        "consult_conversion_pct",
        "ratio",
        "(1 dp) 100 × the consults counted in column 6 whose `patient_ref` has a completed booking "
        f"(any location) starting within {CONVERSION_WINDOW.days} days after `consult_at` "
        f"(`consult_at` ≤ `starts_at` ≤ `consult_at` + {CONVERSION_WINDOW.days} days) "
        "÷ `consults_completed`",
        1,
        label="Consult conversion",
        unit="%",
        direction=HIGHER,
        formula=Ratio("consults_converted", ("consults_completed",)),
    ),
    MetricColumn(
        "infusions_scheduled",
        "count",
        "occupying bookings whose `starts_at` falls in the week",
        label="Infusions booked",
        direction=HIGHER,
    ),
    MetricColumn(
        "infusions_completed",
        "count",
        "bookings with status completed in the week",
        label="Infusions completed",
        direction=HIGHER,
    ),
    MetricColumn(
        "no_shows",
        "count",
        "bookings with status no_show in the week",
        label="No-shows",
        direction=LOWER,
    ),
    MetricColumn(
        "late_cancellations",
        "count",
        "bookings with status late_cancel in the week",
        label="Late cancellations",
        direction=LOWER,
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
        direction=LOWER,
        formula=Ratio("no_shows", HELD),
    ),
    MetricColumn(
        "new_patients",
        "count",
        "completed bookings in the week that are their patient's first completed booking anywhere "
        "(order: `starts_at`, then `booking_id` compared byte by byte)",
        label="New patients",
        direction=HIGHER,
    ),
    MetricColumn(
        "booster_infusions",
        "count",
        "completed bookings of kind booster in the week",
        label="Booster infusions",
        direction=HIGHER,
    ),
    MetricColumn(
        "series_completions",
        "count",
        "completed bookings in the week that are their patient's sixth completed `initial` "
        "booking anywhere (same order)",
        label="Series completed",
        direction=HIGHER,
    ),
    _room_hours(
        "available_room_hours",
        "available_minutes",
        "available room-minutes of the week's seven days ÷ 60 (see the capacity file)",
        "Room-hours available",
    ),
    _room_hours(
        "booked_room_hours",
        "booked_minutes",
        "sum of `duration_minutes` of the week's occupying bookings ÷ 60",
        "Room-hours booked",
    ),
    MetricColumn(
        "utilization_pct",
        "ratio",
        "(1 dp) 100 × `booked_room_hours` ÷ `available_room_hours` (from unrounded values)",
        1,
        label="Utilization",
        unit="%",
        direction=HIGHER,
        formula=Ratio("booked_minutes", ("available_minutes",)),
    ),
)

WEEKLY_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in WEEKLY_COLUMNS)
# The columns that are metrics: the report's columns after the week and the location.
METRICS: tuple[MetricColumn, ...] = WEEKLY_COLUMNS[2:]

CONVENTIONS = (
    "A week is seven local calendar days starting on `week_start` (Monday by default; a setting "
    "may choose Sunday). Events fall in a week by the local date of their timestamp at their "
    "location.",
    "Counts are integers. Values marked (1 dp) are rounded to one decimal, (2 dp) to two. A value "
    "whose denominator is zero, or that has nothing to take a median of, is empty.",
    f"`{ALL}` rows: counts and hours are sums; percentages and rates are recomputed from the "
    "pooled counts; the median is taken over the pooled requests. Never an average of the "
    "locations' percentages.",
    f'"Occupying" bookings are those with status {", ".join(OCCUPYING[:-1])} or {OCCUPYING[-1]}: '
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


def markdown_table() -> str:
    """The columns as docs/metrics.md lists them (tests/test_metric_docs.py keeps the two equal)."""
    lines = [
        "| # | column | label | unit | direction | definition |",
        "|---|---|---|---|---|---|",
    ]
    for n, c in enumerate(WEEKLY_COLUMNS, start=1):
        lines.append(
            f"| {n} | {c.name} | {c.label} | {c.unit} | "
            f"{c.direction if c.kind in ('count', 'ratio') else ''} | {c.definition} |"
        )
    return "\n".join(lines)


def conversion_final_from(week: date) -> date:
    """The first day on which the consult conversion of the week starting `week` can no longer
    change: the day after the window of the week's last consults has closed."""
    return week + timedelta(days=7) + CONVERSION_WINDOW
