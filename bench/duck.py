"""DuckDB over the same contract CSV files: the near-physical limit the benchmark compares against.

`ingest` reads the CSV files into DuckDB tables (what our importer's time is set against), and
`weekly_report` computes the spec's weekly counts from those raw rows in one SQL statement, with
the same integer rounding as `bench.naive`, so its output can be checked against ours. Both are
written as a DuckDB user would write them for speed: the files' column types given, not
sniffed; the query reads only the rows the period can need.
"""

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from bench.naive import COLUMNS
from data.contract import DEFAULT_TIMEZONE, SPECS, Date, Integer, TimeOfDay, Timestamp
from queries.vocabulary import ALL, CONVERSION_WINDOW, OCCUPYING, SERIES_LENGTH, WEEKDAYS

FILES = ("locations", "capacity", "closures", "consultations", "bookings")
# DuckDB's type for each contract column type; every other column is text.
TYPES = {Timestamp: "TIMESTAMPTZ", Date: "DATE", TimeOfDay: "TIME", Integer: "INTEGER"}


def _columns(path: Path, name: str) -> dict[str, str]:
    """The file's columns in its own order (the contract leaves the order free), typed."""
    types = {c.name: TYPES.get(type(c.type), "VARCHAR") for c in SPECS[name].columns}
    with path.open(encoding="utf-8-sig", newline="") as lines:
        header = next(csv.reader(lines))
    return {label.strip().lower(): types.get(label.strip().lower(), "VARCHAR") for label in header}


def ingest(con: duckdb.DuckDBPyConnection, directory: Path) -> int:
    """Create one table per contract CSV file, with the contract's types; returns rows read."""
    # Row order within a table is never relied on: the reader and the writer run in parallel.
    con.execute("SET preserve_insertion_order = false")
    rows = 0
    for name in FILES:
        path = directory / f"{name}.csv"
        # The relation API names the table without building SQL text.
        relation = con.read_csv(
            str(path), header=True, auto_detect=False, sep=",", columns=_columns(path, name)
        )
        relation.create(name)
        rows += len(con.table(name))
    return rows


