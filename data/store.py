"""Write validated contract rows to the tables of `queries.schema`, inside the caller's transaction.

Rows are upserted by primary key in batches (re-import = update); capacity, users and targets
replace what was stored (per location named / as a whole list). Consultations and bookings also
refresh the data derived from them, for every patient and location the file touched, old values
included.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from psycopg import sql as psql
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from data.bulk_load import AfterLoad, BulkLoad, Derived
from data.contract import SPECS
from data.sequence_numbers import StagedSequences
from data.timezone_change import changed_timezones, redate
from queries import schema
from queries.derived import (
    refresh_after_import,
    refresh_all_conversions,
    refresh_changed,
)
from queries.targets import TARGET_COLUMNS, replace_targets

BATCH_ROWS = 10_000

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Stored:
    """What one file did to the database."""

    inserted: int
    updated: int
    removed: int = 0


def stored_locations(conn: Connection) -> dict[str, str]:
    """Every stored location id with its time zone."""
    rows = conn.execute(select(schema.locations.c.location_id, schema.locations.c.timezone))
    return dict(rows.all())


def store(
    conn: Connection,
    kind: str,
    rows: pd.DataFrame,
    *,
    source: str,
    progress: Progress | None = None,
) -> Stored:
    """Write one validated file (`data.contract.Checked.rows`) and record it in `imports`."""
    if STORED_KINDS[kind].chunked:
        writer = ChunkWriter(conn, kind, source)
        writer.write(rows, progress)
        return writer.finish()
    stored = STORED_KINDS[kind].write(conn, rows, progress or _quiet)
    if conn.dialect.name == "postgresql":
        # Fresh statistics for the table just written: where autovacuum is off or has not run
        # yet, the planner takes it for an empty one and the reports join it row by row.
        conn.exec_driver_sql("ANALYZE " + STORED_KINDS[kind].table.name)
    _record_import(conn, kind, source, len(rows))
    return stored


def _record_import(conn: Connection, kind: str, source: str, rows: int) -> None:
    conn.execute(
        insert(schema.imports).values(
            at=datetime.now(UTC).replace(tzinfo=None), kind=kind, source=source, rows=rows
        )
    )


def _quiet(_fraction: float, _text: str) -> None:
    return None


def _store_locations(conn: Connection, rows: pd.DataFrame, progress: Progress) -> Stored:
    table = schema.locations
    frame = rows[["location_id", "name", "city", "state", "timezone"]].copy()
    frame["opened_on"] = rows["opened_on"]
    frame["closed_on"] = rows["closed_on"]
    existing = _existing_keys(conn, table.c.location_id, frame["location_id"])
    changed = changed_timezones(conn, frame)
    _upsert(conn, table, frame, progress)
    redate(conn, changed)
    return Stored(inserted=len(frame) - existing, updated=existing)


def _store_capacity(conn: Connection, rows: pd.DataFrame, progress: Progress) -> Stored:
    table = schema.capacity
    named = sorted(rows["location_id"].unique())
    removed = conn.execute(
        delete(table).where(table.c.location_id.in_(bindparam("ids", expanding=True))),
        {"ids": named},
    ).rowcount
    frame = rows.rename(columns={"open_time": "open_minute", "close_time": "close_minute"})
    for chunk in _batches(_records(frame[[c.name for c in table.c if c.name != "id"]])):
        conn.execute(insert(table), chunk)
    progress(1.0, f"capacity: {len(frame)} rows")
    return Stored(inserted=len(frame), updated=0, removed=removed)


def _store_closures(conn: Connection, rows: pd.DataFrame, progress: Progress) -> Stored:
    table = schema.closures
    frame = rows.rename(columns={"date": "day"})[["location_id", "day", "reason"]]
    stored = pd.DataFrame(
        conn.execute(
            select(table.c.location_id, table.c.day).where(
                table.c.location_id.in_(bindparam("ids", expanding=True))
            ),
            {"ids": sorted(frame["location_id"].unique())},
        ).all(),
        columns=["location_id", "day"],
    )
    keys = pd.MultiIndex.from_arrays([frame["location_id"], frame["day"].dt.date])
    existing = int(keys.isin(pd.MultiIndex.from_frame(stored)).sum()) if len(stored) else 0
    _upsert(conn, table, frame, progress)
    return Stored(inserted=len(frame) - existing, updated=existing)


def _store_users(conn: Connection, rows: pd.DataFrame, progress: Progress) -> Stored:
    conn.execute(delete(schema.user_locations))
    removed = conn.execute(delete(schema.users)).rowcount
    if len(rows):
        stored = rows[["email", "role"]].assign(weekly_email=rows["weekly_email"] == "yes")
        conn.execute(insert(schema.users), _records(stored))
    managers = rows[rows["role"] == "manager"][["email", "locations"]].explode("locations")
    managers = managers.rename(columns={"locations": "location_id"}).drop_duplicates()
    if len(managers):
        conn.execute(insert(schema.user_locations), _records(managers))
    progress(1.0, f"users: {len(rows)} rows")
    return Stored(inserted=len(rows), updated=0, removed=removed)


def _store_targets(conn: Connection, rows: pd.DataFrame, progress: Progress) -> Stored:
    removed = replace_targets(conn, rows[TARGET_COLUMNS], email=None, source="import")
    progress(1.0, f"targets: {len(rows)} rows")
    return Stored(inserted=len(rows), updated=0, removed=removed)


def _consultation_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The file's columns (data/contract.py) and the local dates and response time they give."""
    frame = rows[SPECS["consultations"].names].copy()
    frame["received_date"] = rows["received_at_local"].dt.normalize()
    frame["consult_date"] = rows["consult_at_local"].dt.normalize()
    # True elapsed time: both ends are UTC instants, so a DST change in between is counted right.
    frame["response_minutes"] = (
        rows["first_contact_at"] - rows["received_at"]
    ).dt.total_seconds() / 60
    return frame


