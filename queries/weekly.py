"""The weekly report (spec/metrics.md): one function every consumer reads, and its command line.

Counts come from `daily_location_stats` and available room-minutes from capacity x calendar,
aggregated in SQL. The median response time cannot be summed from days: it is taken over the
period's contacted requests (one narrow read) in whole seconds. Python lays out the grid (every
week x every selected location, plus `ALL`) and rounds exact integer ratios.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, exists, func, or_, select

from queries.db import default_url, open_database
from queries.metric_definitions import (
    METRICS,
    SUMMED_COUNTS,
    WEEKLY_COLUMN_NAMES,
    WEEKLY_COLUMNS,
    column,
)
from queries.page_filters import week_range
from queries.report_files import report_filters
from queries.safe_export import safe_weekly_csv_bytes, safe_weekly_xlsx_bytes
from queries.schema import (
    calendar,
    capacity,
    closures,
    consultations,
    daily_location_stats,
    locations,
)
from queries.scope import EVERYTHING, Scope
from queries.vocabulary import ALL

MEDIAN = column("median_response_minutes")
WEEK_COLUMNS = {"mon": calendar.c.week_mon, "sun": calendar.c.week_sun}

Key = tuple[date, str]


def weekly_metrics(
    conn: Connection,
    *,
    scope: Scope,
    locations: Sequence[str] | None,
    start: date,
    end: date,
    week_start: str = "mon",
    response_rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The weekly report for the weeks holding `start`..`end`: the spec's 19 columns, in order.

    `locations=None` asks for every location; `scope` narrows what is read, and `ALL` pools only
    the locations read. Unknown location ids raise ValueError. `response_rows`, if given, is
    `response_seconds` for the same arguments, and the requests are not read again.
    """
    first, last = _whole_weeks(start, end, week_start)
    selected = _selected_locations(conn, scope, locations)
    week = WEEK_COLUMNS[week_start]
    weeks = [first + timedelta(days=7 * n) for n in range((last - first).days // 7 + 1)]

    totals = _day_stat_sums(conn, week, selected, first, last)
    for key, minutes in _available_minutes(conn, week, selected, first, last).items():
        totals.setdefault(key, {})["available_minutes"] = minutes
    if response_rows is None:
        response_rows = _response_seconds(conn, week, selected, first, last)
    medians = _response_medians(response_rows)

    rows = []
    for week_day in weeks if selected else []:
        pooled = dict.fromkeys(SUMMED_COUNTS, 0)
        for location_id in selected:
            counts = totals.get((week_day, location_id), {})
            for name in SUMMED_COUNTS:
                pooled[name] += counts.get(name, 0)
            rows.append(_row(week_day, location_id, counts, medians.get((week_day, location_id))))
        rows.append(_row(week_day, ALL, pooled, medians.get((week_day, ALL))))
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
    return sorted(known) if narrowed is None else [loc for loc in narrowed if loc in known]


def _day_stat_sums(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> dict[Key, dict[str, int]]:
    s = daily_location_stats.c
    names = [name for name in SUMMED_COUNTS if name in s]
    stmt = (
        select(
            week.label("week"), s.location_id, *(func.sum(s[name]).label(name) for name in names)
        )
        .select_from(daily_location_stats.join(calendar, calendar.c.day == s.day))
        .where(s.location_id.in_(selected), s.day.between(first, last))
        .group_by(week, s.location_id)
    )
    # Sums by position: looking each up by name on every row took about 30 ms of the 0.27 s of
    # a 26-week report for 200 locations.
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
    if week_start not in WEEK_COLUMNS:
        raise ValueError(f"week_start must be one of {sorted(WEEK_COLUMNS)}, not {week_start!r}")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return week_range(start, end, week_start)


def response_seconds(
    conn: Connection,
    *,
    scope: Scope,
    locations: Sequence[str] | None,
    start: date,
    end: date,
    week_start: str = "mon",
) -> pd.DataFrame:
    """The contacted requests the medians are taken over, for the weeks holding `start`..`end`:
    `week`, `location_id`, `seconds` (whole seconds to first contact).

    Read once, it serves `weekly_metrics` and `period.period_metrics` for the same arguments
    (their `response_rows`), so a page showing both reads the requests once.
    """
    first, last = _whole_weeks(start, end, week_start)
    selected = _selected_locations(conn, scope, locations)
    return _response_seconds(conn, WEEK_COLUMNS[week_start], selected, first, last)


def _response_seconds(
    conn: Connection, week, selected: list[str], first: date, last: date
) -> pd.DataFrame:
    """One read of the period's contacted requests (three narrow columns) serves every grouping;
    two window-function sorts in the database took most of the report's time at network scale."""
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
    frame = pd.DataFrame(rows, columns=list(WEEKLY_COLUMN_NAMES))
    dtypes = {
        c.name: ("int64" if c.kind == "count" else "float64")
        for c in WEEKLY_COLUMNS
        if c.kind in ("count", "ratio")
    }
    return frame.astype(dtypes).astype({"week_start": object, "location_id": object})


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m queries.weekly", description="Write the weekly metrics report."
    )
    parser.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or data/)")
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument(
        "--location",
        action="append",
        dest="locations",
        help="location id (repeatable; default all)",
    )
    parser.add_argument("--week-start", choices=sorted(WEEK_COLUMNS), default="mon")
    parser.add_argument("--format", choices=("csv", "xlsx"), help="default: from --out's suffix")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument(
        "--suppress-small-counts",
        action="store_true",
        help="for sharing outside the clinic: counts 1-10 become <11, rates from them blank",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the report for `--start`..`--end` to `--out` as CSV or XLSX."""
    args = _parse_args(argv)
    fmt = args.format or ("xlsx" if args.out.suffix.lower() == ".xlsx" else "csv")
    engine = open_database(args.db or default_url())
    try:
        with engine.connect() as conn:
            frame = weekly_metrics(
                conn,
                scope=EVERYTHING,
                locations=args.locations,
                start=args.start,
                end=args.end,
                week_start=args.week_start,
            )
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    finally:
        engine.dispose()
    if fmt == "csv":
        data = safe_weekly_csv_bytes(frame, suppress_small=args.suppress_small_counts)
    else:
        filters = report_filters(
            frame,
            start=args.start,
            end=args.end,
            week_start=args.week_start,
            generated_at=datetime.now(UTC),
        )
        data = safe_weekly_xlsx_bytes(
            frame, filters=filters, suppress_small=args.suppress_small_counts
        )
    args.out.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
