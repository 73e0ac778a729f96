"""Targets as pages show them: the "Needs attention" table, a card's target, a chart's band.

Pure text and values from the evaluation of `queries/attention.py` and the targets of
`queries/targets.py`; no Streamlit here.
"""

import re
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from dashboard import charts, formats
from dashboard.trends import OVERVIEW_TRENDS, Trend
from queries.attention import LOOKBACK_WEEKS, MIN_BOOKINGS, MIN_REQUESTS
from queries.metric_definitions import column
from queries.targets import DEFAULTS, Target, common_targets, describe

RULES = (
    "A location needs attention on a metric once it has been outside its target for the "
    "target's number of consecutive complete weeks (2 unless set), and stops once it is back "
    "inside for a whole week. A week whose rate rests on too few events counts neither way: "
    f"fewer than {MIN_BOOKINGS} bookings held for the no-show rate, fewer than {MIN_REQUESTS} "
    "requests for the response figures, and weeks without rooms open for the others. "
    f"Runs are followed back at most {LOOKBACK_WEEKS} weeks."
)


def _escaped(text: str) -> str:
    """Text a Markdown table cell shows as it is (names come from the clinics' files)."""
    return re.sub(r"([\\\\`*_{}\[\]()<>#+!|~-])", r"\\\1", text)


# The columns of the rows needing attention, in the panel's order.
ATTENTION_COLUMNS = ("Location", "Metric", "This week", "Target", "Outside since", "Open")


def attention_rows(
    status: pd.DataFrame, names: Mapping[str, str], link: Callable[[str], str]
) -> list[tuple]:
    """The rows of an `attention_status` table that need attention, as the panel shows them
    (`ATTENTION_COLUMNS`): the figure as the cards print it, the target in words, the first week
    outside, and the location's link. Plain tuples from the columns: a page draws the panel on
    every run, and a frame of a few rows, or iterating one, costs more than the rows."""
    rows = []
    for location_id, name, value, target, since, attention in zip(
        *(status[key] for key in ("location_id", "metric", "value", "target", "since")),
        status["attention"],
        strict=True,
    ):
        if not attention:
            continue
        metric = column(name)
        rows.append(
            (
                formats.location_name(names, location_id),
                metric.label,
                formats.format_value(value, metric.unit, metric.decimals or 0),
                target,
                since,
                link(location_id),
            )
        )
    return rows


def attention_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """`attention_rows` as a table with the columns `ATTENTION_COLUMNS` (the panel's long form)."""
    return pd.DataFrame(
        {name: [row[n] for row in rows] for n, name in enumerate(ATTENTION_COLUMNS)},
        columns=list(ATTENTION_COLUMNS),
    )


def attention_table(rows: Sequence[tuple]) -> str:
    """`attention_rows` as a Markdown table; each row links to its location's view."""
    lines = [
        "| Location | Metric | This week | Target | Outside since | |",
        "|---|---|---|---|---|---|",
    ]
    for location, metric, value, target, since, link in rows:
        name = _escaped(location)
        lines.append(
            f"| {name} | {_escaped(metric)} | {value} | {_escaped(target)} | "
            f"{since:%d %b %Y} | [Open {name}]({link}) |"
        )
    return "\n".join(lines)


def unjudged(status: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    """One line per location and metric whose latest week was not judged, saying why."""
    return [
        f"{_escaped(formats.location_name(names, location_id))}, "
        f"{column(metric).label.lower()}: {reason}"
        for location_id, metric, judged, reason in zip(
            *(status[key] for key in ("location_id", "metric", "judged", "reason")), strict=True
        )
        if not judged
    ]


def card_target(
    shared: Mapping[str, Target | None], metric: str, value: float | None
) -> str | None:
    """Under a card of the pooled figure: its target, and whether the figure is outside it.
    `shared` is `common_targets` of the selection's targets."""
    if metric not in shared:
        return None
    target = shared[metric]
    if target is None:
        return "Target: differs by location"
    text = f"Target: {describe(target, metric)}"
    if value is not None and not pd.isna(value) and target.outside(float(value)):
        text += " · **outside**"
    return text


def band(effective: pd.DataFrame, metric: str) -> charts.Band | None:
    """The target band of a trend, when every selected location has the same target."""
    return shared_band(common_targets(effective), metric)


def shared_band(shared: Mapping[str, Target | None], metric: str) -> charts.Band | None:
    """`band` from `common_targets` of the selection's targets, worked out before."""
    target = shared.get(metric)
    return None if target is None else _band(target, metric)


def banded_trends(
    shared: Mapping[str, Target | None], trends: Sequence[Trend] = OVERVIEW_TRENDS
) -> list[Trend]:
    """The trends, each over its band where the locations share a target (`common_targets`):
    the Overview's charts and the weekly e-mail's picture."""
    return [trend._replace(band=shared_band(shared, trend.column)) for trend in trends]


def default_band(metric: str) -> charts.Band:
    """The band of a metric's default target (docs/metrics.md)."""
    return _band(DEFAULTS[metric], metric)


def _band(target: Target, metric: str) -> charts.Band:
    unit = column(metric).unit
    return charts.target_band(target.min, target.max, unit, describe(target, metric))
