"""Counting the reads the dashboard's loaders make (tests of caching and warm-up)."""

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard import loaders


@contextmanager
def counted_reads(monkeypatch) -> Iterator[list[tuple[str, loaders.Allowed]]]:
    """Every read the loaders make while open, as (query function's name, allowed), from empty
    caches; the caches are emptied again on leaving."""
    st.cache_data.clear()
    made: list[tuple[str, loaders.Allowed]] = []
    real = loaders._scoped

    def counted(url, allowed, fn, **arguments):
        made.append((fn.__name__, allowed))
        return real(url, allowed, fn, **arguments)

    monkeypatch.setattr(loaders, "_scoped", counted)
    try:
        yield made
    finally:
        st.cache_data.clear()
