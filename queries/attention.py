"""What needs attention: locations outside a target for enough complete weeks, from the weekly
report's own figures. The one evaluation the Overview, the weekly e-mail and the CLI read.

    python -m queries.attention --db URL [--week DATE] [--location ID]... [--format text|csv]

Rules (docs/metrics.md, "Targets"): a location needs attention on a metric once it has been
outside its target for `weeks` consecutive judged weeks, and stops after one judged week back
inside. A week whose figure rests on too few events, or has no figure, is not judged: it counts
neither way (it neither extends nor breaks a run).
"""

import argparse
import csv
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection

from queries.calendar_table import latest_complete_week
from queries.calendar_table import week_start as week_start_of
from queries.catalog import latest_activity_date, visible_locations
from queries.db import default_url, open_database
from queries.metric_definitions import WEEKLY_COLUMN_NAMES, column, conversion_final_from
from queries.page_filters import week_range
from queries.report import ReportCounts, metrics_columns, report_counts
from queries.scope import EVERYTHING, Scope
from queries.targets import Target, describe, resolved_targets

# How far back a run outside a target is followed: a run longer than this shows as starting here.
LOOKBACK_WEEKS = 26
MIN_BOOKINGS = 20
MIN_REQUESTS = 10


@dataclass(frozen=True)
class Evidence:
    """What a rate rests on: the week is judged only with at least `minimum` of them."""

    noun: str
    minimum: int
    count: Callable[[Mapping], int]


def _denominator(metric: str) -> Callable[[Mapping], int]:
    """A rate's denominator in a report row, by the registry's formula."""
    formula = column(metric).formula
    return lambda row: int(sum(row[name] for name in formula.denominator))


EVIDENCE: dict[str, Evidence] = {
    "no_show_rate_pct": Evidence("bookings held", MIN_BOOKINGS, _denominator("no_show_rate_pct")),
    # The median is taken over the contacted requests among `consult_requests`.
    "median_response_minutes": Evidence(
        "requests", MIN_REQUESTS, _denominator("contacted_within_1h_pct")
    ),
    "contacted_within_1h_pct": Evidence(
        "requests", MIN_REQUESTS, _denominator("contacted_within_1h_pct")
    ),
    "consult_conversion_pct": Evidence(
        "completed consults", MIN_REQUESTS, _denominator("consult_conversion_pct")
    ),
}
STATUS_COLUMNS = [
    "location_id",
    "metric",
    "value",
    "min",
    "max",
    "weeks",
    "target",
    "attention",
    "since",
    "weeks_outside",
    "judged",
    "reason",
]
ATTENTION_COLUMNS = [
    "location_id",
    "metric",
    "label",
    "unit",
    "value",
    "target",
    "min",
    "max",
    "weeks",
    "since",
    "weeks_outside",
]


def attention_status(
    conn: Connection,
    *,
    scope: Scope,
    locations: Sequence[str] | None,
    week: date,
    week_start: str = "mon",
    counts: ReportCounts | None = None,
    targets: Mapping[str, Mapping[str, tuple[Target, str]]] | None = None,
) -> pd.DataFrame:
    """Every selected location and metric with a target, as of the week holding `week`:
    columns `STATUS_COLUMNS`. `judged` says whether that week counted, `reason` why not;
    `since` is the first week of the run outside the target that made it need attention.
    `counts`, if given, is `report_counts` for the same scope and locations over weeks that
    include the `LOOKBACK_WEEKS` to `week`, and the report is not read again; `targets`, if
    given, is `resolved_targets` for the same scope and locations, and they are not read again.
    """
    week = week_start_of(week, week_start)
    if targets is None:
        targets = resolved_targets(conn, scope=scope, locations=locations)
    resolved = targets
    selected = list(resolved)
    if not selected:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    start = week - timedelta(days=7 * (LOOKBACK_WEEKS - 1))
    if counts is None:
        counts = report_counts(
            conn, scope=scope, locations=selected, start=start, end=week, week_start=week_start
        )
    else:
        if sorted(counts.selected) != sorted(selected):
            raise ValueError("the counts given are not of the selected locations")
        counts = counts.of_weeks(*week_range(start, week, week_start))
    # The weekly report's rows (queries/weekly.py) as plain values, without building its frame:
    # week by week, each week's locations in `counts.selected` order, then ALL.
    columns = metrics_columns(counts)
    values = {name: columns[name].tolist() for name in WEEKLY_COLUMN_NAMES}
    places = len(counts.selected) + 1
    at = {location_id: n for n, location_id in enumerate(counts.selected)}
    rows = []
    for location_id, by_metric in resolved.items():
        weeks = [
            {name: values[name][row] for name in WEEKLY_COLUMN_NAMES}
            for row in range(at[location_id], len(values["location_id"]), places)
        ]
        for metric, (target, _source) in by_metric.items():
            rows.append([location_id, metric, *_follow(weeks, metric, target, week)])
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def needs_attention(
    conn: Connection,
    *,
    scope: Scope,
    week: date,
    locations: Sequence[str] | None,
    week_start: str = "mon",
) -> pd.DataFrame:
    """The locations and metrics that need attention as of the week holding `week`, by location
    then metric in report order: columns `ATTENTION_COLUMNS` (`label` and `unit` from the metric
    definitions, `target` in words, `since` the first week of the run outside the target)."""
    status = attention_status(
        conn, scope=scope, locations=locations, week=week, week_start=week_start
    )
    found = status[status["attention"].astype(bool)].copy()
    found["label"] = [column(metric).label for metric in found["metric"]]
    found["unit"] = [column(metric).unit for metric in found["metric"]]
    return found[ATTENTION_COLUMNS].reset_index(drop=True)


