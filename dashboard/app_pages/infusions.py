"""Infusions: outcomes of the bookings week by week, where and when no-shows happen, and how many
patients start, finish a series and come back for boosters."""

import streamlit as st

from dashboard import charts, formats, loaders
from dashboard.filters import context
from dashboard.targets_view import band
from queries.metric_definitions import column
from queries.vocabulary import ALL_SELECTED, WEEKDAY_LABELS

ctx = context()
sel = ctx.selection
query = ctx.query

st.title("Infusions")
by_status = loaders.bookings_by_week_and_status(query)
if not by_status["bookings"].any():
    st.info("No infusions were booked at these locations in the selected weeks.")
    st.stop()
st.plotly_chart(charts.bookings_by_status(by_status, title="How did booked infusions turn out?"))
weekly = loaders.weekly(query)
left, right = st.columns(2)
left.plotly_chart(
    charts.weekly_trend(
        weekly, "no_show_rate_pct", title="Are no-shows rising?",
        colours=ctx.colours, names=ctx.names,
        band=band(loaders.effective_targets(query), "no_show_rate_pct"),
    )
)  # fmt: skip
if note := charts.pooled_note(weekly):
    left.caption(note)
by_weekday = loaders.no_shows_by_location_and_weekday(query)
if by_weekday.empty:
    right.info("No infusion was due at these locations in the selected weeks.")
else:
    right.plotly_chart(
        charts.no_show_heatmap(
            by_weekday, title="On which weekdays do patients miss infusions?", names=ctx.names,
            weekdays=WEEKDAY_LABELS,
        )
    )  # fmt: skip
st.caption(
    formats.formula_text(column("no_show_rate_pct"))
    + "; under each rate, the bookings it is taken from. A blank weekday: the location held no "
    "infusions that day (closed)."
)
st.plotly_chart(
    charts.patient_milestones(
        weekly, title="How many patients start treatment, finish a series, come back for boosters?"
    )
)
st.caption(
    f"{ALL_SELECTED} locations together. "
    + "; ".join(
        f"{column(name).label}: {formats.help_text(column(name))}"
        for name in ("new_patients", "series_completions", "booster_infusions")
    )
    + "."
)
