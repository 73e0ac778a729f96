"""Warm-up: each process computes the default view before the first visitor asks for it.

On with `DASHBOARD_WARMUP=on` (scripts/serve sets it for its replicas). The first run of the
app in a process (scripts/serve's script health check, before its proxy opens) loads, into the
ordinary cached loaders, the Overview's default selection (every location the viewer may see,
the last 12 complete weeks) for every scope the users list grants, every location first; on a
demo or open database, for every location. Each is computed with that scope and keyed by it,
exactly as the app asks for it, so no one is served a figure outside their scope. A background
thread then watches the `imports` table: after any import, through any replica or `python -m
data.load`, it clears this process's caches and computes the default views again.
"""

import os
import threading
import time
from datetime import date

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from streamlit.logger import get_logger

from dashboard import auth, filters, loaders
from dashboard.state import engine_for
from queries.access import AccessMode, latest_import, listed_scopes
from queries.scope import EVERYTHING

SETTING = "DASHBOARD_WARMUP"
POLL_SECONDS = 10.0
LOG = get_logger(__name__)


def enabled() -> bool:
    return os.environ.get(SETTING, "").lower() == "on"


def start(url: str) -> None:
    """Start this process's warm-up for `url` once (every later call does nothing)."""
    if enabled():
        _started(url)


@st.cache_resource(show_spinner=False)
def _started(url: str) -> "Warmup":
    # The first pass runs in the first session (scripts/serve's script health check), which
    # returns when the views are ready; sessions arriving meanwhile wait for it, not recompute.
    warmup = Warmup(url)
    warmup.attempt(first=True)
    threading.Thread(target=warmup.run, name="dashboard-warmup", daemon=True).start()
    return warmup


def after_import(url: str) -> None:
    """Clear this process's caches now that files were imported, and warm them again when
    warm-up is on (the Import page calls it)."""
    st.cache_data.clear()
    if enabled():
        _started(url).woken.set()


class Warmup:
    """Computes the default views, then again whenever the latest import changes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: int | None = None
        self.warmed = False
        # Set by an import in this process, so the views are computed again without waiting.
        self.woken = threading.Event()

    def run(self) -> None:
        while True:
            self.woken.wait(POLL_SECONDS)
            self.woken.clear()
            self.attempt(first=not self.warmed)

    def attempt(self, *, first: bool) -> None:
        """`refresh`, logging instead of raising: warming is an optimisation, and a failure must
        neither break the session that started it nor end the thread."""
        try:
            self.refresh(first=first)
        except SQLAlchemyError as error:  # the database is down: try again at the next poll
            LOG.warning("warm-up: %s", str(error).splitlines()[0])
        except Exception:
            LOG.exception("warm-up failed; it tries again at the next poll")

    def refresh(self, *, first: bool) -> None:
        engine = engine_for(self.url)
        with engine.connect() as conn:
            latest = latest_import(conn)
        if not first and latest == self.seen:
            return
        if not first:
            st.cache_data.clear()
        self.seen = latest
        began = time.perf_counter()
        scopes = self.allowed_scopes(engine)
        for allowed in scopes:
            default_view(self.url, allowed)
        self.warmed = True
        LOG.info(
            "warm-up: default views of %d scope(s) in %.1f s", len(scopes),
            time.perf_counter() - began,
        )  # fmt: skip

    def allowed_scopes(self, engine: Engine) -> list[loaders.Allowed]:
        mode = auth.current_mode(engine)
        if mode is AccessMode.SETUP:
            return []
        if mode is not AccessMode.SIGN_IN:
            return [EVERYTHING.key()]
        with engine.connect() as conn:
            scopes = listed_scopes(conn)
        # Never more scopes than a loader keeps entries: later ones would evict the first.
        return [scope.key() for scope in scopes[: loaders.ENTRIES]]


def default_view(url: str, allowed: loaders.Allowed) -> None:
    """Load what the Overview reads for a link without a selection, as `allowed` sees it."""
    table = loaders.visible_locations(url, allowed)
    if table.empty:
        return
    last_activity = loaders.latest_activity_date(url, allowed)
    selection, _ = filters.parse_params(
        {}, known_locations=list(table["location_id"]), last_activity=last_activity,
        today=date.today(),
    )  # fmt: skip
    query = loaders.Query(
        url, allowed, selection.locations, selection.start, selection.end, selection.week_start
    )
    latest = query.of_weeks(selection.latest_week, selection.latest_week)
    loaders.effective_targets(query)
    loaders.attention_status(latest)
    loaders.kpi_summary(latest)
    loaders.weekly(query)
    loaders.period_metrics(query)
