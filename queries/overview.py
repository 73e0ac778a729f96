"""The Overview page's headline figures: one week from the weekly report, against its past."""

from datetime import date, timedelta
from typing import Unpack

import pandas as pd
from sqlalchemy import Connection

from queries.metric_definitions import column
from queries.page_filters import ScopeArgs, week_range
from queries.period import period_metrics
from queries.report import ReportCounts, report_counts
from queries.vocabulary import ALL
from queries.weekly import weekly_metrics

# The cards, in order; label, unit and direction come from the metric registry.
KPIS = [
    "consult_requests",
    "median_response_minutes",
    "consult_conversion_pct",
    "infusions_completed",
    "no_show_rate_pct",
    "new_patients",
    "utilization_pct",
]
# The weeks before the card's week that its 12-week figure covers.
HISTORY_WEEKS = 12
KPI_COLUMNS = [
    "metric",
    "label",
    "unit",
    "higher_is_better",
    "value",
    "previous_week",
    "twelve_week",
    "change_vs_previous",
    "change_vs_twelve_week",
]


def _difference(value: float | None, other: float | None) -> float | None:
    if value is None or other is None or pd.isna(value) or pd.isna(other):
        return None
    return round(float(value) - float(other), 1)


def _plain(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def kpi_summary(
    conn: Connection,
    *,
    week: date,
    week_start: str = "mon",
    counts: ReportCounts | None = None,
    **chosen: Unpack[ScopeArgs],
) -> pd.DataFrame:
    """The headline metrics of the pooled (`ALL`) report row for the week starting `week`, with the
    week before and the 12 weeks before it: one row per card, columns `KPI_COLUMNS`.

    `twelve_week` is the weekly average of a count over those 12 weeks, and for rates and the
    median the figure of the 12 weeks taken together (pooled, as the report pools locations).
    `counts`, if given, is `report_counts` for the same locations over weeks that include these
    13 (the Overview reads 26 once for the cards and "Needs attention"), and nothing is read.
    """
    previous = week - timedelta(days=7)
    history_start = week - timedelta(days=7 * HISTORY_WEEKS)
    # One read for the 12 weeks before and the week itself: the cards read two of its weeks,
    # the averages the other twelve, pooled over those twelve.
    period = {"week_start": week_start, **chosen}
    if counts is None:
        counts = report_counts(conn, start=history_start, end=week, **period)
    else:
        counts = counts.of_weeks(*week_range(history_start, week, week_start))
    report = weekly_metrics(conn, start=history_start, end=week, counts=counts, **period)
    report = report[report["location_id"] == ALL]
    recent = report[report["week_start"] >= previous].set_index("week_start")
    history = report[report["week_start"] < week]
    twelve_weeks = counts.of_weeks(counts.first, counts.last - timedelta(days=7))
    pooled = period_metrics(conn, start=history_start, end=previous, counts=twelve_weeks, **period)
    pooled = pooled[pooled["location_id"] == ALL]

    rows = []
    for metric in KPIS:
        if recent.empty:
            break
        card = column(metric)
        value = _plain(recent.at[week, metric])
        before = _plain(recent.at[previous, metric])
        if card.kind == "count":
            twelve = round(float(history[metric].sum()) / HISTORY_WEEKS, 1)
        else:
            twelve = _plain(pooled[metric].iloc[0]) if not pooled.empty else None
        rows.append(
            [
                metric,
                card.label,
                card.unit,
                card.higher_is_better,
                value,
                before,
                twelve,
                _difference(value, before),
                _difference(value, twelve),
            ]
        )
    return pd.DataFrame(rows, columns=KPI_COLUMNS)