def _booking_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The file's columns (data/contract.py) and the local day and minute of the start."""
    frame = rows[SPECS["bookings"].names].copy()
    local = rows["starts_at_local"]
    frame["start_date"] = local.dt.normalize()
    frame["start_minute"] = local.dt.hour * 60 + local.dt.minute
    return frame


# Past this many patients or requests, one set-based pass over everything beats refreshing what
# they changed.
FULL_REFRESH_KEYS = 50_000


@dataclass
class Touched:
    """What the rows a file wrote can change, refreshed once at the end: the patients (bookings)
    or requests (consultations) of the rows, old values included, and the (location, day) pairs
    the rows were and are on (`queries.derived.refresh_changed`).

    A file written into an empty table touches everything: the whole table is refreshed in
    set-based statements, and no stored row can be replaced, so none is looked up.
    """

    stored_kind: "StoredKind"
    empty: bool
    everything: bool
    keys: set[str] = field(default_factory=set)
    days: set[tuple[str, date]] = field(default_factory=set)

    @classmethod
    def before(cls, conn: Connection, stored_kind: "StoredKind") -> "Touched":
        empty = not conn.execute(select(exists().select_from(stored_kind.table))).scalar()
        return cls(stored_kind, empty=empty, everything=empty)

    def upsert(self, conn: Connection, frame: pd.DataFrame, progress: Progress) -> Stored:
        """Write one frame of rows; a duplicate id within the file is the caller's to refuse."""
        kind = self.stored_kind
        table, by, day_columns = kind.table, kind.refresh_by, kind.days
        if self.empty:
            _upsert(conn, table, frame, progress, only_new=True)
            return Stored(inserted=len(frame), updated=0)
        key = table.primary_key.columns[0]
        old = _replaced_rows(conn, table, key, frame[key.name], [by, "location_id", *day_columns])
        _upsert(conn, table, frame, progress)
        if not self.everything:
            self.keys.update(_distinct(frame[by], old[by]))
            self.days.update(_located_days([frame, old], day_columns))
            self.everything = len(self.keys) > FULL_REFRESH_KEYS
        return Stored(inserted=len(frame) - len(old), updated=len(old))

    def refresh(
        self,
        conn: Connection,
        *,
        sequences: bool = True,
        conversions: bool = True,
        booking_stats: bool = True,
        whole: bool = False,
    ) -> None:
        if self.everything:
            refresh_after_import(
                conn,
                patient_refs=None,
                location_ids=None,
                sequences=sequences,
                conversions=conversions,
                booking_stats=booking_stats,
                whole=whole,
            )
            if conn.dialect.name == "postgresql":
                # Fresh statistics for the tables the refresh rewrote: the planner otherwise
                # assumes tiny tables. A bulk-loaded table was analyzed when it was indexed,
                # and after a bulk load the refresh writes only the daily counts and, for
                # bookings, the stored consults' conversions.
                tables = ["daily_location_stats"]
                if not whole:
                    tables += ["consultations", "bookings"]
                elif conversions:
                    tables.append("consultations")
                conn.exec_driver_sql("ANALYZE " + ", ".join(tables))
            return
        by_patient = self.stored_kind.refresh_by == "patient_ref"
        refresh_changed(
            conn,
            patients=self.keys if by_patient else (),
            requests=() if by_patient else self.keys,
            days=self.days,
        )


