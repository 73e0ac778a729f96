"""What a caller can choose from: the locations they may see and the dates that hold data."""

from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, or_, select

from queries.page_filters import location_condition
from queries.schema import daily_location_stats, locations
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

    Read from the days an import counts (`daily_location_stats`: every request on its day of
    receipt, every completed booking on its day): each location's days are walked back from its
    last one, past the days that hold only scheduled bookings, to its last day with a request or
    a completed infusion. Walked back among the bookings themselves, it would pass every
    booking of the whole network's future weeks, each read from the table to see its status, and
    every server's first page waits for this date.
    """
    s = daily_location_stats.c
    last_day = (
        select(s.day)
        .where(
            s.location_id == locations.c.location_id,
            or_(s.consult_requests > 0, s.infusions_completed > 0),
        )
        .order_by(s.day.desc())
        .limit(1)
        .correlate(locations)
        .scalar_subquery()
    )
    return conn.execute(
        select(func.max(last_day))
        .select_from(locations)
        .where(location_condition(locations.c.location_id, scope=scope, locations=None))
    ).scalar()
