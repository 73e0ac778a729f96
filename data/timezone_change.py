"""A location whose time zone changes: its stored requests and bookings get new local dates.

Instants are stored in UTC, so the local calendar date (and a booking's local start minute) can
be worked out again; the daily aggregates of the location are then rebuilt from them.
"""

import pandas as pd
from sqlalchemy import Connection, bindparam, select, update

from queries import schema
from queries.derived import refresh_after_import


def changed_timezones(conn: Connection, incoming: pd.DataFrame) -> dict[str, str]:
    """Stored locations whose time zone `incoming` (location_id, timezone) changes: id -> new."""
    stored = dict(
        conn.execute(select(schema.locations.c.location_id, schema.locations.c.timezone)).all()
    )
    return {
        location_id: zone
        for location_id, zone in zip(incoming["location_id"], incoming["timezone"], strict=True)
        if location_id in stored and stored[location_id] != zone
    }


def redate(conn: Connection, changed: dict[str, str]) -> None:
    """Re-date every stored row of the `changed` locations, then rebuild their aggregates."""
    for location_id, zone in sorted(changed.items()):
        _redate_consultations(conn, location_id, zone)
        _redate_bookings(conn, location_id, zone)
    if changed:
        refresh_after_import(conn, patient_refs=(), location_ids=sorted(changed))


def _local(instants: pd.Series, zone: str) -> pd.Series:
    return pd.to_datetime(instants).dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)


def _redate_consultations(conn: Connection, location_id: str, zone: str) -> None:
    c = schema.consultations.c
    rows = pd.DataFrame(
        conn.execute(
            select(c.request_id, c.received_at, c.consult_at).where(c.location_id == location_id)
        ).all(),
        columns=["request_id", "received_at", "consult_at"],
    )
    if rows.empty:
        return
    received = _local(rows["received_at"], zone).dt.date
    consult = _local(rows["consult_at"], zone).dt.date.astype(object)
    consult = consult.where(rows["consult_at"].notna(), None)
    params = [
        {"key": key, "received": r, "consult": k}
        for key, r, k in zip(rows["request_id"], received, consult, strict=True)
    ]
    conn.execute(
        update(schema.consultations)
        .where(c.request_id == bindparam("key"))
        .values(received_date=bindparam("received"), consult_date=bindparam("consult")),
        params,
    )


def _redate_bookings(conn: Connection, location_id: str, zone: str) -> None:
    b = schema.bookings.c
    rows = pd.DataFrame(
        conn.execute(select(b.booking_id, b.starts_at).where(b.location_id == location_id)).all(),
        columns=["booking_id", "starts_at"],
    )
    if rows.empty:
        return
    local = _local(rows["starts_at"], zone)
    minutes = local.dt.hour * 60 + local.dt.minute
    params = [
        {"key": key, "day": day, "minute": int(minute)}
        for key, day, minute in zip(rows["booking_id"], local.dt.date, minutes, strict=True)
    ]
    conn.execute(
        update(schema.bookings)
        .where(b.booking_id == bindparam("key"))
        .values(start_date=bindparam("day"), start_minute=bindparam("minute")),
        params,
    )
