"""Process-wide resources: the one engine per database URL, the demo-data bootstrap, the scope."""

import gc
import threading
from collections.abc import Callable
from datetime import date

import streamlit as st
from sqlalchemy import Engine, select

from queries.db import DEFAULT_SQLITE_PATH, default_url, normalise_url, open_database
from queries.schema import locations


def database_url() -> str:
    """The database the app reads: `DATABASE_URL`, else the embedded SQLite file."""
    return normalise_url(default_url())


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    """Engine for `url`, schema migrated, made once per process; a failure is not cached."""
    return open_database(url)


@st.cache_resource(show_spinner=False)
def _bootstrap_lock() -> threading.Lock:
    # Sessions that open a fresh install at the same time must not generate the demo data twice.
    return threading.Lock()


def is_embedded_default(url: str) -> bool:
    """Whether `url` is the default SQLite file, the only database the app fills with demo data."""
    return url == normalise_url(f"sqlite:///{DEFAULT_SQLITE_PATH}")


def has_locations(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(locations.c.location_id).limit(1)).first() is not None


def needs_demo_data(url: str, engine: Engine) -> bool:
    """Whether this run must create, or wait for, the demo data before reading anything.

    True while another session of this process is still writing it: the tables fill file by file,
    and a page read half-way would show (and cache) a group with consultations but no infusions.
    """
    if not is_embedded_default(url):
        return False
    return _bootstrap_lock().locked() or not has_locations(engine)


def ensure_demo_data(engine: Engine, progress: Callable[[float, str], None]) -> bool:
    """Fill an empty embedded database with the demo data; True if it was generated now."""
    from data.generate import generate_database

    with _bootstrap_lock():
        if has_locations(engine):
            return False
        generate_database(engine, today=date.today(), progress=progress)
        return True


@st.cache_resource(show_spinner=False)
def settle_long_lived_objects() -> bool:
    """Once per process, after its first complete run: move every object alive then (modules,
    the libraries' tables, the engine) out of the cyclic garbage collector's reach (`gc.freeze`).

    A full collection walks every tracked object while it holds the interpreter, stalling
    every view in flight (docs/performance.md has the figures). These objects live as
    long as the process, so walking them finds nothing; the first run leaves almost no cyclic
    garbage to keep (docs/performance.md). Objects made later are collected as before.
    """
    gc.freeze()
    return True
