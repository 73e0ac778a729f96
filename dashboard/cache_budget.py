"""A memory budget over the loaders' caches together: Streamlit bounds each cache by its number of
entries and their age; this also bounds the bytes they hold, per process.

`within_budget` wraps an `st.cache_data` loader. Each result it returns is weighed once, the first
time its arguments are seen; when the weighed results of every wrapped loader pass the budget, the
least recently used are cleared from their caches (`clear(*args)`), down to the budget. A single
result bigger than the whole budget is returned but not kept. Entries Streamlit drops by itself
(ttl, max_entries, `st.cache_data.clear()`) may still be counted until they are the oldest: the
count errs high, so the bytes held never exceed it.
"""

import functools
import inspect
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

# Megabytes the loaders' caches may hold together in one server process (DASHBOARD_CACHE_MB).
DEFAULT_MEGABYTES = 512


def budget_bytes() -> int:
    """The budget: `DASHBOARD_CACHE_MB` megabytes, else `DEFAULT_MEGABYTES`."""
    text = os.environ.get("DASHBOARD_CACHE_MB", "").strip()
    megabytes = int(text) if text.isdigit() else DEFAULT_MEGABYTES
    return megabytes * 1024 * 1024


# Items of a tuple or list weighed one by one; past them, the rest weigh as the last one.
WEIGHED_ITEMS = 16


def weight(value: object) -> int:
    """Bytes a cached result holds: a frame with its text, file bytes, a tuple, list or dict with
    what it holds, else the object itself.

    A long list or dict is weighed from its first entries: a loader's entries are alike, and
    weighing ten thousand of them one by one would cost more than reading them."""
    if isinstance(value, pd.DataFrame):
        # A column of a plain numpy dtype holds its item size a row and is weighed from its
        # dtype; only the others (text, objects, pandas' own types) are taken out of the frame,
        # each as a Series: the frame's own memory_usage makes a Series of every column, a
        # noticeable cost on every new result.
        rows = len(value)
        return int(value.index.memory_usage(deep=True)) + sum(
            rows * dtype.itemsize
            if isinstance(dtype, np.dtype) and dtype.kind != "O"
            else _column_bytes(value.iloc[:, n])
            for n, dtype in enumerate(value.dtypes)
        )
    if isinstance(value, pd.Series):
        return int(value.memory_usage(deep=True, index=True))
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + _items_weight(
            list(islice(value.items(), WEIGHED_ITEMS)), len(value)
        )
    if isinstance(value, tuple | list):
        return sys.getsizeof(value) + _items_weight(list(value[:WEIGHED_ITEMS]), len(value))
    return sys.getsizeof(value)


def _items_weight(first: list, count: int) -> int:
    weights = [weight(item) for item in first]
    return sum(weights) + (count - len(first)) * (weights[-1] if weights else 0)


def _column_bytes(values: pd.Series) -> int:
    # Text in plain Python objects is weighed string by string; any other column is its buffers.
    if values.dtype == object:
        return int(values.memory_usage(deep=True, index=False))
    return int(values.nbytes)


class Ledger:
    """The weighed results of the wrapped loaders, least recently used first."""

    def __init__(self, budget: int, ttl: float) -> None:
        self.budget, self.ttl = budget, ttl
        self.total = 0  # bytes
        # (loader, arguments) -> (loader, args, kwargs, bytes, when weighed)
        self.entries: OrderedDict[Hashable, tuple[Any, tuple, dict, int, float]] = OrderedDict()
        self.lock = threading.Lock()

    def use(self, loader: Any, args: tuple, kwargs: dict, value: object) -> None:
        """Note that `loader(*args, **kwargs)` returned `value`, and clear the least recently
        used results past the budget."""
        key = (loader, args, tuple(sorted(kwargs.items())))
        now = time.monotonic()
        with self.lock:
            self._forget_expired(now)
            known = self.entries.get(key)
            if known is not None and now - known[4] < self.ttl:
                self.entries.move_to_end(key)
            else:  # new, or computed again after Streamlit let it expire
                if known is not None:
                    self.total -= self.entries.pop(key)[3]
                size = weight(value)
                self.entries[key] = (loader, args, kwargs, size, now)
                self.total += size
            while self.total > self.budget and self.entries:
                _, (old_loader, old_args, old_kwargs, size, _) = self.entries.popitem(last=False)
                self.total -= size
                old_loader.clear(*old_args, **old_kwargs)

    def _forget_expired(self, now: float) -> None:
        # Streamlit has dropped these already (ttl): stop counting them.
        while self.entries:
            _, (_, _, _, size, when) = next(iter(self.entries.items()))
            if now - when < self.ttl:
                break
            self.entries.popitem(last=False)
            self.total -= size


_LEDGER: Ledger | None = None
_LEDGER_LOCK = threading.Lock()


def ledger(ttl: float) -> Ledger:
    """The process's one ledger (made on first use, so the budget is read at run time)."""
    global _LEDGER
    with _LEDGER_LOCK:
        if _LEDGER is None:
            _LEDGER = Ledger(budget_bytes(), ttl)
        return _LEDGER


def within_budget(ttl: float, kept: Ledger | None = None) -> Callable[[Callable], Callable]:
    """Decorator for an `st.cache_data` loader (put it above `@st.cache_data`, same `ttl`);
    `kept` is the process's ledger unless given."""

    def wrap(cached: Callable) -> Callable:
        # Arguments are handed to the cache by name: Streamlit looks up the name of each
        # positional one in the function's signature (inspect.signature) on every call, and a
        # key made by name is the same key.
        names = tuple(inspect.signature(cached).parameters)

        @functools.wraps(cached)
        def load(*args: Hashable, **kwargs: Hashable) -> Any:
            named = dict(zip(names, args, strict=False)) | kwargs
            if len(named) != len(args) + len(kwargs):
                raise TypeError(f"arguments of {names} given twice or too many: {args}, {kwargs}")
            value = cached(**named)
            (kept or ledger(ttl)).use(cached, (), named, value)
            return value

        load.clear = cached.clear  # type: ignore[attr-defined]
        return load

    return wrap
