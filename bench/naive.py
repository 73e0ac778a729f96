"""The weekly report computed the naive way: read the raw rows whole into pandas, then group.

Written independently of the report's code from docs/metrics.md (it shares only the words of
queries/vocabulary.py), over the raw stored columns only (never `completed_seq`, `initial_seq`,
`converted` or `daily_location_stats`). It is the benchmark's
baseline and the tests' reference: rounding is exact integer arithmetic, so the two can be
compared cell for cell. The raw rows come from the database's tables (`read_raw`) or, as an
analyst would take them, from the exported contract CSV files (`read_files`).
"""

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from data.contract import DEFAULT_TIMEZONE, WEEKDAYS
from queries.schema import bookings, capacity, closures, consultations, locations
from queries.vocabulary import ALL, CONVERSION_WINDOW, OCCUPYING, SERIES_LENGTH

COLUMNS = [
    "week_start",
    "location_id",
    "consult_requests",
    "median_response_minutes",
    "contacted_within_1h_pct",
    "consults_completed",
    "consult_conversion_pct",
    "infusions_scheduled",
    "infusions_completed",
    "no_shows",
    "late_cancellations",
    "cancellations",
    "no_show_rate_pct",
    "new_patients",
    "booster_infusions",
    "series_completions",
    "available_room_hours",
    "booked_room_hours",
    "utilization_pct",
]
HELD = list(OCCUPYING)
COUNTS = [
    "consult_requests",
    "contacted",
    "consults_completed",
    "converted",
    "infusions_scheduled",
    "infusions_completed",
    "no_shows",
    "late_cancellations",
    "cancellations",
    "new_patients",
    "booster_infusions",
    "series_completions",
    "booked_minutes",
    "available_minutes",
]


def read_raw(conn: Connection) -> dict[str, pd.DataFrame]:
    """Every raw table, whole, as frames (what a dashboard that 'just uses pandas' does)."""

    def frame(table) -> pd.DataFrame:
        result = conn.execute(select(*(c for c in table.c)))
        return pd.DataFrame(result.all(), columns=list(result.keys()))

    raw = {
        "locations": frame(locations),
        "capacity": frame(capacity),
        "closures": frame(closures),
        "consultations": frame(consultations),
        "bookings": frame(bookings),
    }
    for name, columns in (
        ("consultations", ["received_at", "consult_at", "received_date", "consult_date"]),
        ("bookings", ["starts_at", "start_date"]),
    ):
        for column in columns:
            raw[name][column] = pd.to_datetime(raw[name][column])
    return raw


def read_files(directory: Path) -> dict[str, pd.DataFrame]:
    """The raw rows from contract CSV files, shaped like `read_raw`'s (what an analyst does).

    Timestamps are read as UTC instants (the files carry offsets) and dated in each location's
    time zone; the two big files are read by pandas' Arrow reader, on every core.
    """
    directory = Path(directory)
    sites = pd.read_csv(directory / "locations.csv", dtype=str)
    sites["timezone"] = sites["timezone"].fillna(DEFAULT_TIMEZONE)
    zones = dict(zip(sites["location_id"], sites["timezone"], strict=True))
    cap = pd.read_csv(directory / "capacity.csv", dtype=str)
    cap["weekday"] = cap["weekday"].str.lower().map(WEEKDAYS.index)
    for column in ("open_time", "close_time"):
        hours, minutes = cap[column].str.split(":", expand=True)[[0, 1]].astype("int64").T.values
        cap[column.replace("_time", "_minute")] = hours * 60 + minutes
    cap["rooms"] = cap["rooms"].astype("int64")
    shut = pd.read_csv(directory / "closures.csv", dtype=str).rename(columns={"date": "day"})
    c = pd.read_csv(directory / "consultations.csv", engine="pyarrow")
    b = pd.read_csv(directory / "bookings.csv", engine="pyarrow")
    for frame, columns in (
        (c, ["received_at", "first_contact_at", "consult_at"]),
        (b, ["starts_at", "booked_at"]),
    ):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    c["response_minutes"] = (c["first_contact_at"] - c["received_at"]).dt.total_seconds() / 60
    c["received_date"] = _local_days(c, "received_at", zones)
    c["consult_date"] = _local_days(c, "consult_at", zones)
    b["start_date"] = _local_days(b, "starts_at", zones)
    for frame, columns in ((c, ["received_at", "consult_at"]), (b, ["starts_at"])):
        for column in columns:
            frame[column] = frame[column].dt.tz_convert(None)
    return {
        "locations": sites,
        "capacity": cap,
        "closures": shut,
        "consultations": c,
        "bookings": b,
    }