# Local dates come from the timestamps in each location's time zone (the CSVs carry offsets).
# A location's local days of the period are one span of instants: rows are chosen by comparing
# their instants with its ends, and only the chosen rows are converted, once, to find their
# week. Medians are taken in whole seconds so that twice the median is an exact integer.
# Sequence numbers count a patient's whole history, but only patients with a completed booking
# in the period can have one counted; for them the earliest start of all their completed
# bookings, and the SERIES_LENGTH + 1 earliest of their completed initial ones, say which
# booking is first and which is the last of a series, unless two of those starts are equal:
# only then is the order by `booking_id` needed, and the patient's bookings are numbered.
WEEKLY_SQL = """
WITH
loc AS (
  SELECT location_id, tz, opened_on, closed_on,
    timezone(tz, CAST($first AS TIMESTAMP)) AS since,
    timezone(tz, CAST($last AS TIMESTAMP) + INTERVAL 1 DAY) AS until
  FROM (SELECT *, coalesce(timezone, $default_timezone) AS tz FROM locations)),
req AS (
  SELECT c.location_id,
    CAST(date_trunc('week', timezone(l.tz, c.received_at)) AS DATE) AS week_start,
    epoch(c.first_contact_at) - epoch(c.received_at) AS response_seconds
  FROM consultations c JOIN loc l
    ON c.location_id = l.location_id AND c.received_at >= l.since AND c.received_at < l.until
  WHERE c.received_at BETWEEN $low AND $high),
consult AS (
  SELECT c.location_id,
    CAST(date_trunc('week', timezone(l.tz, c.consult_at)) AS DATE) AS week_start,
    EXISTS (SELECT 1 FROM bookings b
            WHERE b.patient_ref = c.patient_ref AND b.status = 'completed'
              AND b.starts_at BETWEEN $low AND $high + to_seconds($window_seconds)
              AND b.starts_at BETWEEN c.consult_at AND c.consult_at + to_seconds($window_seconds))
      AS converted
  FROM consultations c JOIN loc l
    ON c.location_id = l.location_id AND c.consult_at >= l.since AND c.consult_at < l.until
  WHERE c.consult_status = 'completed' AND c.consult_at BETWEEN $low AND $high),
book AS (
  SELECT b.location_id, b.status, b.kind, b.duration_minutes,
    CAST(date_trunc('week', timezone(l.tz, b.starts_at)) AS DATE) AS week_start
  FROM bookings b JOIN loc l
    ON b.location_id = l.location_id AND b.starts_at >= l.since AND b.starts_at < l.until
  WHERE b.starts_at BETWEEN $low AND $high),
history AS NOT MATERIALIZED (
  SELECT patient_ref, booking_id, location_id, kind, starts_at FROM bookings
  WHERE status = 'completed' AND starts_at <= $high
    AND patient_ref IN (SELECT patient_ref FROM bookings
                        WHERE status = 'completed' AND starts_at BETWEEN $low AND $high)),
earliest AS (
  SELECT *,
    coalesce(firsts[1] = firsts[2]
             OR initials[$series_length - 1] = initials[$series_length]
             OR initials[$series_length] = initials[$series_length + 1], false) AS tied
  FROM (SELECT patient_ref, min(starts_at, 2) AS firsts,
          arg_min(location_id, starts_at) AS first_location,
          min(starts_at, $series_length + 1) FILTER (kind = 'initial') AS initials,
          arg_min(location_id, starts_at, $series_length + 1) FILTER (kind = 'initial')
            AS initial_locations
        FROM history GROUP BY patient_ref)),
numbered AS (
  SELECT location_id, starts_at, kind,
    row_number() OVER (PARTITION BY patient_ref ORDER BY starts_at, booking_id) AS cseq,
    row_number() OVER (PARTITION BY patient_ref, kind = 'initial'
                       ORDER BY starts_at, booking_id) AS kseq
  FROM history WHERE patient_ref IN (SELECT patient_ref FROM earliest WHERE tied)),
milestones AS (
  SELECT first_location AS location_id, firsts[1] AS starts_at, 1 AS new_patients,
    0 AS series_completions
  FROM earliest WHERE NOT tied
  UNION ALL
  SELECT initial_locations[$series_length], initials[$series_length], 0, 1
  FROM earliest WHERE NOT tied AND len(initials) >= $series_length
  UNION ALL
  SELECT location_id, starts_at, CAST(cseq = 1 AS INT),
    CAST(kind = 'initial' AND kseq = $series_length AS INT)
  FROM numbered WHERE cseq = 1 OR (kind = 'initial' AND kseq = $series_length)),
days AS (
  SELECT CAST(d AS DATE) AS day, isodow(d) - 1 AS weekday
  FROM generate_series(CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP), INTERVAL 1 DAY) t(d)),
avail AS (
  SELECT c.location_id, d.day,
    c.rooms * (epoch(c.close_time) - epoch(c.open_time)) / 60 AS available_minutes
  FROM capacity c
  JOIN days d ON d.weekday = list_position($weekdays, lower(c.weekday)) - 1
  JOIN loc l ON l.location_id = c.location_id
  WHERE d.day >= c.effective_from
    AND (c.effective_to IS NULL OR d.day <= c.effective_to)
    AND (l.opened_on IS NULL OR d.day >= l.opened_on)
    AND (l.closed_on IS NULL OR d.day <= l.closed_on)
    AND NOT EXISTS (SELECT 1 FROM closures x
                    WHERE x.location_id = c.location_id AND x.date = d.day)),
parts AS (
  SELECT week_start, location_id, count(*) AS consult_requests,
    count(*) FILTER (response_seconds <= 3600) AS contacted
  FROM req GROUP BY ALL
  UNION ALL BY NAME
  SELECT week_start, location_id, count(*) AS consults_completed,
    count(*) FILTER (converted) AS converted
  FROM consult GROUP BY ALL
  UNION ALL BY NAME
  SELECT week_start, location_id,
    count(*) FILTER (list_contains($occupying, status)) AS infusions_scheduled,
    count(*) FILTER (status = 'completed') AS infusions_completed,
    count(*) FILTER (status = 'no_show') AS no_shows,
    count(*) FILTER (status = 'late_cancel') AS late_cancellations,
    count(*) FILTER (status = 'cancelled') AS cancellations,
    count(*) FILTER (status = 'completed' AND kind = 'booster') AS booster_infusions,
    sum(duration_minutes) FILTER (list_contains($occupying, status)) AS booked_minutes
  FROM book GROUP BY ALL
  UNION ALL BY NAME
  SELECT CAST(date_trunc('week', timezone(l.tz, m.starts_at)) AS DATE) AS week_start,
    m.location_id, sum(m.new_patients) AS new_patients,
    sum(m.series_completions) AS series_completions
  FROM milestones m JOIN loc l
    ON m.location_id = l.location_id AND m.starts_at >= l.since AND m.starts_at < l.until
  GROUP BY ALL
  UNION ALL BY NAME
  SELECT CAST(date_trunc('week', day) AS DATE) AS week_start, location_id,
    sum(available_minutes) AS available_minutes
  FROM avail GROUP BY ALL),
totals AS (
  SELECT week_start, coalesce(location_id, $all) AS location_id,
  sum(consult_requests) AS consult_requests, sum(contacted) AS contacted,
  sum(consults_completed) AS consults_completed, sum(converted) AS converted,
  sum(infusions_scheduled) AS infusions_scheduled,
  sum(infusions_completed) AS infusions_completed, sum(no_shows) AS no_shows,
  sum(late_cancellations) AS late_cancellations, sum(cancellations) AS cancellations,
  sum(new_patients) AS new_patients, sum(booster_infusions) AS booster_infusions,
  sum(series_completions) AS series_completions, sum(booked_minutes) AS booked_minutes,
  sum(available_minutes) AS available_minutes
  FROM parts GROUP BY GROUPING SETS ((week_start, location_id), (week_start))),
medians AS (
  SELECT week_start, coalesce(location_id, $all) AS location_id,
    quantile_cont(response_seconds, 0.5) * 2 AS twice_median
  FROM req GROUP BY GROUPING SETS ((week_start, location_id), (week_start)))
SELECT * FROM totals LEFT JOIN medians USING (week_start, location_id)
"""


