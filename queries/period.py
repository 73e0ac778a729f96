"""The weekly report's metrics over a whole period: one row per location plus the pooled `ALL`.

The report core (queries/report.py) with the whole period as its one bucket, so a definition
lives in one place: counts are sums over the period's days, rates come from the pooled counts,
the median is taken over the period's requests.
"""

from typing import Unpack

import pandas as pd
from sqlalchemy import Connection

from queries.metric_definitions import METRICS
from queries.page_filters import PeriodArgs
from queries.report import ReportCounts, metrics_columns, report_counts
from queries.vocabulary import ALL

PERIOD_COLUMNS = ["location_id", *(metric.name for metric in METRICS)]


def period_metrics(
    conn: Connection,
    *,
    week_start: str = "mon",
    counts: ReportCounts | None = None,
    **period: Unpack[PeriodArgs],
) -> pd.DataFrame:
    """The weekly report's metrics for the whole weeks holding `start`..`end`, one row per selected
    location then `ALL`: `location_id` and the report's columns 3-19. `counts`, if given, is
    `report.report_counts` for the same arguments, and nothing is read again."""
    if counts is None:
        counts = report_counts(conn, week_start=week_start, **period)
    if not counts.selected:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    # The report core's columns straight into the period's frame: the whole report's frame,
    # then a copy of its columns, cost more than the columns on every new selection.
    columns = metrics_columns(counts, whole_period=True)
    return pd.DataFrame({name: columns[name] for name in PERIOD_COLUMNS}, columns=PERIOD_COLUMNS)


# Rates, the median and utilization compare across locations of any size; counts do not.
COMPARABLE = [
    "median_response_minutes",
    "contacted_within_1h_pct",
    "consult_conversion_pct",
    "no_show_rate_pct",
    "utilization_pct",
]
OUTLIER_SHARE = 0.25


def outliers(table: pd.DataFrame, share: float = OUTLIER_SHARE) -> pd.DataFrame:
    """Which cells of a `period_metrics` table stand out: True where a location's comparable
    metric differs from the `ALL` figure by more than `share` of it (`location_id` kept)."""
    network = table[table["location_id"] == ALL]
    flags = pd.DataFrame(False, index=table.index, columns=table.columns)
    flags["location_id"] = table["location_id"]
    if network.empty:
        return flags
    for column in COMPARABLE:
        reference = network[column].iloc[0]
        if pd.isna(reference) or reference == 0:
            continue
        away = (table[column] - reference).abs() > share * abs(reference)
        flags[column] = away.fillna(False) & (table["location_id"] != ALL)
    return flags
