"""Cached loaders: each reads one result from `queries/` for a selection, keyed by its arguments.

Every argument is a plain value (URL, scope's allowed ids, location ids, dates), so what one caller
may see is part of the cache key and never served to someone with a different scope. Failures are
not cached: Streamlit caches only return values.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from dashboard.state import engine_for
from queries import capacity, catalog, consultations, infusions, overview, period
from queries.report import response_seconds
from queries.report_files import report_filters
from queries.safe_export import safe_weekly_csv_bytes, safe_weekly_xlsx_bytes
from queries.scope import Scope
from queries.weekly import weekly_metrics

TTL = 600  # seconds: an import shows within ten minutes without a restart
ENTRIES = 64

Allowed = tuple[str, ...] | None
Locations = tuple[str, ...]


def _scope(allowed: Allowed) -> Scope:
    return Scope(allowed=None if allowed is None else frozenset(allowed))


def _read(url: str, fn: Callable, allowed: Allowed, **filters):
    with engine_for(url).connect() as conn:
        return fn(conn, scope=_scope(allowed), **filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def visible_locations(url: str, allowed: Allowed) -> pd.DataFrame:
    return _read(url, catalog.visible_locations, allowed)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def latest_activity_date(url: str, allowed: Allowed) -> date | None:
    return _read(url, catalog.latest_activity_date, allowed)


def _selection_loader(fn: Callable, **options) -> Callable:
    """A cached loader for a `fn(conn, *, scope, locations, start, end, week_start)` query."""

    def load(
        url: str, allowed: Allowed, locations: Locations, start: date, end: date, week_start: str
    ) -> pd.DataFrame:
        return _read(
            url, fn, allowed, locations=list(locations), start=start, end=end,
            week_start=week_start, **options,
        )  # fmt: skip

    # Streamlit keys a cache by the function's qualified name and source; every loader made here
    # shares the source, so each gets its own name before it is cached.
    load.__name__ = load.__qualname__ = f"load_{fn.__name__}"
    load.__doc__ = fn.__doc__
    return st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)(load)


# The contacted requests the medians are taken over: read once for a selection, they serve the
# weekly report and the period table (the Overview shows both; each read took about a second).
response_rows = _selection_loader(response_seconds)


def _with_response_rows(fn: Callable, name: str) -> Callable:
    """A cached loader for the weekly report or the period table, given the cached
    `response_rows` of the same selection instead of reading the requests itself."""

    def load(
        url: str, allowed: Allowed, locations: Locations, start: date, end: date, week_start: str
    ) -> pd.DataFrame:
        rows = response_rows(url, allowed, locations, start, end, week_start)
        return _read(
            url, fn, allowed, locations=list(locations), start=start, end=end,
            week_start=week_start, response_rows=rows,
        )  # fmt: skip

    load.__name__ = load.__qualname__ = name
    load.__doc__ = fn.__doc__
    return st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)(load)


weekly = _with_response_rows(weekly_metrics, "weekly")
period_metrics = _with_response_rows(period.period_metrics, "period_metrics")
requests_by_week_and_channel = _selection_loader(consultations.requests_by_week_and_channel)
# With the pooled ALL rows: the charts show them instead of each location past the palette.
indication_mix = _selection_loader(consultations.indication_mix, with_network=True)
response_time_distribution = _selection_loader(consultations.response_time_distribution)
funnel_by_location = _selection_loader(consultations.funnel_by_location, with_network=True)
bookings_by_week_and_status = _selection_loader(infusions.bookings_by_week_and_status)
no_shows_by_location_and_weekday = _selection_loader(infusions.no_shows_by_location_and_weekday)
occupied_rooms_by_weekday_hour = _selection_loader(capacity.occupied_rooms_by_weekday_hour)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def kpi_summary(
    url: str, allowed: Allowed, locations: Locations, week: date, week_start: str
) -> pd.DataFrame:
    return _read(
        url, overview.kpi_summary, allowed, locations=list(locations), week=week,
        week_start=week_start,
    )  # fmt: skip


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def weeks_ahead(
    url: str, allowed: Allowed, locations: Locations, today: date, week_start: str
) -> pd.DataFrame:
    return _read(
        url, capacity.weeks_ahead, allowed, locations=list(locations), today=today,
        week_start=week_start, with_network=True,
    )  # fmt: skip


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def weekly_csv(
    url: str,
    allowed: Allowed,
    locations: Locations,
    start: date,
    end: date,
    week_start: str,
    suppress_small: bool = False,
) -> bytes:
    """The weekly report CSV for the selection, through the safe export (queries/safe_export.py):
    the bytes `python -m queries.weekly` writes, with formula-like text made inert."""
    frame = weekly(url, allowed, locations, start, end, week_start)
    return safe_weekly_csv_bytes(frame, suppress_small=suppress_small)


def weekly_xlsx(
    url: str,
    allowed: Allowed,
    locations: Locations,
    start: date,
    end: date,
    week_start: str,
    suppress_small: bool = False,
) -> bytes:
    """The weekly report workbook for the selection, stamped with the time it is made, through
    the safe export (queries/safe_export.py)."""
    frame = weekly(url, allowed, locations, start, end, week_start)
    filters = report_filters(
        frame, start=start, end=end, week_start=week_start, generated_at=datetime.now(UTC)
    )
    return safe_weekly_xlsx_bytes(frame, filters=filters, suppress_small=suppress_small)
