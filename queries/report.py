"""The report core: the weekly report's metrics for the selected locations and their pooled `ALL`,
per week (queries/weekly.py) or over the whole period (queries/period.py).

Counts come from `daily_location_stats` and available room-minutes from capacity x calendar,
aggregated in SQL. The median response time cannot be summed from days: it is taken over the
period's contacted requests (one narrow read) in whole seconds. Python lays out the grid (every
bucket x every selected location, plus `ALL`) and computes each metric from the summed counts by
the registry's formula (queries/metric_definitions.py).
"""

from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Unpack

import numpy as np
import pandas as pd
from sqlalchemy import Connection, exists, func, or_, select

from queries.metric_definitions import (
    DAILY_COUNTS,
    METRICS,
    SUMMED_COUNTS,
    WEEKLY_COLUMN_NAMES,
    WEEKLY_COLUMNS,
    column,
)
from queries.page_filters import PeriodArgs, week_column, week_range
from queries.schema import (
    calendar,
    capacity,
    closures,
    consultations,
    daily_location_stats,
    locations,
)
from queries.scope import EVERY_LOCATION, Scope
from queries.vocabulary import ALL

MEDIAN = column("median_response_minutes")
# A parameter-free expression that is the same on every day: grouping by it puts the whole period
# in one bucket, where the weekly report groups by the week's first day.
WHOLE_PERIOD = calendar.c.day.is_not(None)

Key = tuple[date, str]


