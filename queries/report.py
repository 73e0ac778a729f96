"""The report core: the weekly report's metrics for the selected locations and their pooled `ALL`,
per week (queries/weekly.py) or over the whole period (queries/period.py).

Counts come from `daily_location_stats` and available room-minutes from capacity x calendar,
aggregated in SQL. The median response time cannot be summed from days: it is taken over the
response times each day keeps (`response_seconds`, whole seconds), joined per week and location
in SQL and read as one text per group. Python lays out the grid (every
bucket x every selected location, plus `ALL`) and computes each metric from the summed counts by
the registry's formula (queries/metric_definitions.py).
"""

from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import NamedTuple, Unpack

import numpy as np
import pandas as pd
from sqlalchemy import Connection, exists, func, or_, select

from queries.derived import comma_joined
from queries.metric_definitions import (
    DAILY_COUNTS,
    METRICS,
    RESPONSE_SECONDS,
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
    daily_location_stats,
    locations,
)
from queries.scope import EVERY_LOCATION, Scope
from queries.vocabulary import ALL

MEDIAN = column("median_response_minutes")

Key = tuple[date, str]


class ReportCounts(NamedTuple):
    """What a selection's report tables are computed from, read once: the whole weeks `first` to
    `last`, the locations read, the summed counts per week and location (`SUMMED_COUNTS`), and
    the response times (`week`, `location_id`, `seconds`) the medians are taken over.

    The weekly table and the whole-period table both come from it (the Overview shows both):
    the period's counts are its weeks' sums, its medians are taken over all its weeks' times.
    """

    first: date
    last: date
    selected: list[str]
    totals: dict[Key, dict[str, int]]
    responses: pd.DataFrame

    def of_weeks(self, first: date, last: date) -> "ReportCounts":
        """The same counts for fewer whole weeks: from the week starting `first` to the week
        ending `last`."""
        whole = (first - self.first).days % 7 == 0 and (self.last - last).days % 7 == 0
        if not (whole and self.first <= first < last <= self.last):
            raise ValueError(f"{first}..{last} are not whole weeks of {self.first}..{self.last}")
        totals = {key: sums for key, sums in self.totals.items() if first <= key[0] <= last}
        weeks = self.responses["week"]
        inside = weeks.isin([week for week in weeks.cat.categories if first <= week <= last])
        kept = self.responses[inside.to_numpy()].reset_index(drop=True)
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
    totals = _day_stat_sums(conn, week, selected, first, last)
    for key, minutes in _available_minutes(conn, week, selected, first, last).items():
        totals.setdefault(key, {})["available_minutes"] = minutes
    responses = _response_seconds(conn, week, selected, first, last)
    return ReportCounts(first, last, selected, totals, responses)