class ChunkWriter:
    """Writes one consultations or bookings file chunk by chunk in the caller's transaction.

    Into an empty table the rows are bulk loaded (`data.bulk_load`): staged, then moved with
    their sequence numbers and indexed once.
    """

    def __init__(self, conn: Connection, kind: str, source: str) -> None:
        self.conn, self.kind, self.source = conn, kind, source
        self.stored_kind = STORED_KINDS[kind]
        self.table = self.stored_kind.table
        self.touched = Touched.before(conn, self.stored_kind)
        self.bulk: BulkLoad | None = None
        self.inserted = self.updated = self.rows = 0

    def write(self, rows: pd.DataFrame, progress: Progress | None = None) -> None:
        """Write one validated chunk (`data.contract.Checked.rows`); derived data waits."""
        frame = self.stored_kind.frame(rows)
        if self.touched.empty:
            if self.bulk is None:
                self.bulk = BulkLoad(
                    self.conn,
                    self.table,
                    list(frame.columns),
                    self.stored_kind.derived,
                    self.stored_kind.after_load,
                )
            self.bulk.write(frame, _driver_values)
            self.inserted += len(frame)
        else:
            stored = self.touched.upsert(self.conn, frame, progress or _quiet)
            self.inserted += stored.inserted
            self.updated += stored.updated
        self.rows += len(rows)

    def finish(self) -> Stored:
        """Refresh the derived data once for every chunk written, and record the import."""
        if self.bulk is not None:
            self.bulk.finish()
        # Bulk-loaded rows were written with their own derived column; consultations never move
        # a sequence number.
        bulk = self.bulk is not None
        bookings_file = self.kind == "bookings"
        self.touched.refresh(
            self.conn,
            sequences=bookings_file and not bulk,
            conversions=bookings_file or not bulk,
            booking_stats=bookings_file,
            whole=bulk,
        )
        _record_import(self.conn, self.kind, self.source, self.rows)
        return Stored(inserted=self.inserted, updated=self.updated)


def _distinct(*columns: pd.Series) -> list[str]:
    together = pd.concat(columns, ignore_index=True).dropna()
    return sorted(together.astype(str).unique())


def _located_days(frames: list[pd.DataFrame], day_columns: tuple[str, ...]) -> set[tuple]:
    """Every (location_id, local day) that a row of `frames` is on by one of `day_columns`."""
    pairs = [
        pd.DataFrame(
            {"location_id": frame["location_id"], "day": pd.to_datetime(frame[column]).dt.date}
        )
        for frame in frames
        for column in day_columns
    ]
    together = pd.concat(pairs, ignore_index=True).dropna().drop_duplicates()
    return set(zip(together["location_id"].astype(str), together["day"], strict=True))


