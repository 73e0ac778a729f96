"""What a caller can choose from: the locations they may see and the dates that hold data."""

from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, select

from queries.page_filters import location_condition
from queries.schema import bookings, consultations, locations
from queries.scope import Scope


def visible_locations(conn: Connection, *, scope: Scope) -> pd.DataFrame:
    """Locations the scope allows, by name: `location_id`, `name`, `city`, `state`."""
    stmt = (
        select(locations.c.location_id, locations.c.name, locations.c.city, locations.c.state)
        .where(location_condition(locations.c.location_id, scope=scope, locations=None))
        .order_by(locations.c.name, locations.c.location_id)
    )
    rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["location_id", "name", "city", "state"])


def latest_activity_date(conn: Connection, *, scope: Scope) -> date | None:
    """The latest local date of a consultation request or a completed booking, or `None` if none.

    Only past activity counts: scheduled bookings lie in the future and say nothing about how far
    the data reaches.
    """
    request_day = select(func.max(consultations.c.received_date)).where(
        location_condition(consultations.c.location_id, scope=scope, locations=None)
    )
    booking_day = select(func.max(bookings.c.start_date)).where(
        bookings.c.status == "completed",
        location_condition(bookings.c.location_id, scope=scope, locations=None),
    )
    days = [conn.execute(request_day).scalar(), conn.execute(booking_day).scalar()]
    days = [day for day in days if day is not None]
    return max(days) if days else None
