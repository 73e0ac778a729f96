"""Tiny helpers that put hand-made rows straight into the tables, as the importer would store them.

Timestamps are given as local wall-clock text at the row's location ("2026-03-02 09:00") and stored
as the importer stores them: the UTC instant (naive) plus the local date.
"""

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, insert, select

from queries.derived import refresh_after_import
from queries.schema import bookings, capacity, closures, consultations, locations
from queries.scope import EVERYTHING, Scope
from queries.weekly import weekly_metrics

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _zone(conn: Connection, location_id: str) -> ZoneInfo:
    name = conn.scalar(select(locations.c.timezone).where(locations.c.location_id == location_id))
    return ZoneInfo(name)


def _local(conn: Connection, location_id: str, text: str | None) -> datetime | None:
    """Aware local datetime; fold=0 takes the first of an ambiguous fall-back time."""
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=_zone(conn, location_id), fold=0)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def add_location(
    conn: Connection,
    location_id: str,
    *,
    timezone: str = "America/New_York",
    opened_on: date | None = None,
    closed_on: date | None = None,
) -> None:
    conn.execute(
        insert(locations).values(
            location_id=location_id,
            name=location_id.title(),
            city=location_id.title(),
            state="MD",
            timezone=timezone,
            opened_on=opened_on,
            closed_on=closed_on,
        )
    )


def add_capacity(
    conn: Connection,
    location_id: str,
    weekday: str,
    open_time: str,
    close_time: str,
    rooms: int,
    *,
    effective_from: date = date(2024, 1, 1),
    effective_to: date | None = None,
) -> None:
    def minute(text: str) -> int:
        t = time.fromisoformat(text)
        return t.hour * 60 + t.minute

    conn.execute(
        insert(capacity).values(
            location_id=location_id,
            weekday=WEEKDAYS.index(weekday),
            open_minute=minute(open_time),
            close_minute=minute(close_time),
            rooms=rooms,
            effective_from=effective_from,
            effective_to=effective_to,
        )
    )


def add_closure(conn: Connection, location_id: str, day: date) -> None:
    conn.execute(insert(closures).values(location_id=location_id, day=day, reason="test"))


def add_consultation(
    conn: Connection,
    request_id: str,
    location_id: str,
    received: str,
    *,
    first_contact: str | None = None,
    consult_at: str | None = None,
    status: str = "pending",
    patient_ref: str | None = None,
) -> None:
    received_local = _local(conn, location_id, received)
    contact_local = _local(conn, location_id, first_contact)
    consult_local = _local(conn, location_id, consult_at)
    minutes = None
    if contact_local is not None:
        minutes = (_utc(contact_local) - _utc(received_local)).total_seconds() / 60
    conn.execute(
        insert(consultations).values(
            request_id=request_id,
            location_id=location_id,
            received_at=_utc(received_local),
            received_date=received_local.date(),
            channel="web",
            indication="unknown",
            first_contact_at=_utc(contact_local),
            response_minutes=minutes,
            consult_at=_utc(consult_local),
            consult_date=None if consult_local is None else consult_local.date(),
            consult_status=status,
            patient_ref=patient_ref,
            converted=False,
        )
    )


def add_booking(
    conn: Connection,
    booking_id: str,
    location_id: str,
    patient_ref: str,
    starts: str,
    *,
    status: str = "completed",
    kind: str = "initial",
    duration: int = 60,
) -> None:
    local = _local(conn, location_id, starts)
    conn.execute(
        insert(bookings).values(
            booking_id=booking_id,
            location_id=location_id,
            patient_ref=patient_ref,
            kind=kind,
            starts_at=_utc(local),
            start_date=local.date(),
            start_minute=local.hour * 60 + local.minute,
            duration_minutes=duration,
            status=status,
        )
    )


def add_week_of_bookings(
    conn: Connection,
    location_id: str,
    monday: date,
    held: int,
    no_shows: int,
    *,
    first_day: int = 0,
) -> None:
    """`held` one-hour bookings from weekday `first_day` (0 = Monday) to Friday, from 09:00 on,
    the first `no_shows` of them missed, the rest completed."""
    days = 5 - first_day
    for n in range(held):
        day = monday + timedelta(days=first_day + n % days)
        add_booking(
            conn,
            f"{location_id}-{monday}-{n}",
            location_id,
            f"{location_id}-p{n}",
            f"{day} {9 + n // days:02d}:00",
            status="no_show" if n < no_shows else "completed",
        )


def refresh_all(conn: Connection) -> None:
    """Recompute every derived value, as a full import would."""
    refresh_after_import(conn, patient_refs=None, location_ids=None)


def report(
    conn: Connection,
    start: date,
    end: date,
    *,
    locations: list[str] | None = None,
    week_start: str = "mon",
    scope: Scope = EVERYTHING,
) -> dict[tuple[str, str], dict]:
    """The weekly report keyed by (week_start as YYYY-MM-DD, location_id); empty values are None."""
    frame = weekly_metrics(
        conn, scope=scope, locations=locations, start=start, end=end, week_start=week_start
    )
    rows = {}
    for record in frame.to_dict("records"):
        values = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()
        }
        rows[(values["week_start"].isoformat(), values["location_id"])] = values
    return rows


def two_clinics_one_missing_infusions(url: str, targets: list[list]) -> None:
    """rock and pike, opened Monday 2026-04-06 (W1), each open Monday to Friday 09:00-17:00
    with one room (40 room-hours a week). W1 and W2: 20 one-hour bookings a week at each (50 %
    utilization); rock misses 3 of them (15 %), pike none. One completed booking each on Monday
    2026-04-20 makes W2 the latest complete week. `targets` rows replace the stored targets."""
    from queries.db import open_database
    from queries.targets import TARGET_COLUMNS, replace_targets

    first = date(2026, 4, 6)
    engine = open_database(url)
    with engine.begin() as conn:
        for location_id, missed in (("rock", 3), ("pike", 0)):
            add_location(conn, location_id, opened_on=first)
            for weekday in ("mon", "tue", "wed", "thu", "fri"):
                add_capacity(conn, location_id, weekday, "09:00", "17:00", 1)
            add_week_of_bookings(conn, location_id, first, 20, missed)
            add_week_of_bookings(conn, location_id, first + timedelta(days=7), 20, missed)
            last = first + timedelta(days=14)
            add_booking(conn, f"{location_id}-last", location_id, "p-last", f"{last} 09:00")
        refresh_all(conn)
        frame = pd.DataFrame(targets, columns=TARGET_COLUMNS)
        replace_targets(conn, frame, email=None, source="test")
    engine.dispose()
