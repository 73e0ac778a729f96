"""Cached loaders: each reads one result from `queries/` for a selection, keyed by its arguments.

Every argument is a plain value (URL, scope's allowed ids, location ids, dates), so what one caller
may see is part of the cache key and never served to someone with a different scope. Failures are
not cached: Streamlit caches only return values. Each cache keeps at most `ENTRIES` results for
`TTL` seconds, and all of them together at most a memory budget (dashboard/cache_budget.py).
"""

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import NamedTuple

import pandas as pd
import streamlit as st

from dashboard.cache_budget import within_budget
from dashboard.state import engine_for
from queries import (
    attention,
    capacity,
    catalog,
    consultations,
    infusions,
    overview,
    period,
    targets,
)
from queries.attention import LOOKBACK_WEEKS
from queries.downloads import weekly_csv_download, weekly_xlsx_download
from queries.report import report_counts
from queries.scope import EveryLocation, Scope
from queries.weekly import weekly_metrics

# The key under which a loader's result carries its id (`result_id`).
RESULT_ID = "dashboard_result_id"
TTL = 600  # seconds: an import shows within ten minutes without a restart
ENTRIES = 64

# A scope as a cache key (`Scope.key()`): the sorted ids, or EVERY_LOCATION.
Allowed = tuple[str, ...] | EveryLocation


class Query(NamedTuple):
    """What a page reads: the database, who reads (`Scope.key()`: the allowed ids, or
    EVERY_LOCATION), the locations chosen and the whole weeks from `start` to `end`. A tuple of
    plain values, so it is the cache key as it is."""

    url: str
    allowed: Allowed
    locations: tuple[str, ...]
    start: date
    end: date
    week_start: str

    def of_weeks(self, start: date, end: date) -> "Query":
        """The same read for other weeks: a loader of fewer weeks is keyed by those alone."""
        return self._replace(start=start, end=end)


# A Query is hashed for a cache key by its text: each field is a string, a tuple of strings,
# EVERY_LOCATION or a date, whose repr names it exactly, and Streamlit's own hashing of the
# tuple field by field cost more than many a loader's work on a cached run.
BY_VALUE = {Query: repr}


def _scoped(url: str, allowed: Allowed, fn: Callable, **arguments):
    scope = Scope.from_key(allowed)
    with engine_for(url).connect() as conn:
        return fn(conn, scope=scope, **arguments)


def _read(query: Query, fn: Callable, **options):
    """`fn(conn, *, scope, locations, start, end, week_start, **options)` for `query`."""
    return _scoped(
        query.url, query.allowed, fn, locations=list(query.locations), start=query.start,
        end=query.end, week_start=query.week_start, **options,
    )  # fmt: skip


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def visible_locations(url: str, allowed: Allowed) -> pd.DataFrame:
    return _scoped(url, allowed, catalog.visible_locations)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def latest_activity_date(url: str, allowed: Allowed) -> date | None:
    return _scoped(url, allowed, catalog.latest_activity_date)


class ReportTables(NamedTuple):
    """A selection's weekly report and period table (`report_tables`)."""

    weekly: pd.DataFrame
    period: pd.DataFrame


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def report_tables(query: Query) -> ReportTables:
    """The weekly report and the period table of a selection, from one read of its counts and
    response times: the Overview shows both, and one cached entry is one key to hash and one
    result to copy out per run. The weekly table is stamped with an id of its own
    (`result_id`): copies of one result out of the cache carry the same id, a result computed
    again a new one."""
    counts = _read(query, report_counts)
    table = _read(query, weekly_metrics, counts=counts)
    table.attrs[RESULT_ID] = uuid.uuid4().hex
    return ReportTables(table, _read(query, period.period_metrics, counts=counts))


def weekly(query: Query) -> pd.DataFrame:
    """The weekly report of `report_tables`."""
    return report_tables(query).weekly


def result_id(table: pd.DataFrame) -> str | None:
    """The id `report_tables` stamped on the weekly table it returned (None for any other
    table): a key for what is built from the table as it is, cheaper than hashing its rows. A
    frame made from it (filtered, changed) keeps the stamp in pandas, so only the loader's own
    result may use it."""
    return table.attrs.get(RESULT_ID)


