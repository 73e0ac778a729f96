"""The weekly report computed in pandas from the raw rows, as a pandas expert writes it.

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
    """The raw rows from contract CSV files, as an analyst who knows pandas reads them.

    Only the columns the report reads, with their types given: timestamps as UTC instants (the
    files carry offsets), codes and location ids as categories, by pandas' Arrow reader on
    every core. Local days are not computed here: `weekly_report` dates only the rows near its
    period, in each location's time zone (the `locations` frame's `timezone`).
    """
    directory = Path(directory)
    sites = pd.read_csv(directory / "locations.csv", dtype=str)
    sites["timezone"] = sites["timezone"].fillna(DEFAULT_TIMEZONE)
    cap = pd.read_csv(directory / "capacity.csv", dtype=str)
    cap["weekday"] = cap["weekday"].str.lower().map(WEEKDAYS.index)
    for column in ("open_time", "close_time"):
        hours, minutes = cap[column].str.split(":", expand=True)[[0, 1]].astype("int64").T.values
        cap[column.replace("_time", "_minute")] = hours * 60 + minutes
    cap["rooms"] = cap["rooms"].astype("int64")
    shut = pd.read_csv(directory / "closures.csv", dtype=str).rename(columns={"date": "day"})
    instant = "instant"
    c = _read_big(
        directory / "consultations.csv",
        {
            "location_id": "category",
            "received_at": instant,
            "first_contact_at": instant,
            "consult_at": instant,
            "consult_status": "category",
            "patient_ref": "string",
        },
    )
    b = _read_big(
        directory / "bookings.csv",
        {
            "booking_id": "string",
            "location_id": "category",
            "patient_ref": "string",
            "kind": "category",
            "starts_at": instant,
            "duration_minutes": "int64",
            "status": "category",
        },
    )
    c["response_minutes"] = (c["first_contact_at"] - c["received_at"]).dt.total_seconds() / 60
    return {
        "locations": sites,
        "capacity": cap,
        "closures": shut,
        "consultations": c,
        "bookings": b,
    }


def _read_big(path: Path, types: dict[str, str]) -> pd.DataFrame:
    stamps = [column for column, kind in types.items() if kind == "instant"]
    given = {column: kind for column, kind in types.items() if kind != "instant"}
    # The Arrow reader parses timestamps with offsets itself, as UTC instants.
    frame = pd.read_csv(path, engine="pyarrow", usecols=list(types), dtype=given)
    for column in stamps:
        if not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        # UTC instants without a zone, like `read_raw`'s stored columns.
        frame[column] = frame[column].dt.tz_convert(None)
    return frame


def _positions(values: pd.Series, labels: Sequence[str] | pd.Index) -> np.ndarray:
    """Each value's position in `labels`, -1 when absent (categories are looked up once)."""
    index = pd.Index(labels)
    if isinstance(values.dtype, pd.CategoricalDtype):
        found = np.append(index.get_indexer(values.cat.categories), -1)
        return found[values.cat.codes.to_numpy()]
    return index.get_indexer(values)


