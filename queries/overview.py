"""The Overview page's headline figures: one week from the weekly report, against its past."""

from datetime import date, timedelta
from typing import Unpack

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from queries.metric_definitions import column
from queries.page_filters import ScopeArgs, week_range
from queries.report import ReportCounts, metrics_columns, report_counts

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
    history_start = week - timedelta(days=7 * HISTORY_WEEKS)
    # One read for the 12 weeks before and the week itself: the cards read two of its weeks,
    # the averages the other twelve, pooled over those twelve.
    period = {"week_start": week_start, **chosen}
    if counts is None:
        counts = report_counts(conn, start=history_start, end=week, **period)
    else:
        counts = counts.of_weeks(*week_range(history_start, week, week_start))
    if not counts.selected:
        return pd.DataFrame(columns=KPI_COLUMNS)
    # The report core's columns as weekly_metrics and period_metrics lay them out, read where
    # the cards need them without building those tables: each week's rows end with the pooled
    # ALL row, and the card's week is the last.
    places = len(counts.selected) + 1
    weekly = metrics_columns(counts)
    twelve_weeks = counts.of_weeks(counts.first, counts.last - timedelta(days=7))
    pooled = metrics_columns(twelve_weeks, whole_period=True)

    rows = []
    for metric in KPIS:
        card = column(metric)
        weeks = np.asarray(weekly[metric])[places - 1 :: places]
        value, before = _plain(weeks[-1]), _plain(weeks[-2])
        if card.kind == "count":
            twelve = round(float(weeks[:-1].sum()) / HISTORY_WEEKS, 1)
        else:
            twelve = _plain(np.asarray(pooled[metric])[-1])
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
