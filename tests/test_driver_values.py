"""Values handed to the database driver: timestamps and dates as the text SQLAlchemy stores."""

import numpy as np
import pandas as pd
import pytest

from data.store import _driver_values


@pytest.mark.parametrize(
    ("name", "step", "distinct"),
    [
        ("booked_at", "1s", 10**8),  # most values differ: each is formatted
        ("starts_at", "15min", 40),  # slots repeat: each distinct value is formatted once
        ("start_date", "1D", 400),
    ],
)
def test_timestamps_and_dates_become_iso_text_and_missing_values_none(name, step, distinct):
    rng = np.random.default_rng(7)
    offsets = pd.to_timedelta(step) * rng.integers(0, distinct, 5000)
    column = pd.Series(pd.Timestamp("2024-03-09 22:00") + offsets, name=name)
    column[::9] = pd.NaT
    if name == "start_date":
        column = column.dt.normalize()
    text = "%Y-%m-%d" if name == "start_date" else "%Y-%m-%d %H:%M:%S.%f"
    expected = [None if pd.isna(value) else value.strftime(text) for value in column]
    assert _driver_values(column) == expected
