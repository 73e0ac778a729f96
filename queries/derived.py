"""Columns and aggregates derived from the raw rows, kept current by the importer.

`refresh_after_import` recomputes, for the patients and locations an import touched:
- `bookings.completed_seq` / `initial_seq`: the booking's position among its patient's completed
  bookings (all kinds / `initial` only), ordered by `starts_at` then `booking_id`, at any location;
- `consultations.converted`: a completed consult whose patient has a completed booking starting
  between `consult_at` and `consult_at` + `CONVERSION_WINDOW` (UTC instants, both ends inclusive);
- `daily_location_stats`: the per-day counts the weekly report sums, and the day's response times
  (`RESPONSE_SECONDS`) its median is taken over.
Everything is done by set-based statements in the database, never row by row in Python.
"""

from collections.abc import Collection, Iterator, Sequence
from datetime import date

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    true,
    update,
)

from queries.daily_stats import (
    at_locations,
    dialect_insert,
    on_days,
    rebuild_all_stats,
    rebuild_stats,
    recount_consultation_stats,
)
from queries.schema import bookings, consultations, daily_location_stats
from queries.sql_functions import day_start, epoch_seconds
from queries.temporary_tables import create_empty, temporary_table
from queries.vocabulary import CONVERSION_WINDOW

CONVERSION_WINDOW_SECONDS = int(CONVERSION_WINDOW.total_seconds())
# Days from a consult's day that can hold a booking at most the window after it.
CONVERSION_SEARCH_DAYS = CONVERSION_WINDOW.days + 1
# Keeps every IN list well below SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 5000


def refresh_after_import(
    conn: Connection,
    *,
    patient_refs: Collection[str] | None,
    location_ids: Collection[str] | None,
    sequences: bool = True,
    conversions: bool = True,
    booking_stats: bool = True,
    whole: bool = False,
) -> None:
    """Recompute derived data for these patients and locations (`None` = all) in this transaction.

    `sequences=False` / `conversions=False` (everything only) skip the booking sequence numbers
    / the consult conversions, for rows that were given them by the bulk load into an empty
    table (`sequence_columns`, `refresh_all_conversions`). `booking_stats=False` (everything
    only; no booking changed) keeps the daily counts taken from bookings and recounts the ones
    taken from consultations. `whole` (after a bulk load) writes the daily counts' table whole
    (`queries.daily_stats`).

    Otherwise `refresh_changed` for these patients, every day of these locations rebuilt:
    `location_ids` must include the old locations of replaced rows, whose old days are not known.
    """
    if patient_refs is None:
        if sequences:
            _refresh_sequences(conn)
        if conversions:
            _refresh_conversions(conn)
        if booking_stats:
            rebuild_all_stats(conn, whole=whole)
        else:
            recount_consultation_stats(conn, whole=whole)
        return
    locations = sorted(set(location_ids or ()))
    _clear_unlinked_conversions(conn, locations)
    refresh_changed(conn, patients=patient_refs, locations=locations)


def refresh_changed(
    conn: Connection,
    *,
    patients: Collection[str] = (),
    requests: Collection[str] = (),
    days: Collection[tuple[str, date]] = (),
    locations: Collection[str] = (),
) -> None:
    """Recompute what rows written for these keys can change, and nothing else, in this transaction.

    - `patients` (whose bookings were written, old and new `patient_ref`): their bookings'
      sequence numbers, and their consults' conversions;
    - `requests` (consults written): their conversions;
    - `days` (`location_id`, local day) the written rows were on, before and after: their daily
      counts, and those of every day holding a row whose sequence number or conversion changed;
    - `locations`: every day of these (a change of time zone re-dates all their rows).
    Sequence numbers are taken over each patient's whole history, but only rows whose numbers
    differ are written, and only their days are counted again; likewise for conversions.
    """
    keys = _ChangedKeys(conn, patients=patients, requests=requests, days=days)
    if keys.patients:
        _refresh_sequences_of(conn, keys)
    if keys.patients or keys.requests:
        _refresh_conversions_of(conn, keys)
    keys.analyze(CHANGED_DAYS)
    rebuild_stats(conn, on_days(CHANGED_DAYS))
    for chunk in _chunks(sorted(set(locations))):
        rebuild_stats(conn, at_locations(chunk))
    keys.drop()


# What `refresh_changed` works through, in temporary tables of this connection: keys joined in
# the database rather than sent as lists of bound parameters.
_CHANGES = MetaData()


