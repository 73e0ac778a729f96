"""Ids repeated across chunks: every repeat is reported against the first line that held it."""

import numpy as np
import pandas as pd

from data.checked_chunks import KeysSeen
from data.contract import Checked


def _check(seen: KeysSeen, ids: list[str], first_line: int) -> list[tuple[int, str, str]]:
    lines = np.arange(first_line, first_line + len(ids))
    rows = pd.DataFrame({"booking_id": ids})
    errors = seen.check(Checked("bookings", rows), rows["booking_id"], lines, "bookings.csv")
    return sorted((e.line, e.value, e.reason) for e in errors)


def test_each_repeat_names_the_first_line_whatever_chunks_lie_between():
    seen = KeysSeen(("booking_id",))
    assert _check(seen, ["b9", "b1", "b5"], 2) == []
    assert _check(seen, ["b4", "b5", "b2"], 5) == [
        (6, "b5", "duplicate booking_id (first on line 4)")
    ]
    assert _check(seen, ["b3", "b7", "b8"], 8) == []
    # Repeats of a repeat, and of an id whose hash sorts first and last among those stored.
    found = _check(seen, ["b5", "b9", "b3", "b0"], 11)
    assert found == [
        (11, "b5", "duplicate booking_id (first on line 4)"),
        (12, "b9", "duplicate booking_id (first on line 2)"),
        (13, "b3", "duplicate booking_id (first on line 8)"),
    ]


def test_many_chunks_of_distinct_ids_report_nothing_and_one_late_repeat_is_found():
    seen = KeysSeen(("booking_id",))
    ids = [f"B{n:06d}" for n in np.random.default_rng(7).permutation(50_000)]
    for start in range(0, len(ids), 5_000):
        assert _check(seen, ids[start : start + 5_000], 2 + start) == []
    assert _check(seen, ["new", ids[12_345]], 60_000) == [
        (60_001, ids[12_345], f"duplicate booking_id (first on line {2 + 12_345})")
    ]