def metrics_table(
    conn: Connection,
    *,
    week_start: str = "mon",
    whole_period: bool = False,
    counts: ReportCounts | None = None,
    **period: Unpack[PeriodArgs],
) -> pd.DataFrame:
    """The report's 19 columns for the whole weeks holding `start`..`end`: for each bucket, one
    row per selected location, then `ALL` pooling them. A bucket is a week, or `whole_period`
    the whole period (its `week_start` is the first week's).

    `locations=None` asks for every location; `scope` narrows what is read, and `ALL` pools only
    the locations read. Unknown location ids raise ValueError. `counts`, if given, is
    `report_counts` for the same arguments, and nothing is read again.
    """
    if counts is None:
        counts = report_counts(conn, week_start=week_start, **period)
    first, last, selected = counts.first, counts.last, counts.selected
    if whole_period:
        buckets = [first]
        totals: dict[Key, dict[str, int]] = {}
        for (_week, location_id), sums in counts.totals.items():
            pooled = totals.setdefault((first, location_id), {})
            for name, value in sums.items():
                pooled[name] = pooled.get(name, 0) + value
        medians = _response_medians(counts.responses, one_bucket=first)
    else:
        buckets = [first + timedelta(days=7 * n) for n in range((last - first).days // 7 + 1)]
        totals = counts.totals
        medians = _response_medians(counts.responses)

    rows = []
    for day in buckets if selected else []:
        pooled = dict.fromkeys(SUMMED_COUNTS, 0)
        for location_id in selected:
            counted = totals.get((day, location_id), {})
            for name in SUMMED_COUNTS:
                pooled[name] += counted.get(name, 0)
            rows.append(_row(day, location_id, counted, medians.get((day, location_id))))
        rows.append(_row(day, ALL, pooled, medians.get((day, ALL))))
    return _frame(rows)


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
    """The period's response times, `week`, `location_id`, `seconds`, one row per contacted
    request: the days' texts joined per week and location in the database, so a whole network's
    year is about ten thousand short rows, not every request (docs/performance.md)."""
    s = daily_location_stats.c
    stmt = (
        select(week.label("week"), s.location_id, comma_joined(s[RESPONSE_SECONDS]))
        .select_from(daily_location_stats.join(calendar, calendar.c.day == s.day))
        .where(
            s.location_id.in_(selected),
            s.day.between(first, last),
            s[RESPONSE_SECONDS].is_not(None),
        )
        .group_by(week, s.location_id)
    )
    groups = conn.execute(stmt).all()
    texts = [text for _week, _location, text in groups]
    counts = np.fromiter((text.count(",") + 1 for text in texts), dtype=np.int64, count=len(texts))
    seconds = np.fromstring(",".join(texts), dtype=np.int64, sep=",") if texts else np.array([])
    if len(seconds) != counts.sum():
        raise ValueError("stored response times are not comma-separated whole seconds")
    # Categorical keys: a few thousand labels and integer codes, cheap to copy out of a cache.
    rows = pd.DataFrame(
        {
            "week": _repeated([week_day for week_day, _loc, _text in groups], counts),
            "location_id": _repeated([location for _week, location, _text in groups], counts),
            "seconds": seconds.astype("int64"),
        }
    )
    return rows


def _repeated(labels: list, counts: np.ndarray) -> pd.Categorical:
    codes, categories = pd.factorize(pd.Series(labels, dtype=object))
    return pd.Categorical.from_codes(np.repeat(codes, counts), categories=categories)


def _response_medians(rows: pd.DataFrame, one_bucket: date | None = None) -> dict[Key, Fraction]:
    """Median response minutes per `week` and location, and per `week` over all rows (`ALL`);
    with `one_bucket`, over all the weeks together, keyed by that day.

    In whole seconds twice a median is an exact integer (the two middle values' sum), and a
    half-way median (33.65) stays exact for rounding.
    """
    medians: dict[Key, Fraction] = {}
    seconds = rows["seconds"].to_numpy()
    if one_bucket is None:
        weeks, week_days = pd.factorize(rows["week"])
        week_days = list(week_days)
    else:
        # No rows, no bucket: a median of nothing is empty.
        weeks, week_days = np.zeros(len(rows), dtype="int64"), [one_bucket] if len(rows) else []
    places, location_ids = pd.factorize(rows["location_id"])
    location_ids = list(location_ids)
    for week, twice in enumerate(_twice_medians(weeks, seconds, len(week_days))):
        medians[(week_days[week], ALL)] = Fraction(int(twice), 120)
    pairs, keys = pd.factorize(weeks.astype("int64") * len(location_ids) + places)
    for key, twice in zip(keys.tolist(), _twice_medians(pairs, seconds, len(keys)), strict=True):
        week, place = divmod(key, len(location_ids))
        medians[(week_days[week], location_ids[place])] = Fraction(int(twice), 120)
    return medians


# Group codes above the seconds in one int64 sort key: response times stay far below 2**40 s.
SORT_SHIFT = 40


def _twice_medians(codes: np.ndarray, seconds: np.ndarray, groups: int) -> np.ndarray:
    """Twice each group's median: the sum of its two middle values in sorted order (one value
    twice when the count is odd). Every group has at least one value."""
    if len(seconds) and (seconds.min() < 0 or seconds.max() >= 1 << SORT_SHIFT):
        raise ValueError("a stored response time is out of range")
    ordered = np.sort((codes.astype("int64") << SORT_SHIFT) | seconds) & ((1 << SORT_SHIFT) - 1)
    counts = np.bincount(codes, minlength=groups)
    starts = np.cumsum(counts) - counts
    return ordered[starts + (counts - 1) // 2] + ordered[starts + counts // 2]


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