def _changes_table(name: str, *columns: Column) -> Table:
    return temporary_table(name, *columns, metadata=_CHANGES)


CHANGED_PATIENTS = _changes_table(
    "changed_patients", Column("patient_ref", bookings.c.patient_ref.type, primary_key=True)
)
CHANGED_REQUESTS = _changes_table(
    "changed_requests", Column("request_id", consultations.c.request_id.type, primary_key=True)
)
CHANGED_DAYS = _changes_table(
    "changed_days",
    Column("location_id", daily_location_stats.c.location_id.type, primary_key=True),
    Column("day", daily_location_stats.c.day.type, primary_key=True),
)
NEW_SEQUENCES = _changes_table(
    "new_sequences",
    Column("booking_id", bookings.c.booking_id.type, primary_key=True),
    Column("completed_seq", bookings.c.completed_seq.type),
    Column("initial_seq", bookings.c.initial_seq.type),
)
FLIPPED_CONVERSIONS = _changes_table(
    "flipped_conversions", Column("request_id", consultations.c.request_id.type, primary_key=True)
)


class _ChangedKeys:
    """The temporary tables of one `refresh_changed`, filled with its keys."""

    def __init__(self, conn: Connection, *, patients, requests, days) -> None:
        self.conn = conn
        create_empty(conn, *_CHANGES.sorted_tables)
        self.patients = sorted(set(patients))
        self.requests = sorted(set(requests))
        for table, rows in (
            (CHANGED_PATIENTS, [{"patient_ref": key} for key in self.patients]),
            (CHANGED_REQUESTS, [{"request_id": key} for key in self.requests]),
            (CHANGED_DAYS, [{"location_id": loc, "day": day} for loc, day in sorted(set(days))]),
        ):
            if rows:
                conn.execute(insert(table), rows)
        self.analyze(CHANGED_PATIENTS, CHANGED_REQUESTS, CHANGED_DAYS)

    def analyze(self, *tables: Table) -> None:
        if self.conn.dialect.name == "postgresql":
            # Row counts for the planner, which otherwise guesses them for a temporary table.
            self.conn.exec_driver_sql("ANALYZE " + ", ".join(table.name for table in tables))

    def drop(self) -> None:
        for table in _CHANGES.sorted_tables:
            table.drop(self.conn)


def _add_days(conn: Connection, source: Select) -> None:
    """Add (location_id, day) pairs of `source` to `changed_days`, skipping those already there."""
    statement = dialect_insert(conn)(CHANGED_DAYS).from_select(
        ["location_id", "day"], source.where(true())
    )
    conn.execute(statement.on_conflict_do_nothing())


def _refresh_sequences_of(conn: Connection, keys: _ChangedKeys) -> None:
    """Number the changed patients' bookings again; write, and count again, only what moved."""
    b = bookings.c
    ranked = (
        select(
            b.booking_id,
            b.completed_seq.label("stored_completed"),
            b.initial_seq.label("stored_initial"),
            *sequence_columns(bookings),
        )
        .where(b.patient_ref.in_(select(CHANGED_PATIENTS.c.patient_ref)))
        .subquery("ranked")
    )
    moved = select(ranked.c.booking_id, ranked.c.completed_seq, ranked.c.initial_seq).where(
        or_(
            ranked.c.stored_completed.is_distinct_from(ranked.c.completed_seq),
            ranked.c.stored_initial.is_distinct_from(ranked.c.initial_seq),
        )
    )
    conn.execute(insert(NEW_SEQUENCES).from_select(list(moved.selected_columns.keys()), moved))
    new = NEW_SEQUENCES.c
    # IN, not a join: SQLite then looks the few renumbered rows up by key rather than scanning.
    renumbered = b.booking_id.in_(select(new.booking_id))
    _add_days(conn, select(b.location_id, b.start_date).distinct().where(renumbered))
    conn.execute(
        update(bookings)
        .where(b.booking_id == new.booking_id)
        .values(completed_seq=new.completed_seq, initial_seq=new.initial_seq)
    )