def _follow(weeks: list[dict], metric: str, target: Target, week: date) -> list:
    """Walk the weeks in order; the state after the last one is the answer."""
    attention, since, run_start, run = False, None, None, 0
    judged, reason = False, ""
    for row in weeks:
        judged, reason = _judged(row, metric, week)
        if not judged:
            continue
        if target.outside(float(row[metric])):
            run += 1
            run_start = run_start or row["week_start"]
            if not attention and run >= target.weeks:
                attention, since = True, run_start
        else:
            attention, since, run_start, run = False, None, None, 0
    value = weeks[-1][metric] if weeks else None
    value = None if value is None or pd.isna(value) else float(value)
    return [
        value,
        target.min,
        target.max,
        target.weeks,
        describe(target, metric),
        attention,
        since,
        run,
        judged,
        reason,
    ]


def _judged(row: Mapping, metric: str, week: date) -> tuple[bool, str]:
    """Whether a report row's figure of `metric` counts, and if not, why not (in words)."""
    evidence = EVIDENCE.get(metric)
    if evidence is not None:
        found = evidence.count(row)
        if found < evidence.minimum:
            return False, f"{found} {evidence.noun}, fewer than {evidence.minimum}"
    elif not row["available_room_hours"]:
        return False, "no rooms open"
    if metric == "consult_conversion_pct":
        final = conversion_final_from(row["week_start"])
        if final > week + timedelta(days=7):
            return False, f"still rising until {final:%d %b %Y}"
    if pd.isna(row[metric]):
        return False, "no figure"
    return True, ""


def _text(found: pd.DataFrame, week: date, names: Mapping[str, str]) -> str:
    if found.empty:
        return f"Nothing needs attention in the week of {week:%Y-%m-%d}.\n"
    lines = [f"Needs attention in the week of {week:%Y-%m-%d}:"]
    lines += [attention_line(row, names) for row in found.itertuples()]
    return "\n".join(lines) + "\n"


def attention_line(row, names: Mapping[str, str]) -> str:
    """One row of `needs_attention` as a person reads it (the CLI and the weekly e-mail)."""
    value = "no figure" if row.value is None or pd.isna(row.value) else _value(row)
    name = names.get(row.location_id, row.location_id)
    return f"{name}: {row.label} {value}, target {row.target}, outside since {row.since:%Y-%m-%d}"


def _value(row) -> str:
    return f"{row.value:g}%" if row.unit == "%" else f"{row.value:g} {row.unit}".rstrip()


def _csv(found: pd.DataFrame, week: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = ["week_start", "location_id", "metric", "value", "min", "max", "weeks", "since"]
    writer.writerow(names)
    for row in found.itertuples():
        writer.writerow(
            [
                week.isoformat(),
                row.location_id,
                row.metric,
                "" if pd.isna(row.value) else f"{row.value:g}",
                "" if pd.isna(row.min) else f"{row.min:g}",
                "" if pd.isna(row.max) else f"{row.max:g}",
                row.weeks,
                row.since.isoformat(),
            ]
        )
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print what needs attention; exit 0 whether anything does or not."""
    parser = argparse.ArgumentParser(
        prog="python -m queries.attention",
        description="Print the locations and metrics that need attention (outside target).",
    )
    parser.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or data/)")
    parser.add_argument(
        "--week",
        type=date.fromisoformat,
        help="a day of the week to judge, YYYY-MM-DD (default: the latest complete week)",
    )
    parser.add_argument(
        "--location", action="append", dest="locations", help="location id (repeatable)"
    )
    parser.add_argument("--format", choices=("text", "csv"), default="text")
    args = parser.parse_args(argv)
    engine = open_database(args.db or default_url())
    try:
        with engine.connect() as conn:
            week = args.week or latest_complete_week(
                latest_activity_date(conn, scope=EVERYTHING), date.today(), "mon"
            )
            week = week_start_of(week, "mon")
            table = visible_locations(conn, scope=EVERYTHING)
            names = dict(zip(table["location_id"], table["name"], strict=True))
            unknown = sorted(set(args.locations or ()) - set(names))
            if unknown:
                parser.error("unknown location ids: " + ", ".join(unknown))
            found = needs_attention(conn, scope=EVERYTHING, week=week, locations=args.locations)
    finally:
        engine.dispose()
    sys.stdout.write(_csv(found, week) if args.format == "csv" else _text(found, week, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
