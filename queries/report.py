"""The report core: the weekly report's metrics for the selected locations and their pooled `ALL`,
per week (queries/weekly.py) or over the whole period (queries/period.py).

`report_counts` reads a selection once: counts from `daily_location_stats` and available
room-minutes from capacity x calendar, summed per week and location in SQL, and the response
times each day keeps (`response_seconds`, whole seconds), joined per week and location in SQL and
read as one text per group. The median cannot be summed from days; it is taken exactly over
those times. `metrics_columns` lays out the grid (every bucket x every selected location, plus
`ALL`) and computes each column for every row at once by the registry's formula
(queries/metric_definitions.py), from the weekly sums or, for the whole period, their sum.

No pandas here: the command line's CSV report is written from these columns without it.
"""

import functools
from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple, Unpack

import numpy as np
from sqlalchemy import ColumnElement, Connection, Select, bindparam, exists, func, or_, select

from queries.metric_definitions import (
    DAILY_COUNTS,
    METRICS,
    RESPONSE_SECONDS,
    SUMMED_COUNTS,
    column,
    round_half_up_array,
)
from queries.page_filters import PeriodArgs, week_column, week_range
from queries.schema import (
    calendar,
    capacity,
    closures,
    daily_location_stats,
    locations,
)
from queries.scope import EVERY_LOCATION, Scope
from queries.sql_functions import comma_joined
from queries.vocabulary import ALL

MEDIAN = column("median_response_minutes")

Key = tuple[date, str]


class Responses(NamedTuple):
    """The response times a selection's medians are taken over, one entry per contacted request:
    the position of its week among the counts' weeks, of its location among the counts'
    locations, and its seconds. Plain arrays: fewer weeks of them (`ReportCounts.of_weeks`, three
    times a manager's first view) are one mask, not a frame filtered and its labels redone."""

    week: np.ndarray
    place: np.ndarray
    seconds: np.ndarray


class ReportCounts(NamedTuple):
    """What a selection's report tables are computed from, read once: the whole weeks `first` to
    `last`, the locations read, the summed counts (`SUMMED_COUNTS`, in that order) per week and
    location as an array indexed [week, location, count], and the response times the medians
    are taken over (`Responses`).

    The weekly table and the whole-period table both come from it (the Overview shows both):
    the period's counts are its weeks' sums, its medians are taken over all its weeks' times.
    """

    first: date
    last: date
    selected: list[str]
    totals: np.ndarray
    responses: Responses

    @property
    def weeks(self) -> list[date]:
        return [self.first + timedelta(days=7 * n) for n in range(len(self.totals))]

    def of_weeks(self, first: date, last: date) -> "ReportCounts":
        """The same counts for fewer whole weeks: from the week starting `first` to the week
        ending `last`."""
        whole = (first - self.first).days % 7 == 0 and (self.last - last).days % 7 == 0
        if not (whole and self.first <= first < last <= self.last):
            raise ValueError(f"{first}..{last} are not whole weeks of {self.first}..{self.last}")
        skipped, kept_weeks = (first - self.first).days // 7, (last - first).days // 7 + 1
        totals = self.totals[skipped : skipped + kept_weeks]
        week, place, seconds = self.responses
        inside = (week >= skipped) & (week < skipped + kept_weeks)
        kept = Responses(week[inside] - skipped, place[inside], seconds[inside])
        return ReportCounts(first, last, self.selected, totals, kept)


