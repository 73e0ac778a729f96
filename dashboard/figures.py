"""Figures kept for the table they show: a page run with the same result draws the same figures
again without building them again.

Building a plotly figure validates every property, and the Overview builds four weekly trends on
every run: the largest part of a cached run at network scale (docs/performance.md). The cache is
keyed by the table, not by the selection, so a figure always shows the rows it was given,
whatever the loaders' caches did meanwhile: by the id `loaders.weekly` stamps on its result
(`loaders.result_id`; every copy of one result out of the cache carries it, a result computed
again gets a new one), else by hashing the table's rows. Figures are shared, not copied
(`st.cache_resource`): nothing changes a figure after it is built, and `st.plotly_chart` sends
what it reads of it. They are only drawn, so each is kept as the plain dicts plotly would send
(`sent_figure.SentFigure`), without building plotly's objects.
"""

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.loaders import TTL, result_id
from dashboard.sent_figure import SentFigure
from dashboard.trends import Trend

ENTRIES = 64


def weekly_trends(
    weekly: pd.DataFrame,
    trends: Sequence[Trend],
    *,
    colours: Mapping[str, str],
    names: Mapping[str, str],
) -> tuple[SentFigure, ...]:
    """`charts.weekly_trend` of `weekly` for each of `trends`, built once per table and options.
    `weekly` is `loaders.weekly`'s result as it returned it, or a table without its stamp."""
    # Only the names and colours of the lines drawn are part of the key: hashing those of every
    # location is a cost on every run.
    pooled = charts.pools_locations(weekly)
    drawn = {charts.NETWORK, *([] if pooled else weekly["location_id"].unique())}
    options = (
        tuple(trends),
        {loc: colour for loc, colour in colours.items() if loc in drawn},
        {loc: name for loc, name in names.items() if loc in drawn},
    )
    if (stamp := result_id(weekly)) is not None:
        # The stamp names these rows: hashing them took longer than the rest of the key.
        return _stamped_trends(stamp, weekly, *options)
    return _weekly_trends(weekly, *options)


def _trends(
    weekly: pd.DataFrame,
    trends: tuple[Trend, ...],
    colours: Mapping[str, str],
    names: Mapping[str, str],
) -> tuple[SentFigure, ...]:
    lines = charts.trend_lines(weekly)  # split once for all the trends
    return tuple(
        charts.weekly_trend(
            weekly,
            trend.column,
            title=trend.title,
            unit=trend.unit,
            include_network=trend.include_network,
            band=trend.band,
            colours=colours,
            names=names,
            lines=lines,
            build=SentFigure,
        )
        for trend in trends
    )


@st.cache_resource(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _weekly_trends(
    weekly: pd.DataFrame,
    trends: tuple[Trend, ...],
    colours: Mapping[str, str],
    names: Mapping[str, str],
) -> tuple[SentFigure, ...]:
    return _trends(weekly, trends, colours, names)


# `_weekly` is left out of the key (Streamlit skips arguments named with a leading underscore):
# `stamp` stands for it.
@st.cache_resource(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _stamped_trends(
    stamp: str,
    _weekly: pd.DataFrame,
    trends: tuple[Trend, ...],
    colours: Mapping[str, str],
    names: Mapping[str, str],
) -> tuple[SentFigure, ...]:
    return _trends(_weekly, trends, colours, names)
