"""Numbers as a person reads them, without Streamlit: the Overview's cards and the weekly e-mail
write a value and its change the same way."""

import re

import pandas as pd


def format_value(value: float | None, unit: str, decimals: int = 1) -> str:
    """A value as a card or cell shows it: '—' when empty, counts whole with thousands commas."""
    if value is None or pd.isna(value):
        return "—"
    if unit == "%":
        return f"{value:,.{decimals}f}%"
    if unit:
        return f"{value:,.{decimals}f} {unit}"
    return f"{value:,.0f}"


def format_change(change: float | None, unit: str) -> str | None:
    """A difference as a card's delta: counts whole ("-8"), percentages in points ("+1.5 pp"),
    others with their unit ("+17.6 min"); None when there is nothing to compare."""
    if change is None or pd.isna(change):
        return None
    if unit == "%":
        text, suffix = f"{change:+.1f}", " pp"
    elif unit:
        text, suffix = f"{change:+.1f}", f" {unit}"
    else:
        text, suffix = f"{change:+,.0f}", ""
    # A change that rounds to nothing has no direction: "+0" or "-0.0" would draw an arrow.
    if not re.search(r"[1-9]", text):
        text = "0" if not unit else "0.0"
    return text + suffix


def no_change(change: str | None) -> bool:
    """Whether a `format_change` text says the figure did not move."""
    return change is not None and not re.search(r"[1-9]", change)
