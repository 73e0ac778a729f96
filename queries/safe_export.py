"""Downloads that are safe to share: small-count suppression, and the safe workbook.

No cell of a download can start a formula: queries/neutralise.py.

Small-count suppression (for sharing outside the clinic), per docs/access.md:
- every count from 1 to 10 is written `<11` ("small");
- a value that would let a reader work such a count out is left empty ("withheld"):
  - `infusions_scheduled` holds `infusions_completed + no_shows + late_cancellations` (plus any
    still scheduled), so it is withheld when one of those three is not shown;
  - `booked_room_hours` is the room time of the `infusions_scheduled` bookings, and
    `utilization_pct` is `booked_room_hours` over capacity: withheld when their input is not shown;
  - `median_response_minutes` is taken over some of the week's `consult_requests`: withheld when
    `consult_requests` is small (a median of more requests discloses no count);
  - `contacted_within_1h_pct` (numerator: requests contacted within 1 h, not a column) and
    `consult_conversion_pct` (numerator: converted consults, not a column) are withheld when their
    denominator (`consult_requests`, `consults_completed`) is not shown, or when their numerator or
    the rest of the denominator (denominator - numerator) could be from 1 to 10 given the rounded
    rate (exact for denominators under 1000; beyond that every integer the rounding allows counts);
  - `no_show_rate_pct` is withheld when `no_shows`, `infusions_completed` or `late_cancellations`
    is not shown (its denominator is their sum);
  - the `ALL` row is the sum of the location rows, so an `ALL` value is withheld whenever the same
    column is not shown for one of that week's locations (except the median, which is not a sum).
Zero is shown: it discloses no one.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from queries.metric_definitions import HELD, METRICS, WEEKLY_COLUMN_NAMES
from queries.neutralise import neutralise_columns, neutralise_mapping
from queries.report_files import weekly_xlsx_bytes
from queries.vocabulary import ALL

SMALL_MIN, SMALL_MAX = 1, 10
SMALL_MARK = "<11"

COUNT_COLUMNS = tuple(metric.name for metric in METRICS if metric.kind == "count")
# The bookings that make up `infusions_scheduled` and are columns of their own.
SCHEDULED_PARTS = HELD
# Rate -> its denominator column, for the percentages whose numerator is not a column.
HIDDEN_NUMERATOR_RATES = {
    metric.name: metric.formula.denominator[0]
    for metric in METRICS
    if metric.formula is not None
    and metric.unit == "%"
    and metric.formula.numerator not in WEEKLY_COLUMN_NAMES
    and all(name in WEEKLY_COLUMN_NAMES for name in metric.formula.denominator)
}

SUPPRESSION_NOTE = (
    "Small counts suppressed for sharing outside the clinic: counts from 1 to 10 are shown as <11, "
    "and values from which such a count could be worked out are left empty (see docs/access.md)."
)


# --- small-count suppression --------------------------------------------------------------

SHOWN, SMALL, WITHHELD = "shown", "small", "withheld"


def is_small(value: Any) -> bool:
    """True for a count from 1 to 10."""
    return value is not None and not _missing(value) and SMALL_MIN <= value <= SMALL_MAX


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def numerator_could_be_small(rate_pct: Any, denominator: Any) -> bool:
    """Could the numerator behind a (1 dp) percentage, or denominator - numerator, be 1 to 10?

    The rate was rounded to 0.05 at most, so the numerator lies within denominator / 2000 of
    rate x denominator / 100; every integer in that band is a possible numerator.
    """
    if _missing(rate_pct) or _missing(denominator) or denominator == 0:
        return False
    estimate = rate_pct * denominator / 100
    slack = denominator / 2000 + 1e-9
    low = max(0, math.ceil(estimate - slack))
    high = min(int(denominator), math.floor(estimate + slack))
    return any(
        SMALL_MIN <= k <= SMALL_MAX or SMALL_MIN <= denominator - k <= SMALL_MAX
        for k in range(low, high + 1)
    )


def suppression_states(frame: pd.DataFrame) -> pd.DataFrame:
    """Per cell of the weekly report: `shown`, `small` (1 to 10) or `withheld` (see module doc)."""
    states = pd.DataFrame(SHOWN, index=frame.index, columns=frame.columns)
    for column in COUNT_COLUMNS:
        states.loc[frame[column].map(is_small).astype(bool), column] = SMALL
    is_all = frame["location_id"] == ALL
    groups = list(frame.groupby("week_start", sort=False).groups.values())

    def withhold_all_rows(column: str) -> bool:
        """Withhold an ALL cell when a location cell of its week is not shown; True if changed."""
        changed = False
        for index in groups:
            locations = [i for i in index if not is_all[i]]
            pooled = [i for i in index if is_all[i]]
            if any(states.at[i, column] != SHOWN for i in locations):
                for i in pooled:
                    if states.at[i, column] == SHOWN:
                        states.at[i, column] = WITHHELD
                        changed = True
        return changed

    def withhold_rows(column: str, rule: Callable[[int], bool]) -> bool:
        changed = False
        for i in frame.index:
            if states.at[i, column] == SHOWN and rule(i):
                states.at[i, column] = WITHHELD
                changed = True
        return changed

    def not_shown(i: int, *columns: str) -> bool:
        return any(states.at[i, column] != SHOWN for column in columns)

    # Counts: the sum relations can chain (an ALL part withheld withholds ALL's total), so
    # repeat until nothing changes.
    changed = True
    while changed:
        changed = withhold_rows("infusions_scheduled", lambda i: not_shown(i, *SCHEDULED_PARTS))
        for column in COUNT_COLUMNS:
            changed |= withhold_all_rows(column)

    # Derived values, in dependency order: each row's own inputs, then the ALL rule.
    derived: list[tuple[str, Callable[[int], bool], bool]] = [
        # A median is not a count: only a small group of requests makes it revealing.
        (
            "median_response_minutes",
            lambda i: states.at[i, "consult_requests"] == SMALL,
            False,
        ),
        ("no_show_rate_pct", lambda i: not_shown(i, *SCHEDULED_PARTS), True),
        ("booked_room_hours", lambda i: not_shown(i, "infusions_scheduled"), True),
        ("utilization_pct", lambda i: not_shown(i, "booked_room_hours"), True),
    ]
    for rate, denominator in HIDDEN_NUMERATOR_RATES.items():
        derived.append(
            (
                rate,
                lambda i, rate=rate, denominator=denominator: (
                    not_shown(i, denominator)
                    or numerator_could_be_small(frame.at[i, rate], frame.at[i, denominator])
                ),
                True,
            )
        )
    for column, rule, pooled_too in derived:
        withhold_rows(column, rule)
        if pooled_too:
            withhold_all_rows(column)
    return states


def suppress_small_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the weekly report with small counts as `<11` and dependent values empty."""
    states = suppression_states(frame)
    suppressed = frame.astype(object)
    for column in frame.columns:
        small = states[column] == SMALL
        withheld = states[column] == WITHHELD
        if small.any() or withheld.any():
            suppressed.loc[small, column] = SMALL_MARK
            suppressed.loc[withheld, column] = None
    return suppressed.where(suppressed.notna(), None)


def safe_weekly_frame(frame: pd.DataFrame, *, suppress_small: bool) -> pd.DataFrame:
    """The weekly report as it may leave the app: optionally suppressed, always neutralised."""
    table = suppress_small_counts(frame) if suppress_small else frame
    return pd.DataFrame(neutralise_columns(table), index=table.index)


def safe_weekly_xlsx_bytes(
    frame: pd.DataFrame, *, filters: Mapping[str, object], suppress_small: bool
) -> bytes:
    """The weekly report as XLSX, through `safe_weekly_frame`; the filters sheet says whether
    small counts were suppressed."""
    noted = dict(filters) | {
        "small_counts": SUPPRESSION_NOTE if suppress_small else "not suppressed (clinic use only)"
    }
    return weekly_xlsx_bytes(
        safe_weekly_frame(frame, suppress_small=suppress_small), filters=neutralise_mapping(noted)
    )