def period_metrics(query: Query) -> pd.DataFrame:
    """The period table of `report_tables`."""
    return report_tables(query).period


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def requests_by_week_and_channel(query: Query) -> pd.DataFrame:
    return _read(query, consultations.requests_by_week_and_channel)


# With the pooled ALL rows: the charts show them instead of each location past the palette.
@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def indication_mix(query: Query) -> pd.DataFrame:
    return _read(query, consultations.indication_mix, with_network=True)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def response_time_distribution(query: Query) -> pd.DataFrame:
    return _read(query, consultations.response_time_distribution)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def funnel_by_location(query: Query) -> pd.DataFrame:
    return _read(query, consultations.funnel_by_location, with_network=True)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def bookings_by_week_and_status(query: Query) -> pd.DataFrame:
    return _read(query, infusions.bookings_by_week_and_status)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def no_shows_by_location_and_weekday(query: Query) -> pd.DataFrame:
    return _read(query, infusions.no_shows_by_location_and_weekday)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def occupied_rooms_by_weekday_hour(query: Query) -> pd.DataFrame:
    return _read(query, capacity.occupied_rooms_by_weekday_hour)


class Headline(NamedTuple):
    """The Overview's cards (`kpi_summary`) and "Needs attention" (`attention_status`) of a week."""

    kpis: pd.DataFrame
    status: pd.DataFrame


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def headline(query: Query) -> Headline:
    """The cards and "Needs attention" as of the week starting `query.start` (see
    `Query.of_weeks`), from one read of the report's counts of the `LOOKBACK_WEEKS` weeks to it:
    the cards take the last 13 of them, "Needs attention" all of them."""
    first = query.start - timedelta(days=7 * (LOOKBACK_WEEKS - 1))
    counts = _read(query.of_weeks(first, query.start), report_counts)
    week = {"locations": list(query.locations), "week": query.start}
    week |= {"week_start": query.week_start, "counts": counts}
    # The targets of these locations as the page's loader keeps them, not read again.
    resolved = targets.resolved_from(effective_targets(query))
    return Headline(
        _scoped(query.url, query.allowed, overview.kpi_summary, **week),
        _scoped(query.url, query.allowed, attention.attention_status, targets=resolved, **week),
    )


def kpi_summary(query: Query) -> pd.DataFrame:
    """The Overview's cards for the week starting `query.start` (`headline`)."""
    return headline(query).kpis


def attention_status(query: Query) -> pd.DataFrame:
    """What needs attention as of the week starting `query.start` (`headline`)."""
    return headline(query).status


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def weeks_ahead(query: Query) -> pd.DataFrame:
    """Booked against available room-hours from the week holding `query.start` on."""
    return _scoped(
        query.url, query.allowed, capacity.weeks_ahead, locations=list(query.locations),
        today=query.start, week_start=query.week_start, with_network=True,
    )  # fmt: skip


def effective_targets(query: Query) -> pd.DataFrame:
    """The target of each chosen location and metric (`queries.targets`). Dates play no part,
    so every period of the same locations reads the one cached entry."""
    return _effective_targets(query.url, query.allowed, query.locations)


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _effective_targets(url: str, allowed: Allowed, locations: tuple[str, ...]) -> pd.DataFrame:
    return _scoped(url, allowed, targets.effective_targets, locations=list(locations))


@within_budget(TTL)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False, hash_funcs=BY_VALUE)
def weekly_csv(query: Query, suppress_small: bool = False) -> bytes:
    """The weekly report CSV for the selection, through the safe export (queries/safe_export.py):
    the bytes `python -m queries.weekly` writes, with formula-like text made inert."""
    return weekly_csv_download(weekly(query), suppress_small=suppress_small)


def weekly_xlsx(query: Query, suppress_small: bool = False) -> bytes:
    """The weekly report workbook for the selection, stamped with the time it is made, through
    the safe export (queries/safe_export.py)."""
    return weekly_xlsx_download(
        weekly(query), start=query.start, end=query.end, week_start=query.week_start,
        suppress_small=suppress_small,
    )  # fmt: skip