def weekly_report(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """The spec's 19 columns for every location, Monday weeks holding `start`..`end`."""
    first = start - timedelta(days=start.weekday())
    last = end - timedelta(days=end.weekday()) + timedelta(days=6)
    day = timedelta(days=1)
    words = {
        "all": ALL,
        "default_timezone": DEFAULT_TIMEZONE,
        "weekdays": list(WEEKDAYS),
        "occupying": list(OCCUPYING),
        "series_length": SERIES_LENGTH,
        "window_seconds": int(CONVERSION_WINDOW.total_seconds()),
    }
    bounds = {
        "first": first,
        "last": last,
        "low": datetime.combine(first - day, time(), UTC),
        "high": datetime.combine(last + 2 * day, time(), UTC),
    }
    counts = con.execute(WEEKLY_SQL, {**bounds, **words}).df()
    return _layout(con, counts, first, last)


def _half_up(numerator: pd.Series, denominator: pd.Series, scale: int) -> pd.Series:
    num = numerator.fillna(0).astype("int64")
    den = denominator.fillna(0).astype("int64")
    safe = den.where(den != 0, 1)
    return ((2 * num + safe) // (2 * safe) / scale).where(den != 0)


def _layout(
    con: duckdb.DuckDBPyConnection, counts: pd.DataFrame, first: date, last: date
) -> pd.DataFrame:
    ids = sorted(r[0] for r in con.execute("SELECT location_id FROM locations").fetchall())
    counts["location_id"] = counts["location_id"].fillna(ALL)
    counts["week_start"] = pd.to_datetime(counts["week_start"])
    weeks = pd.date_range(first, last - timedelta(days=6), freq="7D")
    grid = pd.MultiIndex.from_product([weeks, [*ids, ALL]], names=["week_start", "location_id"])
    n = counts.set_index(["week_start", "location_id"]).reindex(grid)
    twice = n.pop("twice_median")
    n = n.fillna(0).astype("int64")
    out = pd.DataFrame(index=grid)
    out["consult_requests"] = n["consult_requests"]
    out["median_response_minutes"] = ((twice + 6) // 12 / 10).where(twice.notna())
    out["contacted_within_1h_pct"] = _half_up(n["contacted"] * 1000, n["consult_requests"], 10)
    out["consults_completed"] = n["consults_completed"]
    out["consult_conversion_pct"] = _half_up(n["converted"] * 1000, n["consults_completed"], 10)
    for name in (
        "infusions_scheduled",
        "infusions_completed",
        "no_shows",
        "late_cancellations",
        "cancellations",
    ):
        out[name] = n[name]
    held = n["infusions_completed"] + n["no_shows"] + n["late_cancellations"]
    out["no_show_rate_pct"] = _half_up(n["no_shows"] * 1000, held, 10)
    for name in ("new_patients", "booster_infusions", "series_completions"):
        out[name] = n[name]
    sixty = pd.Series(60, index=n.index)
    out["available_room_hours"] = _half_up(n["available_minutes"] * 100, sixty, 100)
    out["booked_room_hours"] = _half_up(n["booked_minutes"] * 100, sixty, 100)
    out["utilization_pct"] = _half_up(n["booked_minutes"] * 1000, n["available_minutes"], 10)
    out = out.reset_index()
    out["week_start"] = out["week_start"].dt.date
    return out[COLUMNS]


def weekly_from_files(directory: Path, *, start: date, end: date) -> pd.DataFrame:
    """Ingest `directory`'s CSV files into an in-memory DuckDB and compute the weekly report."""
    con = duckdb.connect()
    ingest(con, Path(directory))
    return weekly_report(con, start=start, end=end)
