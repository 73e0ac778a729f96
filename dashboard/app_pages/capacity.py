"""Capacity: how full the rooms are, at which hours, and how the coming weeks are booked."""

from datetime import timedelta

import streamlit as st

from dashboard import charts, loaders, targets_view
from dashboard.filters import context
from queries.vocabulary import WEEKDAY_LABELS

ctx = context()
query = ctx.query

st.title("Capacity")
# The band starts at the selected locations' utilization target (queries/targets.py).
effective = loaders.effective_targets(query)
shared = targets_view.band(effective, "utilization_pct")
start = shared or targets_view.default_band("utilization_pct")
band = st.slider(
    "Target utilization band (%)", min_value=0.0, max_value=100.0, value=start[:2], step=0.5,
    format="%g", key=f"target_band_{start.low:g}_{start.high:g}",
)  # fmt: skip
st.caption(
    f"The band starts at the locations' utilization target, {start.text}; move it to look at "
    "another."
    if shared is not None
    else f"The selected locations' utilization targets differ: the band starts at the default, "
    f"{start.text}."
)
# The weekly report every page shares (one cached read) holds the utilization columns.
weekly = loaders.weekly(query)
st.plotly_chart(
    charts.utilization(
        weekly,
        title="Are rooms used within the target band?",
        band=band,
        colours=ctx.colours,
        names=ctx.names,
    )
)
if note := charts.pooled_note(weekly):
    st.caption(note)
st.plotly_chart(
    charts.occupancy_heatmap(
        loaders.occupied_rooms_by_weekday_hour(query),
        title="When are rooms busy? Average rooms occupied",
        weekdays=WEEKDAY_LABELS,
    )
)
first_ahead = ctx.selection.latest_week + timedelta(days=7)
ahead = loaders.weeks_ahead(query.of_weeks(first_ahead, first_ahead))
st.plotly_chart(
    charts.weeks_ahead(
        ahead,
        title=f"How full are the four weeks from {first_ahead:%d %b}?",
        colours=ctx.colours,
        names=ctx.names,
    )
)
if note := charts.pooled_note(ahead):
    st.caption(note)
