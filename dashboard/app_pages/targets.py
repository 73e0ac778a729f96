"""Targets (admins only): edit the stored targets, the same rows a targets file replaces."""

import pandas as pd
import streamlit as st

from dashboard import auth, state
from data.target_edits import save_targets
from queries.catalog import visible_locations
from queries.metric_definitions import column
from queries.targets import DEFAULTS, EVERY_LOCATION_ROW, TARGET_METRICS, describe, stored_targets

viewer = auth.current_viewer()
if not viewer.is_admin:  # the page is listed for admins only; this keeps it so if that changes
    st.error("Only an admin may change targets.")
    st.stop()
engine = state.engine_for(state.database_url())

st.title("Targets")
st.write(
    "One row per location (or `*` for every location without a row of its own) and weekly "
    "metric: the lowest and highest value inside the target, and how many consecutive complete "
    "weeks outside it make the location need attention. Saving replaces every stored target, "
    "as importing a `targets` file does, and is written to the audit log."
)
with engine.connect() as conn:
    rows = stored_targets(conn, scope=viewer.scope)
    location_ids = visible_locations(conn, scope=viewer.scope)["location_id"].tolist()
edited = st.data_editor(
    rows,
    num_rows="dynamic",
    hide_index=True,
    key="targets_editor",
    column_config={
        "location_id": st.column_config.SelectboxColumn(
            "Location", options=[EVERY_LOCATION_ROW, *location_ids], required=True
        ),
        "metric": st.column_config.SelectboxColumn(
            "Metric", options=list(TARGET_METRICS), required=True
        ),
        "min": st.column_config.NumberColumn("Min", min_value=0.0),
        "max": st.column_config.NumberColumn("Max", min_value=0.0),
        "weeks": st.column_config.NumberColumn(
            "Weeks", min_value=1, max_value=52, step=1, default=2
        ),
    },
)
if st.button("Save targets", type="primary", key="targets_save"):
    errors = save_targets(engine, edited, email=viewer.email)
    if errors:
        st.error("Nothing was saved: fix these rows first.")
        st.dataframe(
            pd.DataFrame(
                [(e.line, e.column, e.value, e.reason) for e in errors],
                columns=["row", "column", "value", "reason"],
            ),
            hide_index=True,
        )
    else:
        st.cache_data.clear()  # pages show the new targets now, not in ten minutes
        st.success(f"Targets saved ({len(edited)} rows).")

st.subheader("Defaults")
st.caption("Used for a metric with no row for the location and no `*` row (docs/metrics.md).")
st.dataframe(
    pd.DataFrame(
        [(column(m).label, m, describe(t, m), t.weeks) for m, t in DEFAULTS.items()],
        columns=["Metric", "metric", "Target", "Weeks"],
    ),
    hide_index=True,
)
