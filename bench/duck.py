"""DuckDB over the same contract CSV files: the near-physical limit the benchmark compares against.

`ingest` reads the CSV files into DuckDB tables (what our importer's time is set against), and
`weekly_report` computes the spec's weekly counts from those raw rows in one SQL statement, with
the same integer rounding as `bench.naive`, so its output can be checked against ours.
"""

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from bench.naive import COLUMNS
from queries.vocabulary import ALL, CONVERSION_WINDOW, OCCUPYING, SERIES_LENGTH, WEEKDAYS

FILES = ("locations", "capacity", "closures", "consultations", "bookings")


def ingest(con: duckdb.DuckDBPyConnection, directory: Path) -> int:
    """Create one table per contract CSV file (types detected by DuckDB); returns rows read."""
    rows = 0
    for name in FILES:
        path = directory / f"{name}.csv"
        # The relation API names the table without building SQL text.
        relation = con.read_csv(str(path), header=True)
        relation.create(name)
        rows += len(con.table(name))
    return rows


# Local dates come from the timestamps in each location's time zone (the CSVs carry offsets);
# medians are taken in whole seconds so that twice the median is an exact integer.
WEEKLY_SQL = """
WITH
loc AS (SELECT location_id, coalesce(timezone, 'America/New_York') AS tz,
          CAST(opened_on AS DATE) AS opened_on, CAST(closed_on AS DATE) AS closed_on
        FROM locations),
req AS (
  SELECT c.*, CAST(timezone(l.tz, received_at) AS DATE) AS received_date,
         CAST(timezone(l.tz, consult_at) AS DATE) AS consult_date,
         epoch(first_contact_at) - epoch(received_at) AS response_seconds
  FROM consultations c JOIN loc l USING (location_id)),
book AS (
  SELECT b.*, CAST(timezone(l.tz, starts_at) AS DATE) AS start_date
  FROM bookings b JOIN loc l USING (location_id)),
seq AS (
  SELECT booking_id,
    CASE WHEN status = 'completed' THEN row_number() OVER (
      PARTITION BY patient_ref, status = 'completed' ORDER BY starts_at, booking_id) END AS cseq,
    CASE WHEN status = 'completed' AND kind = 'initial' THEN row_number() OVER (
      PARTITION BY patient_ref, status = 'completed' AND kind = 'initial'
      ORDER BY starts_at, booking_id) END AS iseq
  FROM bookings),
conv AS (
  SELECT DISTINCT r.request_id FROM req r JOIN bookings b
    ON b.patient_ref = r.patient_ref AND b.status = 'completed'
   AND b.starts_at BETWEEN r.consult_at AND r.consult_at + to_days(CAST($window_days AS INT))
  WHERE r.consult_status = 'completed'),
days AS (
  SELECT CAST(d AS DATE) AS day, isodow(d) - 1 AS weekday
  FROM generate_series(CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP), INTERVAL 1 DAY) t(d)),
avail AS (
  SELECT c.location_id, d.day,
    sum(c.rooms * (epoch(CAST(c.close_time AS TIME)) - epoch(CAST(c.open_time AS TIME))) / 60)
      AS available_minutes
  FROM capacity c
  JOIN days d ON d.weekday = list_position($weekdays, lower(c.weekday)) - 1
  JOIN loc l ON l.location_id = c.location_id
  WHERE d.day >= CAST(c.effective_from AS DATE)
    AND (c.effective_to IS NULL OR d.day <= CAST(c.effective_to AS DATE))
    AND (l.opened_on IS NULL OR d.day >= l.opened_on)
    AND (l.closed_on IS NULL OR d.day <= l.closed_on)
    AND NOT EXISTS (SELECT 1 FROM closures x
                    WHERE x.location_id = c.location_id AND CAST(x.date AS DATE) = d.day)
  GROUP BY ALL),
facts AS (
  SELECT location_id, received_date AS day, 1 AS requests,
    CAST(response_seconds <= 3600 AS INT) AS contacted, response_seconds,
    0 AS completed_consults, 0 AS converted, NULL AS status, NULL AS kind, 0 AS minutes,
    NULL AS cseq, NULL AS iseq, 0 AS available_minutes
  FROM req
  UNION ALL
  SELECT location_id, consult_date, 0, 0, NULL, 1, CAST(request_id IN (SELECT * FROM conv) AS INT),
    NULL, NULL, 0, NULL, NULL, 0
  FROM req WHERE consult_status = 'completed' AND consult_date IS NOT NULL
  UNION ALL
  SELECT location_id, start_date, 0, 0, NULL, 0, 0, status, kind, duration_minutes, cseq, iseq, 0
  FROM book JOIN seq USING (booking_id)
  UNION ALL
  SELECT location_id, day, 0, 0, NULL, 0, 0, NULL, NULL, 0, NULL, NULL, available_minutes
  FROM avail),
weekly AS (
  SELECT day - CAST(isodow(day) - 1 AS INT) AS week_start, location_id,
    sum(requests) AS consult_requests, sum(contacted) AS contacted,
    quantile_cont(response_seconds, 0.5) * 2 AS twice_median,
    sum(completed_consults) AS consults_completed, sum(converted) AS converted,
    count(*) FILTER (list_contains($occupying, status)) AS infusions_scheduled,
    count(*) FILTER (status = 'completed') AS infusions_completed,
    count(*) FILTER (status = 'no_show') AS no_shows,
    count(*) FILTER (status = 'late_cancel') AS late_cancellations,
    count(*) FILTER (status = 'cancelled') AS cancellations,
    count(*) FILTER (cseq = 1) AS new_patients,
    count(*) FILTER (status = 'completed' AND kind = 'booster') AS booster_infusions,
    count(*) FILTER (iseq = $series_length) AS series_completions,
    sum(minutes) FILTER (list_contains($occupying, status)) AS booked_minutes,
    sum(available_minutes) AS available_minutes
  FROM facts WHERE day BETWEEN $first AND $last
  GROUP BY GROUPING SETS ((week_start, location_id), (week_start)))
SELECT * FROM weekly
"""


def weekly_report(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """The spec's 19 columns for every location, Monday weeks holding `start`..`end`."""
    first = start - timedelta(days=start.weekday())
    last = end - timedelta(days=end.weekday()) + timedelta(days=6)
    words = {
        "weekdays": list(WEEKDAYS),
        "occupying": list(OCCUPYING),
        "series_length": SERIES_LENGTH,
        "window_days": CONVERSION_WINDOW.days,
    }
    counts = con.execute(WEEKLY_SQL, {"first": first, "last": last, **words}).df()
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
