"""Warm-up: each process computes the default view before the first visitor asks for it.

The server's start (dashboard/app.py, the ASGI app `streamlit run` serves), before it answers
anyone, imports what the pages use and, unless `DASHBOARD_WARMUP=off`, loads into the ordinary
cached loaders the Overview's default selection (every location the viewer may see,
the last 12 complete weeks) for every scope the users list grants, every location first; on a
demo or open database, for every location. Each is computed with that scope and keyed by it,
exactly as the app asks for it, so no one is served a figure outside their scope. A background
thread then watches the `imports` table: after any import, through any replica or `python -m
data.load`, it clears this process's caches and computes the default views again.
"""

import importlib
import os
import pkgutil
import threading
import time
from datetime import date

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from streamlit.logger import get_logger

import dashboard
from dashboard import auth, filters, loaders
from dashboard.state import engine_for
from queries.access import AccessMode, latest_import, listed_scopes
from queries.scope import EVERYTHING

SETTING = "DASHBOARD_WARMUP"
POLL_SECONDS = 10.0
LOG = get_logger(__name__)


def enabled() -> bool:
    return os.environ.get(SETTING, "on").lower() != "off"


# The process's warm-up, once the server has started it (`start`).
_running: "Warmup | None" = None
_starting = threading.Lock()


def start(url: str) -> None:
    """The server's start (dashboard/app.py), before it answers anyone: import what the pages
    use, and unless `DASHBOARD_WARMUP=off`, compute the default views for `url` and start
    watching for imports. Once per process: later calls do nothing."""
    global _running
    with _starting:
        if _running is not None:
            return
        _import_page_modules()
        if not enabled():
            return
        warmup = Warmup(url)
        warmup.attempt(first=True)
        threading.Thread(target=warmup.run, name="dashboard-warmup", daemon=True).start()
        _running = warmup


def _import_page_modules() -> None:
    """Every module of dashboard/ the pages import (and through them pandas, plotly and the
    queries), so the first visitor's run does not import them: the page scripts themselves
    (main.py, app_pages/) run only in a session."""
    for module in pkgutil.iter_modules(dashboard.__path__):
        if module.name not in ("app", "main") and not module.ispkg:
            importlib.import_module(f"dashboard.{module.name}")


def after_import() -> None:
    """Clear this process's caches now that files were imported, and warm them again when the
    server warms up (the Import page calls it)."""
    st.cache_data.clear()
    if _running is not None:
        _running.woken.set()


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
