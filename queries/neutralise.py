"""Formula neutralisation: no cell of a download can start a formula.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some read a leading tab or
line break the same way) as a formula. Every text cell (and header) that starts with one of them,
after any leading spaces, and is not a plain number gets a leading apostrophe, which spreadsheets
show as text. Numbers, dates and empty cells are left alone.

No pandas here: the command line's CSV report goes through it without importing pandas.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain decimal number (optionally signed, optionally in exponent form): safe to leave as is.
_REAL_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Array and Series kinds that hold no text: bool, integers, floats.
_NUMERIC_KINDS = "biuf"


def neutralise_text(value: str) -> str:
    """`value`, with a leading apostrophe if a spreadsheet could read it as a formula.

    Carriage returns become line feeds: a CSV writer whose line end is `\n` leaves a bare `\r`
    unquoted, and a spreadsheet would start a new row (and a new, unchecked first cell) there.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _REAL_NUMBER.fullmatch(value):
        return value
    if value[:1] in FORMULA_STARTS or value.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def neutralise_value(value: Any) -> Any:
    """Neutralise text; leave numbers, dates and missing values as they are."""
    return neutralise_text(value) if isinstance(value, str) else value


def neutralise_columns(table: Mapping[str, Sequence]) -> dict[str, Sequence]:
    """A table's columns (a frame, or a mapping of arrays or Series) with every text cell and
    header neutralised: numeric columns as they are, any other column as an object array (a
    frame made from it keeps each cell as it is: an empty count stays None, not NaN)."""
    safe: dict[str, Sequence] = {}
    for name in table:
        values = table[name]
        kind = getattr(getattr(values, "dtype", None), "kind", "O")
        safe[neutralise_value(name)] = (
            values
            if kind in _NUMERIC_KINDS
            else np.array([neutralise_value(v) for v in values], dtype=object)
        )
    return safe


def neutralise_mapping(values: Mapping[Any, Any]) -> dict[Any, Any]:
    """A copy of a filters mapping with text keys, values and list items neutralised."""

    def clean(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return type(value)(clean(item) for item in value)
        return neutralise_value(value)

    return {clean(key): clean(value) for key, value in values.items()}
