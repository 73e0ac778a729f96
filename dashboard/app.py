"""The dashboard's server: `python -m streamlit run dashboard/app.py` finds the ASGI app below
and serves the page script `dashboard/main.py`, which every session runs.

Its start, before the server answers anyone, imports what the pages use and computes the
default views (dashboard/warmup.py), so the first visitor after a start waits neither for
the imports (pandas, plotly, the queries) nor for the first reads, and is served as fast as the
next (docs/performance.md).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import streamlit as st


@contextlib.asynccontextmanager
async def warm_start(_app: st.App) -> AsyncIterator[None]:
    # Imported here, not above: the server imports this file before Streamlit's runtime
    # exists, and the loaders' caches are made once it does.
    from dashboard import state, warmup

    await asyncio.to_thread(warmup.start, state.database_url())
    yield


app = st.App("main.py", lifespan=warm_start)
