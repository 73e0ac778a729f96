"""Overview: the latest complete week's headline figures, weekly trends, the period per location."""

import streamlit as st

from dashboard import attention_panel, cards, charts, downloads, figures, formats, loaders
from dashboard.filters import context
from dashboard.targets_view import banded_trends
from queries.targets import common_targets

ctx = context()
sel = ctx.selection
query = ctx.query

st.title("Overview")
kpi_week = min(sel.latest_week, sel.last_week)
# Each target the selection's locations share, worked out once for the cards and the trends.
targets = common_targets(loaders.effective_targets(query))
# The week's panel and cards stand above the trends but are filled last: the browser loads its
# chart and table code while they are computed, which is what a first view waits for.
headline = st.container()

# The weekly and period tables come out of one cached entry: one key to hash, one copy out.
weekly, table = loaders.report_tables(query)
left, right = st.columns(2)
trends = figures.weekly_trends(
    weekly,
    banded_trends(targets),
    colours=ctx.colours,
    names=ctx.names,
)
for place, figure in zip((left, right, left, right), trends, strict=True):
    place.plotly_chart(figure)
if note := charts.pooled_note(weekly):
    st.caption(note)
st.caption(
    "Shaded: the target of the selected locations (none drawn where their targets differ; "
    "admins set targets on the Targets page or with a targets file)."
)

st.subheader(f"Per location, {sel.first_week:%d %b %Y} to {sel.end:%d %b %Y}")
st.dataframe(
    formats.with_location_names(table, ctx.names),
    hide_index=True,
    column_config=formats.metric_columns(list(table.columns)),
)
downloads.weekly_report(ctx, rows=len(weekly))

with headline:
    if kpi_week < sel.first_week:
        st.info(
            "No week of the selected period is over yet, so there are no weekly figures to show."
        )
    else:
        kpis, status = loaders.headline(query.of_weeks(kpi_week, kpi_week))
        attention_panel.needs_attention(status, week=kpi_week, selection=sel, names=ctx.names)
        cards.weekly_kpis(
            kpis, week=kpi_week, still_rising=sel.still_rising(kpi_week), targets=targets
        )
