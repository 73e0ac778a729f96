"""Consultation requests for the Consultations page: volume, mix, response times and the funnel."""

from typing import Unpack

import pandas as pd
from sqlalchemy import Connection, and_, case, exists, func, literal, select

from queries.page_filters import PeriodArgs, count_by_week, period_condition
from queries.schema import bookings, consultations
from queries.vocabulary import ALL, SERIES_LENGTH

# Upper bounds (minutes, inclusive) of the response-time buckets; the 60-minute edge matches
# the weekly metric "contacted within 1 h".
RESPONSE_BUCKETS = [
    ("≤ 15 min", 15),
    ("15–60 min", 60),
    ("1–4 h", 240),
    ("4–24 h", 1440),
    ("> 24 h", None),
]
NOT_CONTACTED = "Not contacted"
FUNNEL_STAGES = [
    "Requests",
    "Contacted",
    "Consult completed",
    "First infusion",
    "Series completed",
]


def requests_by_week_and_channel(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """Requests received per week and channel: `week_start`, `channel`, `requests`."""
    stmt = count_by_week(
        consultations.c.channel,
        consultations.c.received_date,
        consultations.c.location_id,
        week_start=week_start,
        **period,
    )
    return pd.DataFrame(conn.execute(stmt).all(), columns=["week_start", "channel", "requests"])


def indication_mix(
    conn: Connection,
    *,
    week_start: str = "mon",
    with_network: bool = False,
    **period: Unpack[PeriodArgs],
) -> pd.DataFrame:
    """Requests received in the period per location and indication: `location_id`, `indication`,
    `requests` (and the pooled `ALL` rows `with_network`)."""
    stmt = (
        select(
            consultations.c.location_id,
            consultations.c.indication,
            func.count().label("requests"),
        )
        .where(
            period_condition(
                consultations.c.received_date,
                consultations.c.location_id,
                week_start=week_start,
                **period,
            )
        )
        .group_by(consultations.c.location_id, consultations.c.indication)
        .order_by(consultations.c.location_id, consultations.c.indication)
    )
    table = pd.DataFrame(
        conn.execute(stmt).all(), columns=["location_id", "indication", "requests"]
    )
    return _with_network(table, "indication") if with_network else table


def response_time_distribution(
    conn: Connection, *, week_start: str = "mon", **period: Unpack[PeriodArgs]
) -> pd.DataFrame:
    """Requests in the period by time to first contact: `bucket` (in display order), `requests`.

    Every bucket is present, with zero when empty; requests never contacted have their own bucket.
    """
    minutes = consultations.c.response_minutes
    whens = [(minutes.is_(None), literal(NOT_CONTACTED))]
    whens += [(minutes <= bound, literal(label)) for label, bound in RESPONSE_BUCKETS if bound]
    bucket = case(*whens, else_=literal(RESPONSE_BUCKETS[-1][0])).label("bucket")
    stmt = (
        select(bucket, func.count().label("requests"))
        .where(
            period_condition(
                consultations.c.received_date,
                consultations.c.location_id,
                week_start=week_start,
                **period,
            )
        )
        .group_by(bucket)
    )
    counts = dict(conn.execute(stmt).all())
    labels = [label for label, _ in RESPONSE_BUCKETS] + [NOT_CONTACTED]
    return pd.DataFrame(
        {"bucket": labels, "requests": [int(counts.get(label, 0)) for label in labels]}
    )


def funnel_by_location(
    conn: Connection,
    *,
    week_start: str = "mon",
    with_network: bool = False,
    **period: Unpack[PeriodArgs],
) -> pd.DataFrame:
    """How far the requests received in the period got, per location: `location_id`, `stage`,
    `requests` (stages in `FUNNEL_STAGES` order; the pooled `ALL` rows `with_network`).

    A request reaches "First infusion" when its consult was completed and its patient has a
    completed booking (any location) at or after the consult, and "Series completed" when that
    patient's `SERIES_LENGTH`th completed initial booking is at or after the consult.
    """
    completed = consultations.c.consult_status == "completed"
    later_booking = and_(
        bookings.c.patient_ref == consultations.c.patient_ref,
        bookings.c.status == "completed",
        bookings.c.starts_at >= consultations.c.consult_at,
    )
    infused = and_(completed, exists().where(later_booking))
    series = and_(completed, exists().where(later_booking, bookings.c.initial_seq == SERIES_LENGTH))

    def tally(condition):
        return func.sum(case((condition, 1), else_=0))

    stmt = (
        select(
            consultations.c.location_id,
            func.count(),
            tally(consultations.c.first_contact_at.is_not(None)),
            tally(completed),
            tally(infused),
            tally(series),
        )
        .where(
            period_condition(
                consultations.c.received_date,
                consultations.c.location_id,
                week_start=week_start,
                **period,
            )
        )
        .group_by(consultations.c.location_id)
        .order_by(consultations.c.location_id)
    )
    rows = [
        {"location_id": location, "stage": stage, "requests": int(count)}
        for location, *counts in conn.execute(stmt).all()
        for stage, count in zip(FUNNEL_STAGES, counts, strict=True)
    ]
    table = pd.DataFrame(rows, columns=["location_id", "stage", "requests"])
    return _with_network(table, "stage") if with_network else table


def _with_network(table: pd.DataFrame, category: str) -> pd.DataFrame:
    """`table` and, after it, `ALL` rows: the requests of all its locations per `category`."""
    pooled = table.groupby(category, sort=False, as_index=False)["requests"].sum()
    pooled = pooled.assign(location_id=ALL)[list(table.columns)]
    return pd.concat([table, pooled], ignore_index=True)
