"""Building blocks shared by the page-level queries: their arguments, the week range, the
location condition and the count per week."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TypedDict, Unpack

from sqlalchemy import ColumnElement, Select, and_, false, func, select, true

from queries.calendar_table import week_start as week_start_of
from queries.schema import calendar
from queries.scope import EVERY_LOCATION, Scope
from queries.vocabulary import MAX_SELECTION_WEEKS


class ScopeArgs(TypedDict):
    """The keyword arguments naming what a query may read: who reads (`scope`) and which
    locations (None: every one the scope allows)."""

    scope: Scope
    locations: Iterable[str] | None


class PeriodArgs(ScopeArgs):
    """The keyword arguments of a query over a period, besides `week_start`: `scope`,
    `locations` and the whole weeks holding `start`..`end`. A query declares them as
    `**period: Unpack[PeriodArgs]`, so every caller still names each one."""

    start: date
    end: date


# Allowlist: the only calendar columns a week can be bucketed by.
WEEK_COLUMNS = {"mon": calendar.c.week_mon, "sun": calendar.c.week_sun}


def week_column(week_start: str) -> ColumnElement:
    """The `calendar` column holding the start of a day's week; `week_start` is `mon` or `sun`."""
    try:
        return WEEK_COLUMNS[week_start]
    except KeyError:
        raise ValueError(f"week_start must be 'mon' or 'sun', not {week_start!r}") from None


def week_range(start: date, end: date, week_start: str = "mon") -> tuple[date, date]:
    """First and last day of the whole weeks from the week holding `start` to the one holding `end`;
    ValueError for more than `MAX_SELECTION_WEEKS` weeks.

    The weekly metrics report every week whose start lies between the week starts of `start` and
    `end`; the pages use the same days so their figures agree with it.
    """
    first = week_start_of(start, week_start)
    last = week_start_of(end, week_start) + timedelta(days=6)
    weeks = (last - first).days // 7 + 1
    if weeks > MAX_SELECTION_WEEKS:
        # One bound for every reader: a longer range would read and hold years of rows at once.
        raise ValueError(
            f"{start} to {end} covers {weeks} weeks; a selection covers at most "
            f"{MAX_SELECTION_WEEKS} weeks (five years)"
        )
    return first, last


def longest_start(end: date, week_start: str = "mon") -> date:
    """The first day of the longest selection that ends with the week holding `end`."""
    return week_start_of(end, week_start) - timedelta(days=7 * (MAX_SELECTION_WEEKS - 1))


def location_condition(
    column: ColumnElement, *, scope: Scope, locations: Iterable[str] | None
) -> ColumnElement[bool]:
    """`column IN (...)` for the requested locations the scope allows (`None` = all it allows)."""
    allowed = scope.narrow(None if locations is None else list(locations))
    if allowed is EVERY_LOCATION:
        return true()
    if not allowed:
        return false()
    # `in_` with a list renders one expanding bound parameter, never literal values.
    return column.in_(allowed)


def period_condition(
    day: ColumnElement,
    location: ColumnElement,
    *,
    scope: Scope,
    locations: Iterable[str] | None,
    start: date,
    end: date,
    week_start: str = "mon",
) -> ColumnElement[bool]:
    """Rows whose local `day` is in the selection's whole weeks, at a location the scope allows."""
    first, last = week_range(start, end, week_start)
    return and_(
        day.between(first, last), location_condition(location, scope=scope, locations=locations)
    )


def count_by_week(
    category: ColumnElement,
    day: ColumnElement,
    location: ColumnElement,
    *,
    week_start: str = "mon",
    **period: Unpack[PeriodArgs],
) -> Select:
    """Rows (week start, `category`, count) of `category`'s table whose local `day` is in the
    selection's whole weeks at a location the scope allows, ordered by week then category; a
    week or category with no rows has no row."""
    week = week_column(week_start)
    return (
        select(week.label("week_start"), category, func.count().label("rows"))
        .select_from(category.table.join(calendar, calendar.c.day == day))
        .where(period_condition(day, location, week_start=week_start, **period))
        .group_by(week, category)
        .order_by(week, category)
    )
