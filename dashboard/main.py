"""The page script of the clinic operations dashboard, which every session runs: data
bootstrap, shared filters, navigation.

Served by `python -m streamlit run dashboard/app.py` (the server, whose start warms up).
"""

import logging
from datetime import date

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard import auth, charts, demo_progress, filters, loaders, state

LOG = logging.getLogger("dashboard")
st.set_page_config(page_title="Clinic operations", page_icon=":material/monitoring:", layout="wide")


def database_problem(error: SQLAlchemyError) -> None:
    # The driver's text names the host, port, database and user: it goes to the server's log,
    # never to a visitor, who may not even be signed in yet.
    LOG.error("database error: %s", error, exc_info=error)
    st.error(
        "The database cannot be reached right now. The figures will show again as soon as it "
        "answers; reload the page to try. The details are in the server's log."
    )
    st.stop()


url = state.database_url()
try:
    engine = state.engine_for(url)
    if state.needs_demo_data(url, engine):
        bar = st.progress(0.0, text=demo_progress.PREFIX + "starting…")
        generated = state.ensure_demo_data(
            engine,
            lambda fraction, text: bar.progress(
                min(max(fraction, 0.0), 1.0), text=demo_progress.describe(text)
            ),
        )
        bar.empty()
        if generated:
            st.cache_data.clear()
    # No data is read for anyone the sign-in gate does not admit (dashboard/auth.py).
    viewer = auth.gate(engine)
    allowed = viewer.scope.key()
    location_table = loaders.visible_locations(url, allowed)
    last_activity = loaders.latest_activity_date(url, allowed)
except SQLAlchemyError as error:
    database_problem(error)

ADMIN_PAGES = auth.admin_pages(viewer)
if location_table.empty and ADMIN_PAGES:
    st.navigation(ADMIN_PAGES).run()
    st.stop()
if location_table.empty:
    st.info("There is no data to show yet: import the clinic files first (see the README).")
    st.stop()

names = dict(zip(location_table["location_id"], location_table["name"], strict=True))
selection, notices = filters.sidebar(
    locations=names, last_activity=last_activity, today=date.today()
)
for notice in notices:
    st.warning(notice, icon=":material/link_off:")
filters.set_context(
    filters.Context(
        url=url,
        allowed=allowed,
        selection=selection,
        names=names,
        colours=charts.location_colours(list(names), chosen=selection.locations),
    )
)

page = st.navigation(
    [
        st.Page(
            "app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True
        ),
        st.Page("app_pages/consultations.py", title="Consultations", icon=":material/call:"),
        st.Page("app_pages/infusions.py", title="Infusions", icon=":material/vaccines:"),
        st.Page("app_pages/capacity.py", title="Capacity", icon=":material/meeting_room:"),
        st.Page("app_pages/locations.py", title="Locations", icon=":material/location_on:"),
        *ADMIN_PAGES,
    ]
)
auth.record_page_view(
    engine,
    viewer,
    page.title,
    {
        "locations": list(selection.locations),
        "start": selection.start.isoformat(),
        "end": selection.end.isoformat(),
        "week_start": selection.week_start,
    },
)
if not selection.locations and page not in ADMIN_PAGES:
    st.info("Choose at least one location in the sidebar to see its figures.")
    st.stop()
try:
    page.run()
except SQLAlchemyError as error:
    database_problem(error)
state.settle_long_lived_objects()
