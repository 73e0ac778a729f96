"""Vectorized readers for the contract's value types: text in, typed Series plus a bad-row mask.

Every reader takes a column already reduced to text (stripped, `NA` for an empty cell, see
`as_text`) and leaves missing values missing: whether a value is required is the caller's rule.
Timestamps are the exception to "one column in, one column out": the wall-clock reading needs the
row's location time zone, so they are read in two steps (`read_timestamp`, `to_utc`).
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype, is_string_dtype


@dataclass(frozen=True)
class Read:
    """A column read: typed values (missing where the text was missing) and the rows that failed."""

    values: pd.Series
    bad: np.ndarray
    reason: str = ""


def as_text(column: pd.Series, kind: str = "text") -> pd.Series:
    """The column as stripped strings with `NA` for empty cells; typed values written canonically.

    `kind` decides how typed (non-string) values are written, so a `date` read from a spreadsheet
    or a generator comes out as `YYYY-MM-DD` and not as a midnight timestamp.
    """
    if is_string_dtype(column.dtype) and column.dtype != object:
        text = column.str.strip()
    elif is_datetime64_any_dtype(column.dtype) or is_numeric_dtype(column.dtype):
        text = column.map(lambda v: _typed_text(v, kind), na_action="ignore").astype("str")
    else:
        values = column.to_numpy(dtype=object)
        text = pd.Series(
            [
                v.strip() if isinstance(v, str) else (None if _missing(v) else _typed_text(v, kind))
                for v in values
            ],
            index=column.index,
            dtype="str",
        )
    return text.mask(text == "")


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def _typed_text(value: object, kind: str) -> str:
    if isinstance(value, datetime):
        if kind == "date" and value.time() == time(0) and value.tzinfo is None:
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M") if value.second == 0 else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _matches(text: pd.Series, pattern: str, *, missing: bool) -> np.ndarray:
    """Whole-value regex match, run by Arrow (RE2) over the column's Arrow strings.

    `as_text` strips every value, so none ends in a line break and `$` means the end of the
    value for Python's `re` and RE2 alike: pandas' own `contains` checks that on every call
    (a pass over the data) before it hands the pattern to Arrow; `fullmatch` runs row by row.
    """
    anchored = f"^(?:{pattern})$"
    strings = _arrow_strings(text)
    if strings is None:
        matched = text.str.contains(anchored).fillna(missing).to_numpy(dtype=bool)
    else:
        found = pc.fill_null(pc.match_substring_regex(strings, anchored), missing)
        matched = found.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    # The string dtype answers False, not NA, for a missing value: say what missing means here.
    absent = text.isna().to_numpy(dtype=bool)
    return matched | absent if missing else matched & ~absent


def read_text(text: pd.Series) -> Read:
    return Read(text, np.zeros(len(text), dtype=bool))


def read_pattern(text: pd.Series, pattern: str, reason: str) -> Read:
    """Text that must match a regular expression (whole value)."""
    ok = _matches(text, pattern, missing=True)
    return Read(text, ~ok, reason)


def read_code(text: pd.Series, allowed: tuple[str, ...]) -> Read:
    """A case-insensitive code, stored lower-case."""
    lower = text.str.lower()
    bad = (lower.notna() & ~lower.isin(allowed)).to_numpy(dtype=bool)
    return Read(lower, bad, "not one of " + ", ".join(allowed))


def read_integer(text: pd.Series, low: int, high: int) -> list[Read]:
    """An integer in `low..high`: two failures, so the report says which one it is."""
    return _read_in_range(text, r"[+-]?[0-9]{1,9}", "Int64", "not an integer", low, high)


def read_number(text: pd.Series, low: float, high: float) -> list[Read]:
    """A decimal number (`8`, `7.5`) in `low..high`: two failures, as for integers."""
    shape = r"[+-]?(?:[0-9]{1,9}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})"
    return _read_in_range(text, shape, "Float64", "not a number", low, high)


def _arrow_strings(text: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow strings behind a `str` column (None if it holds Python strings)."""
    if not isinstance(text.array, pd.arrays.ArrowStringArray):
        return None
    return text.array.__arrow_array__()


def _read_in_range(
    text: pd.Series, shape: str, dtype: str, reason: str, low: float, high: float
) -> list[Read]:
    well_formed = _matches(text, shape, missing=True)
    strings = _arrow_strings(text)
    if dtype == "Int64" and strings is not None:
        # Arrow parses the well-formed integers in C++ (pandas' `to_numeric` goes value by
        # value); it takes no "+" sign, and every shape-checked value has at most one.
        shaped = pc.if_else(pa.array(well_formed), strings, None)
        whole = pc.cast(pc.replace_substring_regex(shaped, r"^\+", ""), pa.int64())
        numbers = pd.Series(pd.arrays.ArrowExtensionArray(whole), index=text.index)
        numbers = numbers.astype(dtype)
    else:
        numbers = pd.to_numeric(text.where(well_formed), errors="coerce").astype(dtype)
    in_range = (numbers.isna() | numbers.between(low, high)).to_numpy(dtype=bool)
    return [
        Read(numbers, ~well_formed, reason),
        Read(numbers, ~in_range, f"must be between {low:g} and {high:g}"),
    ]