def _refresh_conversions_of(conn: Connection, keys: _ChangedKeys) -> None:
    """Check again the consults of the changed patients and the changed requests; flip, and
    count again, only those whose flag is wrong."""
    c = consultations.c
    wrong = c.converted != _converted(consultations)
    for wanted, present in (
        (c.patient_ref.in_(select(CHANGED_PATIENTS.c.patient_ref)), keys.patients),
        (c.request_id.in_(select(CHANGED_REQUESTS.c.request_id)), keys.requests),
    ):
        if present:
            conn.execute(
                dialect_insert(conn)(FLIPPED_CONVERSIONS)
                .from_select(["request_id"], select(c.request_id).where(wanted, wrong))
                .on_conflict_do_nothing()
            )
    flipped = c.request_id.in_(select(FLIPPED_CONVERSIONS.c.request_id))
    consulted = c.consult_date.is_not(None)
    _add_days(conn, select(c.location_id, c.consult_date).distinct().where(flipped, consulted))
    conn.execute(update(consultations).where(flipped).values(converted=not_(c.converted)))


def _clear_unlinked_conversions(conn: Connection, location_ids: Sequence[str] | None) -> None:
    """A consult whose patient_ref a re-import removed is no longer anyone's conversion."""
    stmt = update(consultations).where(
        consultations.c.patient_ref.is_(None), consultations.c.converted == true()
    )
    if location_ids is None:
        conn.execute(stmt.values(converted=False))
        return
    for chunk in _chunks(location_ids):
        conn.execute(stmt.where(consultations.c.location_id.in_(chunk)).values(converted=False))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _patient_order(source) -> dict:
    """The window of a patient's bookings in `starts_at`, `booking_id` order, up to the row."""
    return {
        "partition_by": source.c.patient_ref,
        "order_by": (source.c.starts_at, source.c.booking_id),
        "rows": (None, 0),
    }


def sequence_columns(source) -> list[ColumnElement[int]]:
    """`completed_seq` and `initial_seq` of each row of `source` (bookings, or rows shaped alike).

    Each is a running count over the patient's bookings in `starts_at`, `booking_id` order, kept
    on the rows it counts and NULL elsewhere: one window (one sort) gives both.
    """
    completed = source.c.status == "completed"
    initial = and_(completed, source.c.kind == "initial")
    window = _patient_order(source)
    return [
        case((condition, func.sum(case((condition, 1), else_=0)).over(**window)), else_=None).label(
            name
        )
        for name, condition in (("completed_seq", completed), ("initial_seq", initial))
    ]


def _refresh_sequences(conn: Connection) -> None:
    ranked = select(bookings.c.booking_id, *sequence_columns(bookings)).subquery("ranked")
    # Writing only the rows that change keeps a re-import from rewriting (and bloating) the table.
    conn.execute(
        update(bookings)
        .where(
            bookings.c.booking_id == ranked.c.booking_id,
            or_(
                bookings.c.completed_seq.is_distinct_from(ranked.c.completed_seq),
                bookings.c.initial_seq.is_distinct_from(ranked.c.initial_seq),
            ),
        )
        .values(completed_seq=ranked.c.completed_seq, initial_seq=ranked.c.initial_seq)
    )


def _converted(consult) -> ColumnElement[bool]:
    """A completed consult whose patient has a completed booking starting within
    `CONVERSION_WINDOW` after it.

    The booking is looked up through `ix_bookings_patient` (patient_ref, starts_at): the range from
    the consult's day to `CONVERSION_SEARCH_DAYS` later holds every booking that can count (a
    superset on either database, whatever the text form of the timestamps), and the exact window
    is then checked in whole seconds. It stops at the first booking found, where a join of every
    consult to every booking of its patient converts both timestamps for each pair.
    """
    later = bookings.alias("later")
    elapsed = epoch_seconds(later.c.starts_at) - epoch_seconds(consult.c.consult_at)
    return and_(
        consult.c.consult_status == "completed",
        exists().where(
            later.c.patient_ref == consult.c.patient_ref,
            later.c.starts_at >= day_start(consult.c.consult_at),
            later.c.starts_at < day_start(consult.c.consult_at, CONVERSION_SEARCH_DAYS),
            later.c.status == "completed",
            elapsed >= 0,
            elapsed <= CONVERSION_WINDOW_SECONDS,
        ),
    )


def refresh_all_conversions(conn: Connection) -> None:
    """Set `converted` on the consults that converted, all of them written with False (a bulk load).

    A plain condition, so PostgreSQL can run it as one hash semi-join of consults and bookings
    (`_refresh_conversions` compares each flag with the condition, a lookup per consult).
    """
    conn.execute(update(consultations).where(_converted(consultations)).values(converted=True))


def _refresh_conversions(conn: Connection) -> None:
    # Only rows whose flag is wrong are written, and a wrong flag's right value is its negation.
    conn.execute(
        update(consultations)
        .where(consultations.c.converted != _converted(consultations))
        .values(converted=not_(consultations.c.converted))
    )
