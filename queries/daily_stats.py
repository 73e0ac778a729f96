"""`daily_location_stats`: per location and local day, every count the weekly report sums and
the day's response times, counted from the raw rows by set-based statements.

`rebuild_stats` counts again the days a `Where` covers; `recount_consultation_stats` counts
again every day's consultation counts and keeps the booking counts (after a consultations file).
"""

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Select,
    Table,
    Text,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from queries.metric_definitions import DAILY_COUNTS, RESPONSE_SECONDS, STATUS_COUNTS
from queries.schema import bookings, consultations, daily_location_stats
from queries.sql_functions import comma_joined, scan_order, whole_seconds
from queries.table_keys import add_keys, drop_keys
from queries.temporary_tables import create_empty, temporary_table
from queries.vocabulary import OCCUPYING, SERIES_LENGTH

STAT_COLUMNS = DAILY_COUNTS
# Every column a rebuild writes besides the key.
WRITTEN_COLUMNS = (*DAILY_COUNTS, RESPONSE_SECONDS)


def dialect_insert(conn: Connection):
    """The dialect's INSERT, which can say ON CONFLICT (SQLite and PostgreSQL alike)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _per_day(
    table,
    day_column,
    counts: dict[str, ColumnElement[int]],
    where: list[ColumnElement[bool]],
    response_seconds: ColumnElement[str] | None = None,
    covered: bool = False,
):
    """One source's per-day counts, with a zero for every stats column it does not feed (and
    NULL response times unless given).

    `covered`: an index on (day, location_id) holds every column the counts read, so walking it
    groups without a sort or a read of the table; otherwise the scan is sorted (`scan_order`).
    """
    group = (table.c.location_id, day_column)
    if not covered:
        group = tuple(map(scan_order, group))
    zero = literal_column("0")
    if response_seconds is None:
        response_seconds = cast(null(), Text)
    return (
        select(
            table.c.location_id.label("location_id"),
            day_column.label("day"),
            *(counts.get(name, zero).label(name) for name in STAT_COLUMNS),
            response_seconds.label(RESPONSE_SECONDS),
        )
        .where(*where)
        .group_by(*group)
    )


# Which rows of a table keyed by (location_id, day) a rebuild covers: (table, day column) -> WHERE.
Where = Callable[[Table, ColumnElement[date]], list[ColumnElement[bool]]]


def everywhere(_table: Table, _day: ColumnElement[date]) -> list[ColumnElement[bool]]:
    return []


def at_locations(location_ids: Sequence[str]) -> Where:
    def where(table: Table, _day: ColumnElement[date]) -> list[ColumnElement[bool]]:
        return [table.c.location_id.in_(location_ids)]

    return where


def on_days(days: Table) -> Where:
    """The (location_id, day) pairs listed in `days`."""

    def where(table: Table, day: ColumnElement[date]) -> list[ColumnElement[bool]]:
        # (day, location_id): the order of the (date, location_id) indexes on every source.
        return [tuple_(day, table.c.location_id).in_(select(days.c.day, days.c.location_id))]

    return where


def _daily_stats_select(where: Where, *, with_bookings: bool = True, kept: bool = False) -> Select:
    """SELECT of the `daily_location_stats` rows that `where` covers (zero booking counts and no
    booking-only days without `with_bookings`; the stored booking counts with `kept`)."""
    c, b = consultations.c, bookings.c
    occupying = b.status.in_(list(OCCUPYING))
    completed = b.status == "completed"
    requests = _per_day(
        consultations,
        c.received_date,
        {
            "consult_requests": func.count(),
            "contacted_within_1h": _count_if(c.response_minutes <= 60),
        },
        where(consultations, c.received_date),
        # NULL for a request not contacted: the aggregate skips it.
        comma_joined(whole_seconds(c.response_minutes)),
        covered=True,  # ix_consultations_received
    )
    consults = _per_day(
        consultations,
        c.consult_date,
        {
            "consults_completed": func.count(),
            "consults_converted": _count_if(c.converted == true()),
        },
        [
            c.consult_status == "completed",
            c.consult_date.is_not(None),
            *where(consultations, c.consult_date),
        ],
    )
    infusions = _per_day(
        bookings,
        b.start_date,
        {
            "infusions_scheduled": _count_if(occupying),
            **{name: _count_if(b.status == status) for status, name in STATUS_COUNTS.items()},
            "new_patients": _count_if(b.completed_seq == 1),
            "booster_infusions": _count_if(and_(completed, b.kind == "booster")),
            "series_completions": _count_if(b.initial_seq == SERIES_LENGTH),
            "booked_minutes": func.sum(case((occupying, b.duration_minutes), else_=0)),
        },
        where(bookings, b.start_date),
    )
    parts = (requests, consults, infusions) if with_bookings else (requests, consults)
    if kept:
        parts = (*parts, _kept_booking_counts())
    days = union_all(*parts).subquery("days")
    return select(
        days.c.location_id,
        days.c.day,
        *(func.sum(days.c[name]).label(name) for name in STAT_COLUMNS),
        # Only the requests' part has a day's response times: at most one text per day.
        func.max(days.c[RESPONSE_SECONDS]).label(RESPONSE_SECONDS),
    ).group_by(days.c.location_id, days.c.day)


def rebuild_all_stats(conn: Connection, *, whole: bool = False) -> None:
    """Count every day again; with `whole` (a bulk load), the table is written whole
    (`_rewrite_whole`)."""
    if whole:
        _rewrite_whole(conn, _daily_stats_select(everywhere))
        return
    rebuild_stats(conn, everywhere)


def rebuild_stats(conn: Connection, where: Where) -> None:
    """Count again the days `where` covers."""
    conn.execute(
        delete(daily_location_stats).where(*where(daily_location_stats, daily_location_stats.c.day))
    )
    conn.execute(
        insert(daily_location_stats).from_select(
            ["location_id", "day", *WRITTEN_COLUMNS], _daily_stats_select(where)
        )
    )


CONSULTATION_STATS = (
    "consult_requests",
    "contacted_within_1h",
    "consults_completed",
    "consults_converted",
)
# What a consultations file can change on a day: its counts and its response times.
CONSULTATION_COLUMNS = (*CONSULTATION_STATS, RESPONSE_SECONDS)


def recount_consultation_stats(conn: Connection, *, whole: bool = False) -> None:
    """Recount every day's consultation counts; the booking counts stay as stored.

    After a consultations file only these can change, and counting them again reads the
    requests alone, not millions of bookings as well. With `whole` on PostgreSQL, the counts are
    merged with the stored booking counts in a temporary table, and the table written whole from
    it (on SQLite, whose keys stay, that costs more than updating the rows in place).
    """
    if whole and conn.dialect.name == "postgresql":
        _recount_whole(conn)
        return
    stats = daily_location_stats
    # Only rows that hold a consultation count: after a first consultations file there is none,
    # and rewriting every day's row is a large write for nothing.
    counted_before = or_(*(stats.c[name] != 0 for name in CONSULTATION_STATS))
    conn.execute(
        update(stats)
        .where(counted_before)
        .values({**dict.fromkeys(CONSULTATION_STATS, 0), RESPONSE_SECONDS: None})
    )
    counted = dialect_insert(conn)(stats).from_select(
        ["location_id", "day", *WRITTEN_COLUMNS],
        _daily_stats_select(everywhere, with_bookings=False).where(true()),
    )
    conn.execute(
        counted.on_conflict_do_update(
            index_elements=[stats.c.location_id, stats.c.day],
            set_={name: counted.excluded[name] for name in CONSULTATION_COLUMNS},
        )
    )
    # A day that only had requests and has none now.
    conn.execute(delete(stats).where(*(stats.c[name] == 0 for name in STAT_COLUMNS)))


def _kept_booking_counts() -> Select:
    """The stored rows' booking counts, with zero consultation counts and no response times."""
    s = daily_location_stats.c
    zero = literal_column("0")
    counts = (zero if name in CONSULTATION_STATS else s[name] for name in STAT_COLUMNS)
    return select(
        s.location_id,
        s.day,
        *(count.label(name) for count, name in zip(counts, STAT_COLUMNS, strict=True)),
        cast(null(), Text).label(RESPONSE_SECONDS),
    )


