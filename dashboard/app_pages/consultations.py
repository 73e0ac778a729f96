"""Consultations: where requests come from, how fast we answer, and how far they get."""

import streamlit as st

from dashboard import charts, loaders
from dashboard.filters import context
from dashboard.targets_view import band
from queries.vocabulary import CONVERSION_WINDOW

ctx = context()
query = ctx.query

st.title("Consultations")
by_channel = loaders.requests_by_week_and_channel(query)
if by_channel.empty:
    st.info("No consultation requests came in for these locations in the selected weeks.")
    st.stop()
st.plotly_chart(charts.requests_by_channel(by_channel, title="Where do requests come from?"))
left, right = st.columns(2)
left.plotly_chart(
    charts.response_times(
        loaders.response_time_distribution(query), title="How fast do we answer requests?"
    )
)
right.plotly_chart(
    charts.indication_mix(
        loaders.indication_mix(query),
        title="What do people ask us to treat?",
        colours=ctx.colours,
        names=ctx.names,
    )
)
funnel = loaders.funnel_by_location(query)
st.plotly_chart(
    charts.funnel(
        funnel,
        title="How many requests become a first infusion and a completed series?",
        colours=ctx.colours,
        names=ctx.names,
    )
)
if note := charts.pooled_note(funnel):
    st.caption(note)
st.caption(
    "Funnel: requests received in the selected weeks, by how far each one has got so far. "
    "First infusion = a completed infusion on or after the consult, at any location."
)

weekly = loaders.weekly(query)
conversion = charts.weekly_trend(
    weekly, "consult_conversion_pct", title="Do completed consults lead to treatment?",
    band=band(loaders.effective_targets(query), "consult_conversion_pct"),
    colours=ctx.colours, names=ctx.names,
)  # fmt: skip
rising = [week for week in weekly["week_start"].unique() if ctx.selection.still_rising(week)]
if rising:
    charts.mark_still_rising(conversion, min(rising), max(rising))
st.plotly_chart(conversion)
if note := charts.pooled_note(weekly):
    st.caption(note)
st.caption(
    "Consult conversion: completed consults whose patient had a completed infusion within "
    f"{CONVERSION_WINDOW.days} days after the consult."
    + (
        f" The shaded weeks are still rising, because their {CONVERSION_WINDOW.days} days are "
        "not over yet: a dip "
        "there is not a drop in conversion."
        if rising
        else ""
    )
)
