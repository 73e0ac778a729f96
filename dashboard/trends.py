"""The Overview's weekly trends, without Streamlit: the page draws them with plotly and the weekly
e-mail draws the same four as a picture (reports/chart.py)."""

from typing import NamedTuple

from dashboard.charts import Band


class Trend(NamedTuple):
    """One `charts.weekly_trend` of a weekly report: its column, title, unit, network line and
    target band (the page adds the selection's)."""

    column: str
    title: str
    unit: str
    include_network: bool = True
    band: Band | None = None


OVERVIEW_TRENDS = (
    Trend("consult_requests", "Are consultation requests growing?", "requests", False),
    Trend("no_show_rate_pct", "Are no-shows rising?", "%"),
    Trend("infusions_completed", "How many infusions did we complete?", "infusions", False),
    Trend("utilization_pct", "How full are the rooms?", "%"),
)
