"""The weekly report's metrics over a whole period: one row per location plus the pooled `ALL`.

It reuses the weekly report's own building blocks (`queries.weekly`) with the whole period as the
single bucket, so a definition lives in one place: counts are sums over the period's days, rates
come from the pooled counts, the median is taken over the period's requests.
"""

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from queries import weekly
from queries.metric_definitions import SUMMED_COUNTS
from queries.page_filters import week_range
from queries.schema import calendar
from queries.scope import Scope
from queries.vocabulary import ALL

# A parameter-free expression that is the same on every day: grouping by it puts the whole period
# in one bucket, where the weekly report groups by the week's first day.
WHOLE_PERIOD = calendar.c.day.is_not(None)
PERIOD_COLUMNS = ["location_id", *weekly.WEEKLY_COLUMN_NAMES[2:]]


def period_metrics(
    conn: Connection,
    *,
    scope: Scope,
    locations: Sequence[str] | None,
    start: date,
    end: date,
    week_start: str = "mon",
    response_rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The weekly report's metrics for the whole weeks holding `start`..`end`, one row per selected
    location then `ALL`: `location_id` and the report's columns 3-19. `response_rows`, if given,
    is `weekly.response_seconds` for the same arguments, and the requests are not read again."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    first, last = week_range(start, end, week_start)
    selected = weekly._selected_locations(conn, scope, locations)
    if not selected:
        return pd.DataFrame(columns=PERIOD_COLUMNS)

    def by_location(table: dict) -> dict:
        return {location_id: value for (_bucket, location_id), value in table.items()}

    totals = by_location(weekly._day_stat_sums(conn, WHOLE_PERIOD, selected, first, last))
    available = weekly._available_minutes(conn, WHOLE_PERIOD, selected, first, last)
    for location_id, minutes in by_location(available).items():
        totals.setdefault(location_id, {})["available_minutes"] = minutes
    if response_rows is None:
        response_rows = weekly._response_seconds(conn, WHOLE_PERIOD, selected, first, last)
    # The whole period is one bucket, whatever week each request fell in.
    medians = by_location(weekly._response_medians(response_rows.assign(week=first)))

    rows = []
    pooled = dict.fromkeys(SUMMED_COUNTS, 0)
    for location_id in selected:
        counts = totals.get(location_id, {})
        for name in SUMMED_COUNTS:
            pooled[name] += counts.get(name, 0)
        rows.append(weekly._row(first, location_id, counts, medians.get(location_id)))
    rows.append(weekly._row(first, ALL, pooled, medians.get(ALL)))
    return weekly._frame(rows)[PERIOD_COLUMNS].reset_index(drop=True)


# Rates, the median and utilization compare across locations of any size; counts do not.
COMPARABLE = [
    "median_response_minutes",
    "contacted_within_1h_pct",
    "consult_conversion_pct",
    "no_show_rate_pct",
    "utilization_pct",
]
OUTLIER_SHARE = 0.25


def outliers(table: pd.DataFrame, share: float = OUTLIER_SHARE) -> pd.DataFrame:
    """Which cells of a `period_metrics` table stand out: True where a location's comparable
    metric differs from the `ALL` figure by more than `share` of it (`location_id` kept)."""
    network = table[table["location_id"] == ALL]
    flags = pd.DataFrame(False, index=table.index, columns=table.columns)
    flags["location_id"] = table["location_id"]
    if network.empty:
        return flags
    for column in COMPARABLE:
        reference = network[column].iloc[0]
        if pd.isna(reference) or reference == 0:
            continue
        away = (table[column] - reference).abs() > share * abs(reference)
        flags[column] = away.fillna(False) & (table["location_id"] != ALL)
    return flags