def _replaced_rows(
    conn: Connection, table: Table, key, ids: pd.Series, columns: list[str]
) -> pd.DataFrame:
    """The key and `columns` of the stored rows these ids will replace (old values)."""
    wanted = list(dict.fromkeys([key.name, *columns]))
    if not conn.execute(select(exists().select_from(table))).scalar():
        return pd.DataFrame(columns=wanted)
    statement = select(*(table.c[name] for name in wanted)).where(
        key.in_(bindparam("ids", expanding=True))
    )
    found = []
    for start in range(0, len(ids), BATCH_ROWS):
        chunk = ids.iloc[start : start + BATCH_ROWS].tolist()
        found += conn.execute(statement, {"ids": chunk}).all()
    return pd.DataFrame(found, columns=wanted)


def _existing_keys(conn: Connection, key, ids: pd.Series) -> int:
    statement = select(key).where(key.in_(bindparam("ids", expanding=True)))
    return len(conn.execute(statement, {"ids": ids.tolist()}).all())


def _upsert(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    progress: Progress,
    *,
    only_new: bool = False,
) -> None:
    """Insert the rows, replacing stored rows with the same primary key (`frame`'s columns only).

    `only_new` promises that no row's key is stored yet (a validated file written into a table
    that was empty): PostgreSQL then copies straight into the table.

    Statements are built by SQLAlchemy Core; the rows themselves go to the driver as plain
    values (COPY on PostgreSQL, executemany of tuples on SQLite), because per-row bind
    processing dominated the import time.
    """
    keys = [c.name for c in table.primary_key.columns]
    update = [name for name in frame.columns if name not in keys]
    # Column defaults (e.g. `converted`) apply to new rows only; they are not in `update`.
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in frame.columns and c.default is not None and c.default.is_scalar
    }
    names = [*frame.columns, *defaults]
    columns = [_driver_values(frame[name]) for name in frame.columns]
    columns += [[value] * len(frame) for value in defaults.values()]
    if conn.dialect.name == "postgresql" and only_new:
        _copy_rows(conn, table.name, names, columns)
        progress(1.0, f"{table.name}: {len(frame)} rows written")
        return
    if conn.dialect.name == "postgresql":
        _copy_then_upsert(conn, table, names, columns, keys, update)
        progress(1.0, f"{table.name}: {len(frame)} rows written")
        return
    values = sqlite.insert(table).values({name: bindparam(name) for name in names})
    compiled = _on_conflict_update(values, keys, update).compile(dialect=_positional(conn))
    order = [names.index(name) for name in compiled.positiontup]
    done = 0
    for start in range(0, len(frame), BATCH_ROWS):
        chunk = [column[start : start + BATCH_ROWS] for column in columns]
        conn.exec_driver_sql(compiled.string, list(zip(*(chunk[i] for i in order), strict=True)))
        done += len(chunk[0])
        progress(done / len(frame), f"{table.name}: {done} of {len(frame)} rows written")


def _on_conflict_update(statement, keys: list[str], update: list[str]):
    return statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in update}
    )


