"""Overview: the latest complete week's headline figures, weekly trends, the period per location."""

import pandas as pd
import streamlit as st

from dashboard import auth, charts, loaders, state
from dashboard.filters import context

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
    st.subheader(f"Week of {kpi_week:%d %b %Y}")
    st.caption("Change against the week before; the line below: the 12 weeks before.")
    # Four cards a row: seven side by side cut their numbers short on a laptop screen.
    cells = [cell for _ in range(0, len(kpis), 4) for cell in st.columns(4)]
    for column, kpi in zip(cells, kpis.itertuples(), strict=False):  # the last row has spare cells
        column.metric(
            kpi.label,
            charts.format_value(kpi.value, kpi.unit),
            delta=None if pd.isna(kpi.change_vs_previous) else kpi.change_vs_previous,
            delta_color="normal" if kpi.higher_is_better else "inverse",
            border=True,
        )
        change = kpi.change_vs_twelve_week
        column.caption(
            f"12 weeks: {charts.format_value(kpi.twelve_week, kpi.unit)} "
            f"({'—' if pd.isna(change) else f'{change:+g}'})"
        )

weekly = loaders.weekly(*args, *period)
trend = {"colours": ctx.colours, "names": ctx.names}
left, right = st.columns(2)
left.plotly_chart(
    charts.weekly_trend(
        weekly, "consult_requests", title="Are consultation requests growing?", unit="requests",
        include_network=False, **trend,
    )
)  # fmt: skip
right.plotly_chart(
    charts.weekly_trend(weekly, "no_show_rate_pct", title="Are no-shows rising?", unit="%", **trend)
)
left.plotly_chart(
    charts.weekly_trend(
        weekly, "infusions_completed", title="How many infusions did we complete?",
        unit="infusions", include_network=False, **trend,
    )
)  # fmt: skip
right.plotly_chart(
    charts.weekly_trend(
        weekly, "utilization_pct", title="How full are the rooms?", unit="%", **trend
    )
)

st.subheader(f"Per location, {sel.first_week:%d %b %Y} to {sel.end:%d %b %Y}")
st.dataframe(loaders.period_metrics(*args, *period), hide_index=True)
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
st.download_button(
    "Weekly metrics (CSV)",
    data=loaders.weekly_csv(*args, *period, suppress),
    file_name=f"weekly-metrics_{sel.start}_{sel.end}.csv",
    mime="text/csv",
    key="download_csv",
    on_click=auth.record_download,
    args=(engine, viewer, {"file": "weekly-metrics.csv", **download}),
)
st.download_button(
    "Weekly metrics (Excel)",
    data=loaders.weekly_xlsx(*args, *period, suppress),
    file_name=f"weekly-metrics_{sel.start}_{sel.end}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_xlsx",
    on_click=auth.record_download,
    args=(engine, viewer, {"file": "weekly-metrics.xlsx", **download}),
)
# --- end of safe downloads ---