def read_date(text: pd.Series) -> Read:
    """`YYYY-MM-DD`, a real calendar date."""
    shaped = _matches(text, r"[0-9]{4}-[0-9]{2}-[0-9]{2}", missing=False)
    days = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    bad = (text.notna() & days.isna()).to_numpy(dtype=bool)
    return Read(days, bad, "not a date (YYYY-MM-DD)")


_TIME = r"([01]?\d|2[0-3]):([0-5]\d)(?::00)?"


def read_time_of_day(text: pd.Series) -> Read:
    """`HH:MM` (24 h) as minutes after midnight."""
    parts = text.str.extract(_TIME.join("^$"))
    minutes = (pd.to_numeric(parts[0]) * 60 + pd.to_numeric(parts[1])).astype("Int64")
    bad = (text.notna() & minutes.isna()).to_numpy(dtype=bool)
    return Read(minutes, bad, "not a time of day (HH:MM, 24 h)")


_KNOWN_ZONES = frozenset(available_timezones())


def read_timezone(text: pd.Series) -> Read:
    """An IANA time zone name known to `zoneinfo`."""
    bad = (text.notna() & ~text.isin(_KNOWN_ZONES)).to_numpy(dtype=bool)
    return Read(text, bad, "not an IANA time zone name (e.g. America/New_York)")


def read_words(text: pd.Series) -> Read:
    """Space-separated words as a list per row (empty list when missing)."""
    words = text.fillna("").str.split()
    return Read(words, np.zeros(len(text), dtype=bool))


# [0-9] and [ ] rather than \d and \s: Arrow (RE2) runs them, the others fall back to Python re.
_TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
_TIMESTAMP += r"[ ]*(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?"
_OFFSET_AT_END = r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$"
TIMESTAMP_REASON = "not a timestamp (YYYY-MM-DD HH:MM[:SS], optional offset such as Z or -05:00)"


@dataclass(frozen=True)
class WallClock:
    """A timestamp column read: wall-clock readings, or instants where an offset was written."""

    wall: pd.Series  # datetime64 naive: local wall clock, NaT where an offset was given
    utc: pd.Series  # datetime64 naive UTC: the instant, only where an offset was given
    bad: np.ndarray


def read_timestamp(column: pd.Series) -> WallClock:
    """Read a timestamp column; a typed datetime64 column skips the text round trip (generator)."""
    nothing = np.zeros(len(column), dtype=bool)
    if is_datetime64_any_dtype(column.dtype):
        if getattr(column.dtype, "tz", None) is not None:
            utc = column.dt.tz_convert("UTC").dt.tz_localize(None)
            return WallClock(pd.Series(pd.NaT, index=column.index, dtype=utc.dtype), utc, nothing)
        return WallClock(column, pd.Series(pd.NaT, index=column.index, dtype=column.dtype), nothing)
    text = as_text(column)
    shaped = _matches(text, _TIMESTAMP, missing=False)
    offset = shaped & text.str.contains(_OFFSET_AT_END).fillna(False).to_numpy(dtype=bool)
    # ISO8601 parsing is vectorized C; the regex above keeps it to the contract's shapes.
    wall = pd.to_datetime(text.where(shaped & ~offset), format="ISO8601", errors="coerce")
    utc = pd.to_datetime(text.where(offset), format="ISO8601", errors="coerce", utc=True)
    utc = utc.dt.tz_localize(None).astype(wall.dtype)
    bad = (text.notna() & wall.isna() & utc.isna()).to_numpy(dtype=bool)
    return WallClock(wall, utc, bad)


def to_utc(clock: WallClock, zones: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """UTC instants (naive) of the readings; wall-clock readings are placed in the row's zone.

    Returns the instants and the rows whose wall-clock time does not exist in that zone (the
    spring-forward gap). An ambiguous time (the fall-back hour) is its first occurrence.
    """
    utc = clock.utc.copy()
    needs_zone = clock.wall.notna() & zones.notna()
    gap = np.zeros(len(utc), dtype=bool)
    for zone, rows in zones[needs_zone].groupby(zones[needs_zone]).groups.items():
        wall = clock.wall.loc[rows]
        first = np.ones(
            len(wall), dtype=bool
        )  # True = the daylight-saving reading, the earlier one
        placed = wall.dt.tz_localize(zone, ambiguous=first, nonexistent="NaT")
        utc.loc[rows] = placed.dt.tz_convert("UTC").dt.tz_localize(None)
        gap[utc.index.get_indexer(rows)] = placed.isna().to_numpy()
    return utc, gap


def local_wall(utc: pd.Series, zones: pd.Series) -> pd.Series:
    """The location's wall-clock time (naive) at each UTC instant."""
    local = pd.Series(pd.NaT, index=utc.index, dtype=utc.dtype)
    known = utc.notna() & zones.notna()
    for zone, rows in zones[known].groupby(zones[known]).groups.items():
        local.loc[rows] = (
            utc.loc[rows].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        )
    return local