def metrics_table(
    conn: Connection,
    *,
    week_start: str = "mon",
    whole_period: bool = False,
    response_rows: pd.DataFrame | None = None,
    **period: Unpack[PeriodArgs],
) -> pd.DataFrame:
    """The report's 19 columns for the whole weeks holding `start`..`end`: for each bucket, one
    row per selected location, then `ALL` pooling them. A bucket is a week, or `whole_period`
    the whole period (its `week_start` is the first week's).

    `locations=None` asks for every location; `scope` narrows what is read, and `ALL` pools only
    the locations read. Unknown location ids raise ValueError. `response_rows`, if given, is
    `response_seconds` for the same arguments, and the requests are not read again.
    """
    first, last, selected = _weeks_and_locations(conn, period, week_start)
    week = week_column(week_start)
    if whole_period:
        bucket, buckets = WHOLE_PERIOD, [first]
    else:
        bucket = week
        buckets = [first + timedelta(days=7 * n) for n in range((last - first).days // 7 + 1)]

    def keyed(table: dict[Key, object]) -> dict:
        # Every key of the whole period is its one bucket, named by its first day.
        return {(first, loc): v for (_b, loc), v in table.items()} if whole_period else table

    totals = keyed(_day_stat_sums(conn, bucket, selected, first, last))
    for key, minutes in keyed(_available_minutes(conn, bucket, selected, first, last)).items():
        totals.setdefault(key, {})["available_minutes"] = minutes
    if response_rows is None:
        response_rows = _response_seconds(conn, week, selected, first, last)
    if whole_period:
        response_rows = response_rows.assign(week=first)
    medians = _response_medians(response_rows)

    rows = []
    for day in buckets if selected else []:
        pooled = dict.fromkeys(SUMMED_COUNTS, 0)
        for location_id in selected:
            counts = totals.get((day, location_id), {})
            for name in SUMMED_COUNTS:
                pooled[name] += counts.get(name, 0)
            rows.append(_row(day, location_id, counts, medians.get((day, location_id))))
        rows.append(_row(day, ALL, pooled, medians.get((day, ALL))))
    return _frame(rows)


def response_seconds(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """The contacted requests the medians are taken over, for the weeks holding `start`..`end`:
    `week`, `location_id`, `seconds` (whole seconds to first contact).

    Read once, it serves `metrics_table` per week and over the whole period for the same
    arguments (their `response_rows`), so a page showing both reads the requests once.
    """
    first, last, selected = _weeks_and_locations(conn, period, week_start)
    return _response_seconds(conn, week_column(week_start), selected, first, last)


def _weeks_and_locations(
    conn: Connection, period: PeriodArgs, week_start: str
) -> tuple[date, date, list[str]]:
    """The first and last day of the period's whole weeks, and the locations read."""
    first, last = _whole_weeks(period["start"], period["end"], week_start)
    return first, last, _selected_locations(conn, period["scope"], period["locations"])


def _selected_locations(
    conn: Connection, scope: Scope, requested: Sequence[str] | None
) -> list[str]:
    known = set(conn.scalars(select(locations.c.location_id)))
    if requested is not None:
        unknown = sorted(set(requested) - known)
        if unknown:
            raise ValueError("unknown location ids: " + ", ".join(unknown))
    narrowed = scope.narrow(requested)
    if narrowed is EVERY_LOCATION:
        return sorted(known)
    return [loc for loc in narrowed if loc in known]


def _day_stat_sums(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> dict[Key, dict[str, int]]:
    s = daily_location_stats.c
    names = list(DAILY_COUNTS)
    stmt = (
        select(
            week.label("week"), s.location_id, *(func.sum(s[name]).label(name) for name in names)
        )
        .select_from(daily_location_stats.join(calendar, calendar.c.day == s.day))
        .where(s.location_id.in_(selected), s.day.between(first, last))
        .group_by(week, s.location_id)
    )
    # Sums by position: looking each up by name on every row is a noticeable share of a
    # network-scale report (docs/performance.md).
    return {
        (week_day, location_id): dict(zip(names, map(int, sums), strict=True))
        for week_day, location_id, *sums in conn.execute(stmt)
    }


def _available_minutes(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> dict[Key, int]:
    """Room-minutes per week and location: capacity rows that hold on each calendar day."""
    cap, day = capacity.c, calendar.c.day
    closed = exists().where(closures.c.location_id == cap.location_id, closures.c.day == day)
    stmt = (
        select(
            week.label("week"),
            cap.location_id,
            func.sum(cap.rooms * (cap.close_minute - cap.open_minute)).label("minutes"),
        )
        .select_from(
            calendar.join(capacity, cap.weekday == calendar.c.weekday).join(
                locations, locations.c.location_id == cap.location_id
            )
        )
        .where(
            day.between(first, last),
            cap.location_id.in_(selected),
            cap.effective_from <= day,
            or_(cap.effective_to.is_(None), cap.effective_to >= day),
            or_(locations.c.opened_on.is_(None), locations.c.opened_on <= day),
            or_(locations.c.closed_on.is_(None), locations.c.closed_on >= day),
            ~closed,
        )
        .group_by(week, cap.location_id)
    )
    return {(row.week, row.location_id): int(row.minutes) for row in conn.execute(stmt)}


def _whole_weeks(start: date, end: date, week_start: str) -> tuple[date, date]:
    """First and last day of the weeks holding `start`..`end`; ValueError for bad arguments."""
    week_column(week_start)  # ValueError unless `mon` or `sun`
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return week_range(start, end, week_start)


def _response_seconds(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> pd.DataFrame:
    """One read of the period's contacted requests (three narrow columns) serves every grouping:
    medians by window-function sorts in the database were the slowest part of the report."""
    c = consultations.c
    stmt = (
        select(week.label("week"), c.location_id, c.response_minutes)
        .select_from(consultations.join(calendar, calendar.c.day == c.received_date))
        .where(
            c.location_id.in_(selected),
            c.received_date.between(first, last),
            c.response_minutes.is_not(None),
        )
    )
    # Columns from plain tuples: building a frame from result rows probes each for attributes.
    found = [tuple(row) for row in conn.execute(stmt)]
    names = ("week", "location_id", "minutes")
    rows = pd.DataFrame({name: [row[n] for row in found] for n, name in enumerate(names)})
    # Timestamps carry whole seconds, so each stored float is an exact count of seconds / 60.
    rows["seconds"] = (rows["minutes"].astype("float64") * 60).round().astype("int64")
    return rows[["week", "location_id", "seconds"]]


def _response_medians(rows: pd.DataFrame) -> dict[Key, Fraction]:
    """Median response minutes per `week` and location, and per `week` over all rows (`ALL`).

    In whole seconds twice a median is an exact integer, and a half-way median (33.65) stays
    exact for rounding.
    """
    medians: dict[Key, Fraction] = {}
    for key, median in rows.groupby(["week", "location_id"])["seconds"].median().items():
        medians[key] = Fraction(round(median * 2), 120)
    for week_day, median in rows.groupby("week")["seconds"].median().items():
        medians[(week_day, ALL)] = Fraction(round(median * 2), 120)
    return medians


def _row(week_day: date, location_id: str, counts: dict[str, int], median: Fraction | None) -> dict:
    """One report row from summed counts, by the registry's formulas; the median is taken over
    the requests themselves (`_response_medians`)."""
    summed = dict.fromkeys(SUMMED_COUNTS, 0) | counts
    row: dict = {"week_start": week_day, "location_id": location_id}
    for metric in METRICS:
        if metric.name == MEDIAN.name:
            row[metric.name] = None if median is None else MEDIAN.rounded(median)
        else:
            row[metric.name] = metric.value(summed)
    return row


def _frame(rows: list[dict]) -> pd.DataFrame:
    # Built column by column in its final dtype: a frame of dicts converted afterwards cost
    # several times as much, a large part of a loaded server's time (docs/performance.md).
    kinds = {c.name: c.kind for c in WEEKLY_COLUMNS}
    columns = {}
    for name in WEEKLY_COLUMN_NAMES:
        values = [row[name] for row in rows]
        if kinds.get(name) == "count":
            columns[name] = np.array(values, dtype="int64")
        elif kinds.get(name) == "ratio":
            columns[name] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        else:
            columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, columns=list(WEEKLY_COLUMN_NAMES))
