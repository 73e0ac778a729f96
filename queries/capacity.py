"""Rooms for the Capacity page: utilization, when rooms are occupied, and the weeks ahead."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Unpack

import pandas as pd
from sqlalchemy import Connection, and_, case, func, literal, select, union_all

from queries.calendar_table import week_start as week_start_of
from queries.page_filters import PeriodArgs, period_condition, week_range
from queries.schema import bookings, calendar
from queries.scope import Scope
from queries.vocabulary import ALL, OCCUPYING, WEEKDAY_LABELS
from queries.weekly import weekly_metrics


def _least(a, b):
    # CASE rather than LEAST/MIN: SQLite and PostgreSQL spell the two-argument minimum differently.
    return case((a < b, a), else_=b)


def _greatest(a, b):
    return case((a > b, a), else_=b)


def occupied_rooms_by_weekday_hour(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """Average rooms occupied per weekday and hour of the day over the period, summed over the
    selected locations: `weekday` (Mon..Sun), `hour` (0..23), `occupied_rooms` (2 dp).

    A booking occupies a room from its local start for `duration_minutes` (occupying statuses
    only; time past midnight is not carried into the next day). The average divides the room-
    minutes in each cell by 60 × the number of such weekdays in the period.
    """
    first, last = week_range(period["start"], period["end"], week_start)
    # Bookings share a handful of start times and durations: counting each (weekday, start,
    # duration) once before the 24-hour join cuts the rows joined from every booking to a few
    # hundred, and the sum comes out the same.
    alike = (
        select(
            calendar.c.weekday,
            bookings.c.start_minute,
            bookings.c.duration_minutes,
            func.count().label("n"),
        )
        .select_from(bookings.join(calendar, calendar.c.day == bookings.c.start_date))
        .where(
            period_condition(
                bookings.c.start_date, bookings.c.location_id, week_start=week_start, **period
            ),
            bookings.c.status.in_(list(OCCUPYING)),
        )
        .group_by(calendar.c.weekday, bookings.c.start_minute, bookings.c.duration_minutes)
        .subquery("alike")
    )
    hours = union_all(*[select(literal(hour).label("hour")) for hour in range(24)]).subquery()
    slot_start = hours.c.hour * 60
    slot_end = slot_start + 60
    booking_end = alike.c.start_minute + alike.c.duration_minutes
    overlap = _least(booking_end, slot_end) - _greatest(alike.c.start_minute, slot_start)
    stmt = (
        select(alike.c.weekday, hours.c.hour, func.sum(overlap * alike.c.n))
        .select_from(
            alike.join(hours, and_(alike.c.start_minute < slot_end, booking_end > slot_start))
        )
        .group_by(alike.c.weekday, hours.c.hour)
    )
    minutes = {(day, hour): float(total) for day, hour, total in conn.execute(stmt).all()}
    # The period is whole weeks, so every weekday occurs the same number of times.
    weeks = ((last - first).days + 1) // 7
    rows = [
        {
            "weekday": WEEKDAY_LABELS[day],
            "hour": hour,
            "occupied_rooms": round(minutes.get((day, hour), 0.0) / (60 * weeks), 2),
        }
        for day in range(7)
        for hour in range(24)
    ]
    return pd.DataFrame(rows, columns=["weekday", "hour", "occupied_rooms"])


def utilization_by_location_and_week(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """Room utilization per week and location (with the pooled `ALL` rows), taken from the weekly
    metrics: `week_start`, `location_id`, `available_room_hours`, `booked_room_hours`,
    `utilization_pct`."""
    table = weekly_metrics(conn, week_start=week_start, **period)
    return table[
        [
            "week_start",
            "location_id",
            "available_room_hours",
            "booked_room_hours",
            "utilization_pct",
        ]
    ].reset_index(drop=True)


def weeks_ahead(
    conn: Connection,
    *,
    scope: Scope,
    locations: Iterable[str] | None,
    today: date,
    weeks: int = 4,
    week_start: str = "mon",
    with_network: bool = False,
) -> pd.DataFrame:
    """Booked against available room-hours for the week holding `today` and the weeks after it,
    per location, from the weekly metrics: `week_start`, `location_id`, `booked_room_hours`,
    `available_room_hours`, `utilization_pct` (the pooled `ALL` rows only `with_network`)."""
    first = week_start_of(today, week_start)
    last = first + timedelta(days=7 * (weeks - 1))
    table = utilization_by_location_and_week(
        conn, scope=scope, locations=locations, start=first, end=last, week_start=week_start
    )
    if with_network:
        return table
    return table[table["location_id"] != ALL].reset_index(drop=True)
