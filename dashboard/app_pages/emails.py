"""E-mails (admins only): the weekly e-mail's deliveries of recent weeks, and a preview of any
recipient's message sent to the signed-in admin."""

import os
from datetime import UTC, datetime, timedelta

import streamlit as st

from dashboard import auth, state
from queries.calendar_table import latest_complete_week, week_start
from queries.deliveries import read_deliveries
from reports.delivery import PREVIEW_FAILURES, one_line_reason, send_preview
from reports.recipients import weekly_recipients
from reports.settings import SettingError, read_settings

RECENT_WEEKS = 8

viewer = auth.current_viewer()
if not viewer.is_admin:  # the page is listed for admins only; this keeps it so if that changes
    st.error("Only an admin may see the e-mail deliveries.")
    st.stop()

st.title("E-mails")
st.caption(
    "The weekly e-mail (`python -m reports.send`, see the README): each user whose "
    "`weekly_email` is yes gets their own locations' week, once. Times are UTC."
)
today = datetime.now(UTC).date()
latest = latest_complete_week(None, today, "mon")
engine = state.engine_for(state.database_url())
since = st.date_input(
    "Weeks from",
    latest - timedelta(days=7 * (RECENT_WEEKS - 1)),
    max_value=latest,
    key="emails_since",
    help=f"The last {RECENT_WEEKS} weeks unless you choose an earlier day.",
)
with engine.connect() as conn:
    sent = read_deliveries(conn, scope=viewer.scope, since=week_start(since, "mon"))
    recipients = weekly_recipients(conn)
st.subheader("Deliveries")
st.dataframe(sent, hide_index=True, width="stretch")
if sent.empty:
    st.caption("No weekly e-mail has been sent in these weeks.")

st.subheader("Preview")
try:
    settings = read_settings(os.environ, {})
except SettingError as error:
    settings = None
    st.info(f"Previews need the mail settings of the server the app runs on: {error}.")
if not viewer.email:
    st.info("Sign-in is off, so there is no signed-in admin to send a preview to.")
chosen = st.selectbox("Recipient", [person.email for person in recipients], key="emails_recipient")
week = st.date_input("A day of the week", latest, max_value=latest, key="emails_week")
if st.button(
    "Send me a preview",
    key="emails_preview",
    disabled=settings is None or not viewer.email or chosen is None,
    help="Sends you the message this recipient gets for that week, built for their locations.",
):
    try:
        subject = send_preview(
            engine, settings, recipient_email=chosen, admin_email=viewer.email,
            week=week_start(week, "mon"),
        )  # fmt: skip
    except PREVIEW_FAILURES as error:
        st.error(f"The preview was not sent: {one_line_reason(error)}")
    else:
        st.success(f"Sent to {viewer.email}: {subject}")