def _local_days(stamps: pd.Series, places: pd.Series, zones: dict[str, str]) -> np.ndarray:
    """The local day of each UTC instant at its row's location, one conversion per time zone."""
    sites = pd.Index(sorted(zones))
    zone_names, zone_of_site = np.unique([zones[s] for s in sites], return_inverse=True)
    site = _positions(places, sites)
    zone = zone_of_site[site]
    instants = stamps.to_numpy()
    days = np.empty(len(instants), dtype="datetime64[D]")
    for n, name in enumerate(zone_names):
        rows = np.flatnonzero(zone == n)
        local = pd.DatetimeIndex(instants[rows]).tz_localize("UTC").tz_convert(name)
        days[rows] = local.tz_localize(None).to_numpy().astype("datetime64[D]")
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
    ids = sorted(raw["locations"]["location_id"]) if selected is None else sorted(selected)
    weeks = [first] if whole_period else list(pd.date_range(first, last, freq="7D"))
    zones = dict(zip(raw["locations"]["location_id"], raw["locations"]["timezone"], strict=True))
    c, b = raw["consultations"], raw["bookings"]
    cells = len(weeks) * len(ids)

    def dated(frame: pd.DataFrame, stamp: str, day: str, also: np.ndarray | None = None):
        """Positions of the rows on a local day of the period at a selected location, and
        their cell (week x location). Rows are first chosen by instant: no time zone is a day
        away from UTC, so only those are dated."""
        instants = frame[stamp].to_numpy()
        near = (instants >= (first - DAY).to_datetime64()) & (
            instants < (last + 2 * DAY).to_datetime64()
        )
        if also is not None:
            near &= also
        rows = np.flatnonzero(near)
        place = _positions(frame["location_id"].iloc[rows], ids)
        rows, place = rows[place >= 0], place[place >= 0]
        if day in frame.columns:
            days = frame[day].to_numpy(dtype="datetime64[D]")[rows]
        else:
            days = _local_days(frame[stamp].iloc[rows], frame["location_id"].iloc[rows], zones)
        inside = (days >= first.to_datetime64()) & (days <= last.to_datetime64())
        rows, place, days = rows[inside], place[inside], days[inside]
        offset = (days - first.to_datetime64().astype("datetime64[D]")).astype("int64")
        week = np.zeros_like(offset) if whole_period else offset // 7
        return rows, week * len(ids) + place

    def tally(cell: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=cells).round().astype("int64")

    counts: dict[str, np.ndarray] = {}
    # Requests received in the period, and their response times in whole seconds.
    rows, cell = dated(c, "received_at", "received_date")
    minutes = c["response_minutes"].to_numpy(dtype="float64", na_value=np.nan)[rows]
    counts["consult_requests"] = tally(cell)
    counts["contacted"] = tally(cell, (minutes <= 60).astype("float64"))
    answered = ~np.isnan(minutes)
    seconds = pd.DataFrame(
        {"cell": cell[answered], "s": np.round(minutes[answered] * 60).astype("int64")}
    )

    # Consults completed in the period; converted when the patient has a completed booking
    # starting within the window after the consult (any location).
    completed_consult = _is(c["consult_status"], "completed") & c["consult_at"].notna().to_numpy()
    consult_rows, consult_cell = dated(c, "consult_at", "consult_date", completed_consult)
    done = _is(b["status"], "completed")
    starts = b["starts_at"].to_numpy()
    window = np.timedelta64(CONVERSION_WINDOW)
    high = (last + 2 * DAY).to_datetime64()
    history = np.flatnonzero(done & (starts < high + window))
    # Patients as numbers: every booking's, then the period's consults' (one factorization).
    numbers, _ = pd.factorize(
        pd.concat([b["patient_ref"], c["patient_ref"].iloc[consult_rows]], ignore_index=True)
    )
    patient = numbers[: len(b)][history]
    consult_patient = numbers[len(b) :]
    consult_at = c["consult_at"].to_numpy()[consult_rows]
    recent = starts[history] >= (first - DAY).to_datetime64()
    pairs = pd.DataFrame({"n": np.arange(len(consult_rows)), "p": consult_patient}).merge(
        pd.DataFrame({"p": patient[recent], "t": starts[history][recent]}), on="p"
    )
    gap = pairs["t"].to_numpy() - consult_at[pairs["n"].to_numpy()]
    hit = pairs["n"].to_numpy()[(gap >= np.timedelta64(0)) & (gap <= window)]
    converted = np.zeros(len(consult_rows), dtype="float64")
    converted[hit] = 1
    counts["consults_completed"] = tally(consult_cell)
    counts["converted"] = tally(consult_cell, converted)

    # Bookings starting in the period.
    book_rows, book_cell = dated(b, "starts_at", "start_date")
    status = b["status"].iloc[book_rows]
    kind = b["kind"].iloc[book_rows]
    held = _is(status, *HELD)
    for name, mask in (
        ("infusions_scheduled", held),
        ("infusions_completed", _is(status, "completed")),
        ("no_shows", _is(status, "no_show")),
        ("late_cancellations", _is(status, "late_cancel")),
        ("cancellations", _is(status, "cancelled")),
        ("booster_infusions", _is(status, "completed") & _is(kind, "booster")),
    ):
        counts[name] = tally(book_cell, mask.astype("float64"))
    duration = b["duration_minutes"].to_numpy(dtype="int64")[book_rows]
    counts["booked_minutes"] = tally(book_cell, np.where(held, duration, 0).astype("float64"))

    # Sequence numbers over each patient's whole history, for the patients completed in the
    # period only: their completed bookings sorted once by (patient, starts_at, booking_id).
    first_completed, sixth_initial = _milestones(b, history, patient, book_rows, done)
    counts["new_patients"] = tally(book_cell, first_completed.astype("float64"))
    counts["series_completions"] = tally(book_cell, sixth_initial.astype("float64"))

    avail = _available(raw, ids, first, last, lambda days: days)
    place = _positions(avail["location_id"], ids)
    offset = (
        (avail["week"].to_numpy(dtype="datetime64[D]") - first.to_datetime64())
        .astype("timedelta64[D]")
        .astype("int64")
    )
    week = np.zeros_like(offset) if whole_period else offset // 7
    counts["available_minutes"] = tally(
        week * len(ids) + place, avail["available_minutes"].to_numpy(dtype="float64")
    )

    key = ["week", "location_id"]
    grid = pd.MultiIndex.from_product([weeks, ids], names=key)
    table = pd.DataFrame(counts, index=grid)[COUNTS]
    pooled = table.groupby(level="week").sum()
    pooled["location_id"] = ALL
    pooled = pooled.set_index("location_id", append=True)
    table = pd.concat([table, pooled])

    twice = seconds.groupby("cell")["s"].median() * 2
    twice_all = seconds.groupby(seconds["cell"] // len(ids))["s"].median() * 2
    medians = pd.concat(
        [
            pd.Series(twice.to_numpy(), index=grid[twice.index.to_numpy()]),
            pd.Series(
                twice_all.to_numpy(),
                index=pd.MultiIndex.from_arrays(
                    [[weeks[w] for w in twice_all.index], [ALL] * len(twice_all)], names=key
                ),
            ),
        ]
    ).reindex(table.index)
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


DAY = pd.Timedelta(days=1)


def _is(values: pd.Series, *codes: str) -> np.ndarray:
    """Rows whose code is one of `codes` (categories are compared once, not per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        wanted = np.append(values.cat.categories.isin(codes), False)
        return wanted[values.cat.codes.to_numpy()]
    return values.isin(codes).to_numpy(dtype=bool)


def _milestones(
    b: pd.DataFrame,
    history: np.ndarray,
    patient: np.ndarray,
    book_rows: np.ndarray,
    done: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For the period's bookings (`book_rows`): first completed booking of their patient, and
    sixth completed `initial` one (order: starts_at, then booking_id).

    `history` holds the positions of the completed bookings up to past the period, `patient`
    their patients' numbers. Only the patients completed in the period are numbered.
    """
    wanted = np.zeros(patient.max() + 1 if len(patient) else 0, dtype=bool)
    in_period = np.zeros(len(b), dtype=bool)
    in_period[book_rows] = True
    wanted[patient[in_period[history] & done[history]]] = True
    keep = wanted[patient]
    rows, who = history[keep], patient[keep]
    starts = b["starts_at"].to_numpy()[rows].astype("int64")
    order = np.lexsort((starts, who))
    same = (who[order][1:] == who[order][:-1]) & (starts[order][1:] == starts[order][:-1])
    if same.any():
        # Equal starts for one patient: `booking_id` decides, so it joins the sort.
        ids = b["booking_id"].to_numpy()[rows]
        rank = pd.Index(ids).argsort()
        tiebreak = np.empty(len(rows), dtype="int64")
        tiebreak[rank] = np.arange(len(rows))
        order = np.lexsort((tiebreak, starts, who))
    rows, who = rows[order], who[order]
    initial = _is(b["kind"].iloc[rows], "initial")
    first = np.zeros(len(b), dtype=bool)
    first[rows[_sequence(who) == 1]] = True
    sixth = np.zeros(len(b), dtype=bool)
    initial_rows = rows[initial]
    sixth[initial_rows[_sequence(who[initial]) == SERIES_LENGTH]] = True
    return first[book_rows], sixth[book_rows]


def _sequence(groups: np.ndarray) -> np.ndarray:
    """1, 2, 3, ... within each run of equal values of the sorted `groups`."""
    if not len(groups):
        return np.zeros(0, dtype="int64")
    position = np.arange(len(groups))
    starts = np.r_[True, groups[1:] != groups[:-1]]
    return position - np.maximum.accumulate(np.where(starts, position, 0)) + 1


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
    shut_keys = pd.MultiIndex.from_arrays([shut["location_id"], pd.to_datetime(shut["day"])])
    rows = rows[~pd.MultiIndex.from_arrays([rows["location_id"], rows["day"]]).isin(shut_keys)]
    minutes = rows["rooms"].astype("int64") * (rows["close_minute"] - rows["open_minute"])
    return pd.DataFrame(
        {
            "location_id": rows["location_id"],
            "week": bucket(rows["day"]),
            "available_minutes": minutes,
        }
    )
