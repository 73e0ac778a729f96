"""Locations: every metric of the period side by side, with the network figure and outliers."""

import streamlit as st

from dashboard import charts, loaders
from dashboard.filters import context
from queries.period import COMPARABLE, outliers

ctx = context()
sel = ctx.selection
selection = (ctx.url, ctx.allowed, sel.locations, sel.start, sel.end, sel.week_start)

st.title("Locations")
table = loaders.period_metrics(*selection)
flags = outliers(table)
wide = table.set_index("location_id").T.rename(columns=lambda loc: ctx.names.get(loc, "All"))
marks = flags.set_index("location_id").T.rename(columns=lambda loc: ctx.names.get(loc, "All"))
st.dataframe(
    wide.style.apply(
        lambda column: [
            "background-color: #F0E442; font-weight: bold" if flag else ""
            for flag in marks[column.name]
        ]
    ).format(precision=1, na_rep="—")
)
st.caption(
    "Highlighted: a rate, median or utilization more than 25% away from the figure of all "
    "selected locations together."
)
metric = st.selectbox("Compare", COMPARABLE, key="compare_metric")
st.plotly_chart(
    charts.location_comparison(
        table, metric, title=f"How do locations compare on {metric.replace('_', ' ')}?",
        unit="%" if metric.endswith("pct") else "min", colours=ctx.colours, names=ctx.names,
    )
)  # fmt: skip
