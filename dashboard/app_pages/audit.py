"""Audit log (admins only): sign-ins, page views with their selection, downloads and imports."""

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from dashboard import auth, state
from queries import audit

viewer = auth.current_viewer()
if not viewer.is_admin:  # the page is listed for admins only; this keeps it so if that changes
    st.error("Only an admin may read the audit log.")
    st.stop()

st.title("Audit log")
st.caption("Times are UTC. The log is append-only: the app never changes or removes an entry.")
left, middle, right = st.columns(3)
email = left.text_input(
    "Who contains", key="audit_email", help="Part of an e-mail address, or os:<name>."
)
actions = middle.multiselect("Actions", audit.ACTIONS, key="audit_actions")
today = datetime.now(UTC).date()
days = right.date_input("Between", (today - timedelta(days=7), today), key="audit_days")
since = until = None
if len(days) == 2:
    since = datetime.combine(days[0], time.min)
    until = datetime.combine(days[1], time.max)

with state.engine_for(state.database_url()).connect() as conn:
    log = audit.read_log(
        conn,
        scope=viewer.scope,
        since=since,
        until=until,
        email=email or None,
        actions=actions or None,
        limit=2000,
    )
st.dataframe(log, hide_index=True, width="stretch")
st.caption(f"{len(log)} entries shown (newest first, at most 2000).")