def _copy_then_upsert(
    conn: Connection,
    table: Table,
    names: list[str],
    columns: list[list],
    keys: list[str],
    update: list[str],
) -> None:
    """PostgreSQL bulk path: COPY into a temporary table, then INSERT ... ON CONFLICT from it."""
    staging = Table(
        "import_staging_" + table.name,
        MetaData(),
        *(Column(name, table.c[name].type) for name in names),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    staging.create(conn)
    _copy_rows(conn, staging.name, names, columns)
    from_staging = postgresql.insert(table).from_select(names, select(*staging.c))
    conn.execute(_on_conflict_update(from_staging, keys, update))
    staging.drop(conn)


def _copy_rows(conn: Connection, table_name: str, names: list[str], columns: list[list]) -> None:
    """COPY the rows into `table_name` (a schema table or our staging table, never input)."""
    copy_statement = psql.SQL("COPY {} ({}) FROM STDIN").format(
        psql.Identifier(table_name), psql.SQL(", ").join(map(psql.Identifier, names))
    )
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(copy_statement) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _positional(conn: Connection):
    """The connection's dialect, compiling to positional placeholders (rows go as tuples)."""
    style = "qmark" if conn.dialect.name == "sqlite" else "format"
    return type(conn.dialect)(paramstyle=style)


def _driver_values(column: pd.Series) -> list:
    """Values the driver stores as SQLAlchemy would: timestamps and dates as ISO text, None.

    Timestamps repeat (bookings start on slots, dates on days), so each distinct value is
    formatted once.
    """
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        codes, distinct = pd.factorize(column)
        unit = "D" if column.name in _DATE_COLUMNS else "us"
        words = _iso_text(distinct.to_numpy(dtype=f"datetime64[{unit}]"), unit).astype(object)
        return np.append(words, None)[codes].tolist()  # code -1 (missing) takes the None
    plain = column.to_numpy(dtype=object)
    plain[column.isna().to_numpy()] = None
    return plain.tolist()


def _iso_text(values: np.ndarray, unit: str) -> np.ndarray:
    """Dates as 2025-01-31; timestamps as SQLAlchemy's SQLite text, 2025-01-31 09:30:00.000000.

    The fixed microseconds keep stored text in time order.
    """
    text = np.datetime_as_string(values, unit=unit)
    if unit == "us" and len(text):
        # Swap the ISO "T" (the 11th character) for a space, in place on the fixed-width array.
        text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(" ")
    return text


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (`None` for missing, `date` for local dates)."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        missing = column.isna().to_numpy()
        if name in _DATE_COLUMNS:
            plain = np.array(column.dt.date, dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            plain = np.array(column.dt.to_pydatetime(), dtype=object)
        else:
            plain = np.array(column.astype(object), dtype=object)
        plain[missing] = None
        columns.append(plain)
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


_DATE_COLUMNS = frozenset(
    {
        "opened_on",
        "closed_on",
        "effective_from",
        "effective_to",
        "day",
        "received_date",
        "consult_date",
        "start_date",
    }
)


def _batches(records: Sequence[dict]) -> Iterator[Sequence[dict]]:
    for start in range(0, len(records), BATCH_ROWS):
        yield records[start : start + BATCH_ROWS]


@dataclass(frozen=True)
class StoredKind:
    """How one file kind is written: its table and what writes it.

    A kind with a `frame` is written chunk by chunk (`ChunkWriter`): `frame` turns a checked
    chunk into the table's columns; into an empty table a bulk load computes `derived` as it
    moves the staged rows in, and runs `after_load` once they are all in (`data.bulk_load`).
    Any other kind is written whole by `write`.
    """

    kind: str
    table: Table
    write: Callable[[Connection, pd.DataFrame, Progress], Stored] | None = None
    frame: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    derived: Derived | None = None
    after_load: AfterLoad | None = None
    replaces: bool = False  # writing replaces what was stored (per location named, or all)
    # A chunked kind's rows change the derived data of this key (`Touched`): a booking its
    # patient's numbering and conversions, a consult its own conversion.
    refresh_by: str = ""
    # A chunked kind's local-day columns: the days of the daily counts a row feeds.
    days: tuple[str, ...] = ()

    @property
    def chunked(self) -> bool:
        return self.frame is not None


# Bookings carry sequence numbers on most rows: computed in the move from staging. A quarter of
# consults convert: set by one UPDATE of the loaded rows, cheaper than a move (docs/performance.md).
STORED_KINDS: dict[str, StoredKind] = {
    stored.kind: stored
    for stored in (
        StoredKind("locations", schema.locations, write=_store_locations),
        StoredKind("capacity", schema.capacity, write=_store_capacity, replaces=True),
        StoredKind("closures", schema.closures, write=_store_closures),
        StoredKind("users", schema.users, write=_store_users, replaces=True),
        StoredKind("targets", schema.targets, write=_store_targets, replaces=True),
        StoredKind(
            "bookings",
            schema.bookings,
            frame=_booking_frame,
            derived=Derived(StagedSequences),
            refresh_by="patient_ref",
            days=("start_date",),
        ),
        StoredKind(
            "consultations",
            schema.consultations,
            frame=_consultation_frame,
            after_load=refresh_all_conversions,
            refresh_by="request_id",
            days=("received_date", "consult_date"),
        ),
    )
}
CHUNKED_KINDS = tuple(kind for kind, stored in STORED_KINDS.items() if stored.chunked)
