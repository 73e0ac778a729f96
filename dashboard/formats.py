"""Numbers as a person reads them: counts whole, rates with one decimal and their unit.

Labels, units and decimals come from the weekly report's column list
(queries/metric_definitions.py), so a table, a card and the CSV agree on what a column is.
"""

import re
from collections.abc import Mapping
from functools import partial

import pandas as pd
import streamlit as st

from dashboard.numbers import format_change as format_change
from dashboard.numbers import format_value
from dashboard.numbers import no_change as no_change
from queries.metric_definitions import MetricColumn, column
from queries.vocabulary import ALL, ALL_SELECTED


def help_text(metric: MetricColumn) -> str:
    """The spec's definition of a column, without the rounding note that leads it."""
    return re.sub(r"^\(\d dp\) ", "", metric.definition)


def formula_text(metric: MetricColumn) -> str:
    """A ratio's formula in the words of its counts' labels, e.g. "No-show rate = No-shows ÷
    (Infusions completed + No-shows + Late cancellations)"."""
    formula = metric.formula
    parts = [column(name).label for name in formula.denominator]
    below = " + ".join(parts) if len(parts) < 2 else "(" + " + ".join(parts) + ")"
    return f"{metric.label} = {column(formula.numerator).label} ÷ {below}"


def _printf(metric: MetricColumn) -> str:
    if metric.kind == "count":
        return "localized"  # whole numbers with the browser's thousands separator
    decimals = metric.decimals or 0
    unit = {"%": "%%", "": ""}.get(metric.unit, f" {metric.unit}")
    return f"%.{decimals}f{unit}"


def metric_columns(names: list[str]) -> dict[str, st.column_config.Column]:
    """`st.dataframe` column settings for weekly report columns: label, format, definition."""
    config = {}
    for name in names:
        metric = column(name)
        if metric.kind in ("count", "ratio"):
            config[name] = st.column_config.NumberColumn(
                metric.label, format=_printf(metric), help=help_text(metric)
            )
        elif name == "location_id":
            config[name] = st.column_config.TextColumn(
                metric.label, help=f"“{ALL_SELECTED}”: the selected locations taken together.",
                pinned=True,
            )  # fmt: skip
        else:
            config[name] = st.column_config.TextColumn(metric.label, help=help_text(metric))
    return config


def with_location_names(table: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """`table` with its `location_id` column holding display names (`ALL_SELECTED` for `ALL`)."""
    named = table.copy()
    named["location_id"] = [location_name(names, loc) for loc in named["location_id"]]
    return named


def location_name(names: Mapping[str, str], location_id: str) -> str:
    """A location's display name; the pooled `ALL` row is `ALL_SELECTED`."""
    return ALL_SELECTED if location_id == ALL else names.get(location_id, location_id)


def metric_cell(name: str, value: float | None) -> str:
    """One value of report column `name` as text with its unit, for tables laid out by metric."""
    metric = column(name)
    return format_value(value, metric.unit, metric.decimals or 0)


OUTLIER_STYLE = "background-color: #F0E442; color: #000000; font-weight: 700"
OFF_TARGET_STYLE = "color: #B24700; font-weight: 700"
OFF_TARGET_MARK = " ⚠"


def side_by_side(
    table: pd.DataFrame,
    flags: pd.DataFrame,
    names: Mapping[str, str],
    off_target: pd.DataFrame | None = None,
) -> "pd.io.formats.style.Styler":
    """A `period_metrics` table turned to one row per metric and one column per location (the
    pooled figure last), values written with their unit; cells `flags` marks are highlighted and
    get ▲ or ▼ for above or below the pooled figure, cells `off_target` marks (outside their
    location's target) get ⚠ and dark orange text. The numbers underneath stay numbers."""
    metrics = [name for name in table.columns if name != "location_id"]
    labels = [column(name).label for name in metrics]
    headers = [location_name(names, loc) for loc in table["location_id"]]
    wide = pd.DataFrame(table[metrics].to_numpy(dtype=float).T, index=labels, columns=headers)
    marked = pd.DataFrame(flags[metrics].to_numpy(dtype=bool).T, index=labels, columns=headers)
    outside = pd.DataFrame(False, index=labels, columns=headers)
    if off_target is not None:
        outside[:] = off_target[metrics].to_numpy(dtype=bool).T
    pooled = wide.get(ALL_SELECTED)

    styler = wide.style
    for name, label in zip(metrics, labels, strict=True):
        styler = styler.format(partial(metric_cell, name), subset=pd.IndexSlice[[label], :])
        for header in headers:
            suffix = ""
            if marked.at[label, header] and pooled is not None:
                suffix = " ▲" if wide.at[label, header] > pooled[label] else " ▼"
            if outside.at[label, header]:
                suffix += OFF_TARGET_MARK
            if suffix:
                styler = styler.format(
                    lambda value, name=name, suffix=suffix: metric_cell(name, value) + suffix,
                    subset=pd.IndexSlice[[label], [header]],
                )
    styles = marked.replace({True: OUTLIER_STYLE, False: ""}) + outside.replace(
        {True: ";" + OFF_TARGET_STYLE, False: ""}
    )
    return styler.apply(lambda _: styles, axis=None)
