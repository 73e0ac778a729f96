"""Overview: the latest complete week's headline figures, weekly trends, the period per location."""

from datetime import timedelta
from functools import partial

import streamlit as st

from dashboard import auth, charts, figures, formats, loaders, state
from dashboard.figures import Trend
from dashboard.filters import context
from queries.metric_definitions import column, conversion_final_from
from queries.vocabulary import CONVERSION_WINDOW

ctx = context()
sel = ctx.selection
args = (ctx.url, ctx.allowed, sel.locations)
period = (sel.start, sel.end, sel.week_start)

st.title("Overview")
kpi_week = min(sel.latest_week, sel.last_week)
if kpi_week < sel.first_week:
    st.info("No week of the selected period is over yet, so there are no weekly figures to show.")
else:
    kpis = loaders.kpi_summary(*args, kpi_week, sel.week_start)
    final_from = conversion_final_from(kpi_week)
    # The data reaches at least the end of the latest complete week.
    maturing = final_from > sel.latest_week + timedelta(days=7)
    st.subheader(f"Week of {kpi_week:%d %b %Y}")
    st.caption(
        "Arrows: change against the week before. Below each card: the 12 weeks before, as a "
        "weekly average for counts and taken together for rates."
    )
    # Four cards a row: seven side by side cut their numbers short on a laptop screen.
    cells = [cell for _ in range(0, len(kpis), 4) for cell in st.columns(4)]
    for cell, kpi in zip(cells, kpis.itertuples(), strict=False):  # the last row has spare cells
        change = formats.format_change(kpi.change_vs_previous, kpi.unit)
        direction = "normal" if kpi.higher_is_better else "inverse"
        help_text = formats.help_text(column(kpi.metric))
        still_rising = kpi.metric == "consult_conversion_pct" and maturing
        if still_rising:
            help_text += f" Still rising: final from {final_from:%d %b %Y}."
        cell.metric(
            kpi.label,
            formats.format_value(kpi.value, kpi.unit),
            delta=change,
            delta_color="off" if formats.no_change(change) else direction,
            delta_arrow="off" if formats.no_change(change) else "auto",
            help=help_text,
            border=True,
        )
        twelve = formats.format_change(kpi.change_vs_twelve_week, kpi.unit) or "—"
        cell.caption(
            ("**Still rising.** " if still_rising else "")
            + f"12 weeks before: {formats.format_value(kpi.twelve_week, kpi.unit)} ({twelve})"
        )
    if maturing:
        st.caption(
            f"Consult conversion counts a first infusion up to {CONVERSION_WINDOW.days} days after "
            "the consult, so the "
            f"week of {kpi_week:%d %b} is still rising as patients start treatment; it is final "
            f"from {final_from:%d %b %Y}. Compare it with the 12 weeks before with that in mind."
        )

weekly = loaders.weekly(*args, *period)
left, right = st.columns(2)
trends = figures.weekly_trends(
    weekly,
    [
        Trend("consult_requests", "Are consultation requests growing?", "requests", False),
        Trend("no_show_rate_pct", "Are no-shows rising?", "%"),
        Trend("infusions_completed", "How many infusions did we complete?", "infusions", False),
        Trend("utilization_pct", "How full are the rooms?", "%"),
    ],
    colours=ctx.colours,
    names=ctx.names,
)
for place, figure in zip((left, right, left, right), trends, strict=True):
    place.plotly_chart(figure)
if note := charts.pooled_note(weekly):
    st.caption(note)

st.subheader(f"Per location, {sel.first_week:%d %b %Y} to {sel.end:%d %b %Y}")
table = loaders.period_metrics(*args, *period)
st.dataframe(
    formats.with_location_names(table, ctx.names),
    hide_index=True,
    column_config=formats.metric_columns(list(table.columns)),
)
# --- safe downloads (queries/safe_export.py) and their audit entries (dashboard/auth.py) ---
suppress = st.checkbox(
    "Suppress small counts for sharing outside the clinic",
    key="suppress_small",
    help="Counts from 1 to 10 become <11; values that would reveal them are left empty.",
)
download = {
    "locations": list(sel.locations),
    "start": sel.start.isoformat(),
    "end": sel.end.isoformat(),
    "week_start": sel.week_start,
    "rows": len(weekly),
    "suppress_small": suppress,
}
engine = state.engine_for(ctx.url)
viewer = auth.current_viewer()
# The files are made when the browser asks for them, not on every run of the page: the workbook
# is stamped with the time it is made, and building it took a good part of each run. The
# download is logged there too (dashboard/auth.py), not on the click.
st.download_button(
    "Weekly metrics (CSV)",
    data=auth.audited_download(
        engine,
        viewer,
        {"file": "weekly-metrics.csv", **download},
        partial(loaders.weekly_csv, *args, *period, suppress),
    ),
    file_name=f"weekly-metrics_{sel.start}_{sel.end}.csv",
    mime="text/csv",
    key="download_csv",
)
st.download_button(
    "Weekly metrics (Excel)",
    data=auth.audited_download(
        engine,
        viewer,
        {"file": "weekly-metrics.xlsx", **download},
        partial(loaders.weekly_xlsx, *args, *period, suppress),
    ),
    file_name=f"weekly-metrics_{sel.start}_{sel.end}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_xlsx",
)
# --- end of safe downloads ---
