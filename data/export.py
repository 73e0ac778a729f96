"""Write the stored tables back out as contract files (the inverse of `data.load.import_files`).

Timestamps are written as the location's wall-clock time with its UTC offset
(`2026-11-01 01:30:00-04:00`): readable, and exact on re-import even in the fall-back hour, where a
bare wall-clock time would be ambiguous.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Select, Table, select

from data.contract import SPECS
from queries.schema import (
    bookings,
    capacity,
    closures,
    consultations,
    locations,
    user_locations,
    users,
)
from queries.vocabulary import WEEKDAYS

CHUNK_ROWS = 200_000


def export_contract_files(engine: Engine, directory: str | Path) -> list[Path]:
    """Write locations, capacity, closures, consultations, bookings (and users, if any) CSVs.

    Returns the written paths in import order; existing files of those names are replaced.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with engine.connect() as conn:
        zones = dict(conn.execute(select(locations.c.location_id, locations.c.timezone)).all())
        for name, chunks in (
            ("locations", _locations(conn)),
            ("capacity", _capacity(conn)),
            ("closures", _closures(conn)),
            ("users", _users(conn)),
            ("consultations", _consultations(conn, zones)),
            ("bookings", _bookings(conn, zones)),
        ):
            path = directory / f"{name}.csv"
            rows = _write(path, chunks)
            if name == "users" and rows == 0:
                path.unlink()
                continue
            written.append(path)
    return written


def _write(path: Path, chunks: Iterator[pd.DataFrame]) -> int:
    """Stream frames into one CSV (header once); returns the number of data rows."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        for number, chunk in enumerate(chunks):
            chunk.to_csv(out, index=False, header=number == 0, lineterminator="\n")
            rows += len(chunk)
    return rows


def _read(conn: Connection, statement: Select) -> Iterator[pd.DataFrame]:
    """The statement's rows as frames of at most CHUNK_ROWS rows (always at least one frame)."""
    result = conn.execution_options(stream_results=True).execute(statement)
    columns = list(result.keys())
    empty = True
    while batch := result.fetchmany(CHUNK_ROWS):
        empty = False
        yield pd.DataFrame.from_records(batch, columns=columns)
    if empty:
        yield pd.DataFrame(columns=columns)


def _date_text(values: pd.Series) -> pd.Series:
    return values.map(lambda day: day.isoformat(), na_action="ignore")


def _minute_text(values: pd.Series) -> pd.Series:
    return values.map(lambda minute: f"{int(minute) // 60:02d}:{int(minute) % 60:02d}")


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def local_timestamps(utc: pd.Series, location_ids: pd.Series, zones: dict[str, str]) -> pd.Series:
    """UTC instants (naive) as `YYYY-MM-DD HH:MM:SS±HH:MM` in each row's location time zone."""
    utc = pd.to_datetime(utc).astype("datetime64[s]")
    text = pd.Series(pd.NA, index=utc.index, dtype="str")
    row_zones = location_ids.map(zones)
    known = utc.notna() & row_zones.notna()
    for zone, rows in row_zones[known].groupby(row_zones[known]).groups.items():
        instants = utc.loc[rows]
        wall = instants.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        offsets = ((wall - instants) // pd.Timedelta(minutes=1)).astype(int)
        clock = np.datetime_as_string(wall.to_numpy().astype("datetime64[s]"), unit="s")
        text.loc[rows] = pd.Series(clock, index=rows, dtype="str").str.replace(
            "T", " ", regex=False
        ) + offsets.map({m: _offset_text(m) for m in offsets.unique()}).astype("str")
    return text


def _file_columns(table: Table, kind: str) -> Select:
    """The stored columns a contract file of this kind holds under the same names, in its order."""
    return select(*(table.c[name] for name in SPECS[kind].names))


def _locations(conn: Connection) -> Iterator[pd.DataFrame]:
    statement = _file_columns(locations, "locations").order_by(locations.c.location_id)
    for frame in _read(conn, statement):
        frame["opened_on"] = _date_text(frame["opened_on"])
        frame["closed_on"] = _date_text(frame["closed_on"])
        yield frame


def _capacity(conn: Connection) -> Iterator[pd.DataFrame]:
    statement = select(
        capacity.c.location_id,
        capacity.c.weekday,
        capacity.c.open_minute,
        capacity.c.close_minute,
        capacity.c.rooms,
        capacity.c.effective_from,
        capacity.c.effective_to,
    ).order_by(capacity.c.location_id, capacity.c.effective_from, capacity.c.weekday)
    for frame in _read(conn, statement):
        yield pd.DataFrame(
            {
                "location_id": frame["location_id"],
                "weekday": frame["weekday"].map(lambda n: WEEKDAYS[int(n)]),
                "open_time": _minute_text(frame["open_minute"]),
                "close_time": _minute_text(frame["close_minute"]),
                "rooms": frame["rooms"],
                "effective_from": _date_text(frame["effective_from"]),
                "effective_to": _date_text(frame["effective_to"]),
            },
            columns=SPECS["capacity"].names,
        )


def _closures(conn: Connection) -> Iterator[pd.DataFrame]:
    statement = select(
        closures.c.location_id, closures.c.day.label("date"), closures.c.reason
    ).order_by(closures.c.location_id, closures.c.day)
    for frame in _read(conn, statement):
        frame["date"] = _date_text(frame["date"])
        yield frame


def _users(conn: Connection) -> Iterator[pd.DataFrame]:
    listed: dict[str, list[str]] = {}
    for email, location_id in conn.execute(
        select(user_locations.c.email, user_locations.c.location_id).order_by(
            user_locations.c.email, user_locations.c.location_id
        )
    ):
        listed.setdefault(email, []).append(location_id)
    statement = select(users.c.email, users.c.role, users.c.weekly_email).order_by(users.c.email)
    for frame in _read(conn, statement):
        frame["locations"] = frame["email"].map(lambda e: " ".join(listed.get(e, [])) or None)
        frame["weekly_email"] = frame["weekly_email"].map({True: "yes", False: "no"})
        yield frame[["email", "role", "locations", "weekly_email"]]


def _consultations(conn: Connection, zones: dict[str, str]) -> Iterator[pd.DataFrame]:
    statement = _file_columns(consultations, "consultations").order_by(consultations.c.request_id)
    for frame in _read(conn, statement):
        for column in ("received_at", "first_contact_at", "consult_at"):
            frame[column] = local_timestamps(frame[column], frame["location_id"], zones)
        yield frame


def _bookings(conn: Connection, zones: dict[str, str]) -> Iterator[pd.DataFrame]:
    statement = _file_columns(bookings, "bookings").order_by(bookings.c.booking_id)
    for frame in _read(conn, statement):
        for column in ("starts_at", "booked_at"):
            frame[column] = local_timestamps(frame[column], frame["location_id"], zones)
        yield frame
