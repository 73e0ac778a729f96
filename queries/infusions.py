"""Infusion bookings for the Infusions page: outcomes over time and no-shows by weekday."""

from typing import Unpack

import pandas as pd
from sqlalchemy import Connection, case, func, select

from queries.metric_definitions import STATUS_COUNTS, column
from queries.page_filters import PeriodArgs, count_by_week, period_condition, week_range
from queries.schema import bookings, calendar
from queries.vocabulary import ALL, BOOKING_STATUSES, WEEKDAY_LABELS

# The chart's order: the outcomes first, the bookings still to come last.
STATUSES = sorted(BOOKING_STATUSES, key=lambda status: status == "scheduled")
NO_SHOW_RATE = column("no_show_rate_pct")
NO_SHOW_HELD = NO_SHOW_RATE.formula.denominator


def bookings_by_week_and_status(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """Bookings starting in each week by status: `week_start`, `status`, `bookings`.

    Every week of the period and every status is present (zero when none), so a missing bar
    never hides a zero.
    """
    stmt = count_by_week(
        bookings.c.status,
        bookings.c.start_date,
        bookings.c.location_id,
        week_start=week_start,
        **period,
    )
    counts = {(week_day, status): n for week_day, status, n in conn.execute(stmt).all()}
    first, last = week_range(period["start"], period["end"], week_start)
    weeks = pd.date_range(first, last, freq="7D").date
    rows = [
        {"week_start": w, "status": status, "bookings": int(counts.get((w, status), 0))}
        for w in weeks
        for status in STATUSES
    ]
    return pd.DataFrame(rows, columns=["week_start", "status", "bookings"])


def no_shows_by_location_and_weekday(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """No-show rate per location and weekday, plus pooled `ALL` rows: `location_id`, `weekday`
    (Mon..Sun), `no_shows`, `held`, `no_show_rate_pct`.

    `held` is the rate's denominator (queries/metric_definitions.py): completed + no-show +
    late-cancelled bookings.
    """
    # The statuses whose counts make up the rate, each counted under its report column's name.
    counted = {status: name for status, name in STATUS_COUNTS.items() if name in NO_SHOW_HELD}
    stmt = (
        select(
            bookings.c.location_id,
            calendar.c.weekday,
            *(
                func.sum(case((bookings.c.status == status, 1), else_=0)).label(name)
                for status, name in counted.items()
            ),
        )
        .select_from(bookings.join(calendar, calendar.c.day == bookings.c.start_date))
        .where(
            period_condition(
                bookings.c.start_date, bookings.c.location_id, week_start=week_start, **period
            ),
            bookings.c.status.in_(list(counted)),
        )
        .group_by(bookings.c.location_id, calendar.c.weekday)
    )
    names = list(counted.values())
    counts = pd.DataFrame(conn.execute(stmt).all(), columns=["location_id", "weekday", *names])
    columns = ["location_id", "weekday", "no_shows", "held", "no_show_rate_pct"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts = counts.astype({name: int for name in ["weekday", *names]})
    pooled = counts.groupby("weekday", as_index=False)[names].sum()
    pooled.insert(0, "location_id", ALL)
    table = pd.concat([counts.sort_values(["location_id", "weekday"]), pooled], ignore_index=True)
    sums = table[names].to_dict("records")
    table["held"] = [NO_SHOW_RATE.formula.exact(row)[1] for row in sums]
    table["no_show_rate_pct"] = [NO_SHOW_RATE.value(row) for row in sums]
    table["weekday"] = [WEEKDAY_LABELS[day] for day in table["weekday"]]
    return table[columns]