def _recount_whole(conn: Connection) -> None:
    stats = daily_location_stats
    merged = temporary_table("recounted_stats", *(Column(c.name, c.type) for c in stats.columns))
    create_empty(conn, merged)
    names = ["location_id", "day", *WRITTEN_COLUMNS]
    conn.execute(
        insert(merged).from_select(
            names, _daily_stats_select(everywhere, with_bookings=False, kept=True)
        )
    )
    # A day that only had requests and has none now.
    counted = or_(*(merged.c[name] != 0 for name in STAT_COLUMNS))
    _rewrite_whole(conn, select(*(merged.c[name] for name in names)).where(counted))
    merged.drop(conn)


def _rewrite_whole(conn: Connection, rows: Select) -> None:
    """Empty the table and write `rows` into it, with its keys dropped meanwhile on PostgreSQL.

    There a foreign key is checked by a trigger per inserted row, and a key deleted in this
    transaction and inserted again makes the primary key visit the dead row for each insert:
    both cost more than the counting. Only for a bulk load, whose transaction already holds
    its tables locked (`data.bulk_load`): readers wait for the commit.
    """
    table = daily_location_stats
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("TRUNCATE " + table.name)
    else:
        conn.execute(delete(table))
    keys = drop_keys(conn, table.name)
    conn.execute(insert(table).from_select(["location_id", "day", *WRITTEN_COLUMNS], rows))
    add_keys(conn, table.name, keys)