def _local_days(frame: pd.DataFrame, column: str, zones: dict[str, str]) -> pd.Series:
    """The local day of each UTC instant in `column`, in its row's location's time zone."""
    days = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
    for zone, rows in frame.groupby(frame["location_id"].map(zones)).groups.items():
        local = frame.loc[rows, column].dt.tz_convert(zone).dt.tz_localize(None)
        days.loc[rows] = local.dt.normalize()
    return days


def _half_up(numerator: pd.Series, denominator: pd.Series, scale: int) -> pd.Series:
    """numerator / denominator rounded half up to 1/scale, exactly (integers in, floats out)."""
    num = numerator.astype("int64")
    den = denominator.astype("int64")
    safe = den.where(den != 0, 1)
    value = (2 * num + safe) // (2 * safe) / scale
    return value.where(den != 0)


def _week(days: pd.Series) -> pd.Series:
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def weekly_report(
    raw: dict[str, pd.DataFrame],
    *,
    start: date,
    end: date,
    selected: Sequence[str] | None = None,
    whole_period: bool = False,
) -> pd.DataFrame:
    """The spec's 19 columns for Monday weeks holding `start`..`end`, like `weekly_metrics`.

    `whole_period` puts all those weeks in one bucket (`week_start` = the first), like
    `queries.period.period_metrics`.
    """
    first = pd.Timestamp(start - timedelta(days=start.weekday()))
    last = pd.Timestamp(end - timedelta(days=end.weekday()) + timedelta(days=6))

    def bucket(days: pd.Series) -> pd.Series:
        return pd.Series(first, index=days.index) if whole_period else _week(days)

    ids = sorted(raw["locations"]["location_id"]) if selected is None else sorted(selected)
    c, b = raw["consultations"], raw["bookings"]

    # Sequences over the whole history: a patient's first completed booking may be years back.
    done = b[b["status"] == "completed"].sort_values(["patient_ref", "starts_at", "booking_id"])
    completed_seq = done.groupby("patient_ref").cumcount() + 1
    initials = done[done["kind"] == "initial"]
    initial_seq = initials.groupby("patient_ref").cumcount() + 1
    b = b.assign(
        first_completed=completed_seq.reindex(b.index).eq(1),
        sixth_initial=initial_seq.reindex(b.index).eq(SERIES_LENGTH),
    )

    consulted = c[(c["consult_status"] == "completed") & c["consult_date"].notna()]
    pairs = consulted[["request_id", "patient_ref", "consult_at"]].merge(
        done[["patient_ref", "starts_at"]], on="patient_ref"
    )
    gap = pairs["starts_at"] - pairs["consult_at"]
    hit = pairs[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(CONVERSION_WINDOW))]["request_id"]
    converted = consulted["request_id"].isin(set(hit))

    def in_range(frame: pd.DataFrame, day: str) -> pd.DataFrame:
        keep = frame[day].between(first, last) & frame["location_id"].isin(ids)
        frame = frame[keep]
        return frame.assign(week=bucket(frame[day]))

    requests = in_range(c, "received_date")
    requests = requests.assign(contacted=requests["response_minutes"] <= 60, one=1)
    consults = in_range(consulted.assign(converted=converted), "consult_date").assign(one=1)
    books = in_range(b, "start_date")
    status = books["status"]
    books = books.assign(
        infusions_scheduled=status.isin(HELD),
        infusions_completed=status == "completed",
        no_shows=status == "no_show",
        late_cancellations=status == "late_cancel",
        cancellations=status == "cancelled",
        new_patients=books["first_completed"],
        booster_infusions=(status == "completed") & (books["kind"] == "booster"),
        series_completions=books["sixth_initial"],
        booked_minutes=books["duration_minutes"].where(status.isin(HELD), 0),
    )
    key = ["week", "location_id"]
    parts = [
        requests.groupby(key)[["one", "contacted"]]
        .sum()
        .rename(columns={"one": "consult_requests"}),
        consults.groupby(key)[["one", "converted"]]
        .sum()
        .rename(columns={"one": "consults_completed"}),
        books.groupby(key)[COUNTS[4:13]].sum(),
        _available(raw, ids, first, last, bucket).groupby(key)[["available_minutes"]].sum(),
    ]
    weeks = [first] if whole_period else pd.date_range(first, last, freq="7D")
    grid = pd.MultiIndex.from_product([weeks, ids], names=key)
    counts = pd.concat(parts, axis=1).reindex(grid).fillna(0).astype("int64")[COUNTS]
    pooled = counts.groupby(level="week").sum()
    pooled["location_id"] = ALL
    pooled = pooled.set_index("location_id", append=True)
    table = pd.concat([counts, pooled])

    seconds = requests.dropna(subset=["response_minutes"])
    seconds = seconds.assign(s=(seconds["response_minutes"] * 60).round().astype("int64"))
    twice = seconds.groupby(key)["s"].median() * 2
    twice_all = seconds.groupby("week")["s"].median() * 2
    twice_all.index = pd.MultiIndex.from_arrays(
        [twice_all.index, [ALL] * len(twice_all)], names=key
    )
    medians = pd.concat([twice, twice_all]).reindex(table.index)
    # minutes = twice / 120; one decimal half up: floor(twice / 12 + 1/2) / 10.
    medians = ((medians + 6) // 12 / 10).where(medians.notna())

    n = table
    out = pd.DataFrame(index=table.index)
    out["consult_requests"] = n["consult_requests"]
    out["median_response_minutes"] = medians
    out["contacted_within_1h_pct"] = _half_up(n["contacted"] * 1000, n["consult_requests"], 10)
    out["consults_completed"] = n["consults_completed"]
    out["consult_conversion_pct"] = _half_up(n["converted"] * 1000, n["consults_completed"], 10)
    for name in COUNTS[4:9]:
        out[name] = n[name]
    held = n["infusions_completed"] + n["no_shows"] + n["late_cancellations"]
    out["no_show_rate_pct"] = _half_up(n["no_shows"] * 1000, held, 10)
    for name in ("new_patients", "booster_infusions", "series_completions"):
        out[name] = n[name]
    sixty = pd.Series(60, index=n.index)
    out["available_room_hours"] = _half_up(n["available_minutes"] * 100, sixty, 100)
    out["booked_room_hours"] = _half_up(n["booked_minutes"] * 100, sixty, 100)
    out["utilization_pct"] = _half_up(n["booked_minutes"] * 1000, n["available_minutes"], 10)
    out = out.reset_index().rename(columns={"week": "week_start"})
    out["_all"] = out["location_id"] == ALL
    out = out.sort_values(["week_start", "_all", "location_id"], ignore_index=True)
    out["week_start"] = out["week_start"].dt.date
    return out[COLUMNS]


def _available(
    raw: dict[str, pd.DataFrame],
    ids: list[str],
    first: pd.Timestamp,
    last: pd.Timestamp,
    bucket: Callable[[pd.Series], pd.Series],
) -> pd.DataFrame:
    """Room-minutes per location and day: capacity rows x days, less closures and closed days."""
    days = pd.DataFrame({"day": pd.date_range(first, last, freq="D")})
    days["weekday"] = days["day"].dt.day_of_week
    cap = raw["capacity"]
    cap = cap[cap["location_id"].isin(ids)]
    rows = cap.merge(days, on="weekday")
    since = pd.to_datetime(rows["effective_from"])
    until = pd.to_datetime(rows["effective_to"])
    rows = rows[(since <= rows["day"]) & (until.isna() | (until >= rows["day"]))]
    sites = raw["locations"].set_index("location_id")
    opened = pd.to_datetime(rows["location_id"].map(sites["opened_on"]))
    closed = pd.to_datetime(rows["location_id"].map(sites["closed_on"]))
    rows = rows[
        (opened.isna() | (opened <= rows["day"])) & (closed.isna() | (closed >= rows["day"]))
    ]
    shut = raw["closures"]
    shut_keys = set(zip(shut["location_id"], pd.to_datetime(shut["day"]), strict=True))
    open_mask = [k not in shut_keys for k in zip(rows["location_id"], rows["day"], strict=True)]
    rows = rows[np.asarray(open_mask, dtype=bool)]
    minutes = rows["rooms"].astype("int64") * (rows["close_minute"] - rows["open_minute"])
    return pd.DataFrame(
        {
            "location_id": rows["location_id"],
            "week": bucket(rows["day"]),
            "available_minutes": minutes,
        }
    )
