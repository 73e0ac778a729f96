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
    found: pd.DataFrame, names: Mapping[str, str], link: Callable[[str], str]
) -> pd.DataFrame:
    """The rows needing attention as the panel shows them (`ATTENTION_COLUMNS`): the figure as
    the cards print it, the target in words, the first week outside, and the location's link."""
    metrics = [column(metric) for metric in found["metric"]]
    return pd.DataFrame(
        {
            "Location": [formats.location_name(names, loc) for loc in found["location_id"]],
            "Metric": [metric.label for metric in metrics],
            "This week": [
                formats.format_value(value, metric.unit, metric.decimals or 0)
                for value, metric in zip(found["value"], metrics, strict=True)
            ],
            "Target": list(found["target"]),
            "Outside since": list(found["since"]),
            "Open": [link(loc) for loc in found["location_id"]],
        },
        columns=list(ATTENTION_COLUMNS),
    )


def attention_table(rows: pd.DataFrame) -> str:
    """`attention_rows` as a Markdown table; each row links to its location's view."""
    lines = [
        "| Location | Metric | This week | Target | Outside since | |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows.itertuples(index=False):
        name = _escaped(row.Location)
        lines.append(
            f"| {name} | {_escaped(row.Metric)} | {row[2]} | {_escaped(row.Target)} | "
            f"{row[4]:%d %b %Y} | [Open {name}]({row.Open}) |"
        )
    return "\n".join(lines)


def unjudged(status: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    """One line per location and metric whose latest week was not judged, saying why."""
    rows = status[~status["judged"].astype(bool)]
    return [
        f"{_escaped(formats.location_name(names, row.location_id))}, "
        f"{column(row.metric).label.lower()}: {row.reason}"
        for row in rows.itertuples()
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
