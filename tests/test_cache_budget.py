"""The loaders' caches together hold at most a memory budget: past it, the least recently used
results are dropped from Streamlit's caches and computed again when asked for."""

import time
from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import loaders
from dashboard.cache_budget import Ledger, budget_bytes, weight, within_budget

ROWS = 50_000  # one float64 column: 400,000 bytes, plus a RangeIndex of 132 bytes


def _counted_loader(budget: int, ttl: float = 600):
    """A real `st.cache_data` loader under a ledger of `budget` bytes, and the list of the
    arguments it computed for (a cached answer does not compute)."""
    computed: list[int] = []

    kept = Ledger(budget, ttl=ttl)

    @within_budget(ttl, kept)
    @st.cache_data(ttl=ttl, max_entries=64, show_spinner=False)
    def frame(n: int) -> pd.DataFrame:
        computed.append(n)
        return pd.DataFrame({"x": np.full(ROWS, float(n))})

    frame.clear()
    frame.ledger = kept
    return frame, computed


def test_a_frame_is_weighed_with_its_text():
    assert weight(pd.DataFrame({"x": np.zeros(ROWS)})) == ROWS * 8 + 132
    texts = pd.DataFrame({"t": ["y" * 1000] * 1000})
    assert weight(texts) > 1000 * 1000
    assert weight(b"\x00" * 12345) == 12345


def test_a_frame_of_every_kind_of_column_weighs_what_pandas_counts_for_it():
    # Numbers, instants and booleans weighed from their dtype; text, objects, categories and
    # nullable integers from their values: together what pandas itself counts, deep.
    frame = pd.DataFrame(
        {
            "category": pd.Categorical(["x", "y", "x"]),
            "integer": [1, 2, 3],
            "text": ["s", "t", "u" * 100],
            "object": pd.Series([date(2020, 1, 1), None, "v"], dtype=object),
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "instant": pd.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01"]),
            "flag": [True, False, True],
            "single": np.array([1.5, 2, 3], dtype="float32"),
        },
        index=["a", "b", "c"],
    )
    assert weight(frame) == int(frame.memory_usage(deep=True).sum())


def test_a_tuple_or_dict_is_weighed_with_what_it_holds():
    frame = pd.DataFrame({"x": np.zeros(ROWS)})
    # 400,000 bytes of floats, whether held in a tuple, a list or a dict's values.
    for holder in ((1, frame), [frame, 2], {"frame": frame}, {"deeper": (frame,)}):
        assert weight(holder) >= 400_000


def test_past_the_budget_the_least_recently_used_result_is_computed_again():
    frame, computed = _counted_loader(budget=1_000_000)  # room for two results, not three
    frame(1), frame(2)
    frame(1)  # from the cache; 2 is now the least recently used
    assert computed == [1, 2]
    frame(3)  # 1.2 MB: 2 is dropped
    frame(1), frame(3)
    assert computed == [1, 2, 3]
    frame(2)
    assert computed == [1, 2, 3, 2]


def test_a_result_bigger_than_the_whole_budget_is_returned_but_not_kept():
    frame, computed = _counted_loader(budget=300_000)
    assert frame(7)["x"].iloc[0] == 7.0
    assert frame(7)["x"].iloc[-1] == 7.0
    assert computed == [7, 7]


def test_within_the_budget_nothing_is_computed_twice():
    frame, computed = _counted_loader(budget=10_000_000)
    for n in (1, 2, 3, 1, 2, 3):
        frame(n)
    assert computed == [1, 2, 3]


def test_the_budget_is_set_in_megabytes(monkeypatch):
    monkeypatch.setenv("DASHBOARD_CACHE_MB", "64")
    assert budget_bytes() == 64 * 1024 * 1024
    monkeypatch.delenv("DASHBOARD_CACHE_MB")
    assert budget_bytes() == 512 * 1024 * 1024


def test_every_cached_loader_is_under_the_budget():
    cached = st.cache_data(lambda: None)
    kind = type(cached)
    # engine_for is imported from dashboard.state: the engine, a resource, not a result.
    bare = [
        name
        for name, value in vars(loaders).items()
        if isinstance(value, kind) and name != "engine_for"
    ]
    wrapped = [
        name
        for name, value in vars(loaders).items()
        if isinstance(getattr(value, "__wrapped__", None), kind)
    ]
    assert bare == []
    assert {"report_tables", "headline", "weekly_csv"} <= set(wrapped)


def test_a_result_computed_again_after_its_ttl_is_counted_once():
    frame, computed = _counted_loader(budget=10_000_000, ttl=0.5)
    frame(1), frame(2)
    time.sleep(0.6)
    frame(1)  # Streamlit let it expire and computed it again
    assert computed == [1, 2, 1]
    # The expired 2 is no longer counted, and 1 is counted once.
    assert frame.ledger.total == ROWS * 8 + 132


def test_by_position_or_by_name_a_loader_keeps_one_entry_and_the_budget_drops_it():
    frame, computed = _counted_loader(budget=1_000_000)
    frame(1)
    frame(n=1)  # the same entry
    assert computed == [1]
    frame(2), frame(3)  # 1 is the least recently used: dropped, though first asked by position
    frame(n=1)
    assert computed == [1, 2, 3, 1]
