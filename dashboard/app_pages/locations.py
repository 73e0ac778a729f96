"""Locations: every metric of the period side by side, with the network figure and outliers."""

import streamlit as st

from dashboard import charts, formats, loaders
from dashboard.filters import context
from queries.metric_definitions import column, conversion_final_from
from queries.period import COMPARABLE, OUTLIER_SHARE, outliers
from queries.targets import outside_targets
from queries.vocabulary import CONVERSION_WINDOW

ctx = context()
sel = ctx.selection
query = ctx.query

st.title("Locations")
st.caption(f"The weeks from {sel.first_week:%d %b %Y} to {sel.end:%d %b %Y}, all counted together.")
table = loaders.period_metrics(query)
effective = loaders.effective_targets(query)
side_by_side = formats.side_by_side(
    table, outliers(table), ctx.names, outside_targets(table, effective)
)
st.dataframe(
    side_by_side,
    # Every metric in view at once: a director reads the table top to bottom, without scrolling.
    height=35 * (len(side_by_side.index) + 1) + 3,
    column_config={"_index": st.column_config.TextColumn("Metric", width="medium", pinned=True)},
)
st.caption(
    f"Highlighted with ▲ or ▼: a rate, the median response or utilization more than "
    f"{OUTLIER_SHARE:.0%} above or below the figure of all selected locations together. "
    f"Marked{formats.OFF_TARGET_MARK} in dark orange: outside the location's target over the "
    "period (all selected: outside the target they share)."
)
with st.expander("What each metric means"):
    st.markdown(
        "\n".join(
            f"- **{column(name).label}**: {formats.help_text(column(name))}"
            for name in table.columns
            if name != "location_id"
        )
    )
metric = st.selectbox(
    "Compare", COMPARABLE, key="compare_metric", format_func=lambda name: column(name).label
)
chosen = column(metric)
st.plotly_chart(
    charts.location_comparison(
        table, metric, title=f"How do locations compare on {chosen.label.lower()}?",
        unit=chosen.unit, colours=ctx.colours, names=ctx.names,
    )
)  # fmt: skip
if metric == "consult_conversion_pct" and sel.still_rising(sel.last_week):
    st.caption(
        "The last weeks of this period are still rising: consult conversion counts first "
        f"infusions up to {CONVERSION_WINDOW.days} days after the consult, so it is final from "
        f"{conversion_final_from(sel.last_week):%d %b %Y}."
    )