def report_counts(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> ReportCounts:
    """The counts and response times of the weeks holding `start`..`end`, per week and location.

    `locations=None` asks for every location; `scope` narrows what is read. Unknown location ids
    raise ValueError."""
    first, last = _whole_weeks(period["start"], period["end"], week_start)
    selected = _selected_locations(conn, period["scope"], period["locations"])
    week = week_column(week_start)
    totals = np.zeros(((last - first).days // 7 + 1, len(selected), len(SUMMED_COUNTS)), "int64")
    at_week = {first + timedelta(days=7 * n): n for n in range(len(totals))}
    at_location = {location_id: n for n, location_id in enumerate(selected)}
    sums = _day_stat_sums(conn, week, selected, first, last)
    weeks, places = _cells(sums, at_week, at_location)
    counted = np.array([c for *_, c in sums], "int64").reshape(len(sums), len(DAILY_COUNTS))
    totals[weeks, places, : len(DAILY_COUNTS)] = counted
    minutes = _available_minutes(conn, week, selected, first, last)
    weeks, places = _cells(minutes, at_week, at_location)
    available = SUMMED_COUNTS.index("available_minutes")
    totals[weeks, places, available] = np.array([m for *_, m in minutes], "int64")
    responses = _response_seconds(conn, week, selected, first, last, (at_week, at_location))
    return ReportCounts(first, last, selected, totals, responses)


def _cells(rows: list[tuple], at_week: dict, at_location: dict) -> tuple[np.ndarray, np.ndarray]:
    """The [week, location] positions of rows that start with (week, location_id)."""
    weeks = np.fromiter((at_week[row[0]] for row in rows), "int64", len(rows))
    return weeks, np.fromiter((at_location[row[1]] for row in rows), "int64", len(rows))


def metrics_columns(counts: ReportCounts, *, whole_period: bool = False) -> dict[str, Sequence]:
    """The report's 19 columns by name (`WEEKLY_COLUMN_NAMES`), as arrays: for each bucket, one
    row per selected location, then `ALL` pooling them. A bucket is a week, or `whole_period`
    the whole period (its `week_start` is the first week's). Callers that read a few values (the
    Overview's cards, "Needs attention") or write a CSV file build no frame of them.
    """
    if not counts.selected:
        nothing = np.zeros(0, "int64")
        return _columns([], [], dict.fromkeys(SUMMED_COUNTS, nothing), nothing)
    totals, buckets = counts.totals, counts.weeks
    if whole_period:
        totals, buckets = totals.sum(axis=0, keepdims=True), [counts.first]
    # Each bucket's locations, then ALL pooling them: rows in the report's order.
    table = np.concatenate([totals, totals.sum(axis=1, keepdims=True)], axis=1)
    summed = table.reshape(-1, len(SUMMED_COUNTS))
    places = [*counts.selected, ALL]
    twice = _twice_medians(counts, len(buckets), whole_period).reshape(-1)
    return _columns(
        [day for day in buckets for _ in places],
        places * len(buckets),
        {name: summed[:, n] for n, name in enumerate(SUMMED_COUNTS)},
        twice,
    )


_LOCATION_IDS = select(locations.c.location_id)
_REQUESTED = bindparam("requested", expanding=True)
# The requested ids that exist: a one-location read looks up its own id, not all of them.
_REQUESTED_IDS = _LOCATION_IDS.where(locations.c.location_id.in_(_REQUESTED))
# The report's statements are built once per week column, their locations and days bound at
# each run: building a statement and its cache key on every run cost more than SQLite's work
# on a one-location read.
_SELECTED = bindparam("selected", expanding=True)
_FIRST, _LAST = bindparam("first"), bindparam("last")


def _bound(selected: list[str], first: date, last: date) -> dict[str, object]:
    return {"selected": selected, "first": first, "last": last}


def _selected_locations(
    conn: Connection, scope: Scope, requested: Sequence[str] | None
) -> list[str]:
    if requested is None:
        known = set(conn.scalars(_LOCATION_IDS))
    else:
        known = set(conn.scalars(_REQUESTED_IDS, {"requested": list(requested)}))
        unknown = sorted(set(requested) - known)
        if unknown:
            raise ValueError("unknown location ids: " + ", ".join(unknown))
    narrowed = scope.narrow(requested)
    if narrowed is EVERY_LOCATION:
        return sorted(known)
    return [loc for loc in narrowed if loc in known]


def _day_stat_sums(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> list[tuple[date, str, tuple[int, ...]]]:
    """`DAILY_COUNTS` summed per week and location, in that order."""
    rows = conn.execute(_day_stat_sums_statement(week), _bound(selected, first, last))
    # Sums by position: looking each up by name on every row is a noticeable share of a
    # network-scale report (docs/performance.md).
    return [(week_day, location_id, tuple(sums)) for week_day, location_id, *sums in rows]


@functools.cache
def _day_stat_sums_statement(week: ColumnElement) -> Select:
    s = daily_location_stats.c
    names = list(DAILY_COUNTS)
    return (
        select(
            week.label("week"), s.location_id, *(func.sum(s[name]).label(name) for name in names)
        )
        .select_from(daily_location_stats.join(calendar, calendar.c.day == s.day))
        .where(s.location_id.in_(_SELECTED), s.day.between(_FIRST, _LAST))
        .group_by(week, s.location_id)
    )


def _available_minutes(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> list[tuple[date, str, int]]:
    """Room-minutes per week and location: capacity rows that hold on each calendar day."""
    rows = conn.execute(_available_minutes_statement(week), _bound(selected, first, last))
    return [(week_day, location_id, int(minutes)) for week_day, location_id, minutes in rows]


@functools.cache
def _available_minutes_statement(week: ColumnElement) -> Select:
    cap, day = capacity.c, calendar.c.day
    closed = exists().where(closures.c.location_id == cap.location_id, closures.c.day == day)
    return (
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
            day.between(_FIRST, _LAST),
            cap.location_id.in_(_SELECTED),
            cap.effective_from <= day,
            or_(cap.effective_to.is_(None), cap.effective_to >= day),
            or_(locations.c.opened_on.is_(None), locations.c.opened_on <= day),
            or_(locations.c.closed_on.is_(None), locations.c.closed_on >= day),
            ~closed,
        )
        .group_by(week, cap.location_id)
    )


def _whole_weeks(start: date, end: date, week_start: str) -> tuple[date, date]:
    """First and last day of the weeks holding `start`..`end`; ValueError for bad arguments."""
    week_column(week_start)  # ValueError unless `mon` or `sun`
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return week_range(start, end, week_start)


def _response_seconds(
    conn: Connection, week, selected: list[str], first: date, last: date, at: tuple[dict, dict]
) -> Responses:
    """The period's response times, one per contacted request, by the positions of their week
    and location (`at`: each week's and each location's position): the days' texts joined per
    week and location in the database, so a whole network's year is about ten thousand short
    rows, not every request (docs/performance.md)."""
    groups = conn.execute(_response_seconds_statement(week), _bound(selected, first, last)).all()
    texts = [text for _week, _location, text in groups]
    counts = np.fromiter((text.count(",") + 1 for text in texts), dtype=np.int64, count=len(texts))
    seconds = np.fromstring(",".join(texts), dtype=np.int64, sep=",") if texts else np.array([])
    if len(seconds) != counts.sum():
        raise ValueError("stored response times are not comma-separated whole seconds")
    weeks, places = _cells(groups, *at)
    return Responses(np.repeat(weeks, counts), np.repeat(places, counts), seconds.astype("int64"))


@functools.cache
def _response_seconds_statement(week: ColumnElement) -> Select:
    s = daily_location_stats.c
    return (
        select(week.label("week"), s.location_id, comma_joined(s[RESPONSE_SECONDS]))
        .select_from(daily_location_stats.join(calendar, calendar.c.day == s.day))
        .where(
            s.location_id.in_(_SELECTED),
            s.day.between(_FIRST, _LAST),
            s[RESPONSE_SECONDS].is_not(None),
        )
        .group_by(week, s.location_id)
    )


# Group codes above the seconds in one int64 sort key: response times stay far below 2**40 s.
SORT_SHIFT = 40


def _twice_medians(counts: ReportCounts, buckets: int, whole_period: bool) -> np.ndarray:
    """Twice the median response seconds per bucket and location, then `ALL` pooling the
    bucket's times, as an array [bucket, place] (-1 where there is none).

    In whole seconds twice a median is an exact integer (the sum of the two middle values), so a
    half-way median (33.65 minutes) stays exact for rounding.
    """
    places = len(counts.selected) + 1
    week, place, seconds = counts.responses
    if len(seconds) and (seconds.min() < 0 or seconds.max() >= 1 << SORT_SHIFT):
        raise ValueError("a stored response time is out of range")
    bucket = np.zeros(len(seconds), dtype="int64") if whole_period else week
    twice = np.full((buckets, places), -1, dtype="int64")
    for group, size in ((bucket * places + place, buckets * places), (bucket, buckets)):
        ordered = np.sort((group << SORT_SHIFT) | seconds) & ((1 << SORT_SHIFT) - 1)
        sizes = np.bincount(group, minlength=size)
        starts = np.cumsum(sizes) - sizes
        found = np.flatnonzero(sizes)
        middle = ordered[starts[found] + (sizes[found] - 1) // 2]
        middle = middle + ordered[starts[found] + sizes[found] // 2]
        if size == buckets:  # ALL: the bucket's every time
            twice[found, places - 1] = middle
        else:
            twice.reshape(-1)[found] = middle
    return twice


def _columns(
    week_days: list[date], places: list[str], summed: dict[str, np.ndarray], twice: np.ndarray
) -> dict[str, Sequence]:
    """The report's columns, each computed for every row at once by the registry's formula from
    the summed counts; the median from twice its seconds (-1: none)."""
    columns: dict[str, Sequence] = {
        "week_start": np.array(week_days, dtype=object),
        "location_id": np.array(places, dtype=object),
    }
    for metric in METRICS:
        if metric.name == MEDIAN.name:
            present = twice >= 0
            minutes = round_half_up_array(twice, 120, MEDIAN.decimals or 0)
            columns[metric.name] = np.where(present, minutes, np.nan)
        elif metric.kind == "count":
            columns[metric.name] = np.asarray(metric.values(summed), dtype="int64")
        else:
            columns[metric.name] = np.asarray(metric.values(summed), dtype="float64")
    return columns
