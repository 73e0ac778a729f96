"""Chart builders: a DataFrame from `queries/` in, a plotly Figure out; no Streamlit here.

Colours come from the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness; each location keeps its colour on every page, and the network (`ALL`) is black.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from queries.metric_definitions import column as metric_column
from queries.vocabulary import ALL as NETWORK
from queries.vocabulary import ALL_SELECTED

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442"]
NETWORK_COLOUR = "#000000"
TARGET_COLOUR = "#009E73"
# Lines or bars of more locations than the palette has colours cannot be told apart.
MAX_LOCATIONS = len(OKABE_ITO)
STATUS_COLOURS = {
    "completed": "#009E73",
    "no_show": "#D55E00",
    "late_cancel": "#E69F00",
    "cancelled": "#56B4E9",
    "scheduled": "#999999",
}
STATUS_LABELS = {
    "completed": "Completed",
    "no_show": "No-show",
    "late_cancel": "Late cancellation",
    "cancelled": "Cancelled in time",
    "scheduled": "Scheduled",
}
CHANNEL_COLOURS = dict(
    zip(["web", "phone", "referral", "walk_in", "other"], OKABE_ITO, strict=False)
)
MILESTONE_COLOURS = {
    "new_patients": OKABE_ITO[3],
    "series_completions": OKABE_ITO[2],
    "booster_infusions": OKABE_ITO[0],
}
CHANNEL_LABELS = {
    "web": "Web",
    "phone": "Phone",
    "referral": "Referral",
    "walk_in": "Walk-in",
    "other": "Other",
}
INDICATION_LABELS = {
    "depression": "Depression",
    "anxiety": "Anxiety",
    "ptsd": "PTSD",
    "ocd": "OCD",
    "bipolar": "Bipolar disorder",
    "pain": "Chronic pain",
    "other": "Other",
    "unknown": "Not stated",
}
SEQUENTIAL = "Cividis"  # perceptually even and colour-blind safe
# A pooled weekly trend starts with the room its labels take, so the Streamlit theme's automargin
# has nothing to add: growing a margin draws the whole chart a second time, and the Overview
# draws four of them anew on every filter change. Left: y tick labels and title; right: the
# one-entry legend ("All selected"); below: two-line date ticks. Automargin still grows a
# margin that is too small (a narrow window, longer labels).
POOLED_TREND_MARGIN = {"l": 90, "r": 125, "b": 85}


def location_colours(
    location_ids: Sequence[str], chosen: Sequence[str] | None = None
) -> dict[str, str]:
    """A colour per location id, black for the network.

    With no more locations than colours, each keeps one colour whatever is chosen (by its place
    among all ids). With more, the chosen locations take the colours by their place among the
    chosen, so that up to 7 chosen never share one (by place among 200 ids, two in 7 often did).
    """
    ordered = sorted(location_ids)
    if chosen is not None and len(ordered) > len(OKABE_ITO):
        wanted = set(chosen)
        ordered = [loc for loc in ordered if loc in wanted]
    colours = {loc: OKABE_ITO[n % len(OKABE_ITO)] for n, loc in enumerate(ordered)}
    colours[NETWORK] = NETWORK_COLOUR
    return colours


def _layout_properties(
    title: str,
    y_title: str = "",
    x_title: str = "",
    *,
    margin: Mapping[str, int] | None = None,
    **layout: object,
) -> dict[str, object]:
    return {
        "title": {"text": title},
        "xaxis_title": x_title,
        "yaxis_title": y_title,
        "legend_title_text": "",
        "hovermode": "closest",
        "margin": {"t": 60, "l": 10, "r": 10, "b": 10, **(margin or {})},
        **layout,
    }


def _layout(figure: go.Figure, title: str, y_title: str = "", x_title: str = "") -> go.Figure:
    figure.update_layout(**_layout_properties(title, y_title, x_title))
    return figure


def line_name(names: Mapping[str, str], location_id: str) -> str:
    """A line's name in a legend: the location's name, or "All selected" for the network."""
    return ALL_SELECTED if location_id == NETWORK else names.get(location_id, location_id)


def _location_count(table: pd.DataFrame) -> int:
    ids = set(table["location_id"].unique())
    ids.discard(NETWORK)
    return len(ids)


def pools_locations(table: pd.DataFrame) -> bool:
    """Whether a chart of `table` shows the selection as one pooled line or bar instead of one per
    location: more locations than the palette has colours cannot be told apart."""
    return _location_count(table) > MAX_LOCATIONS


def pooled_note(table: pd.DataFrame) -> str | None:
    """The caption under charts of `table` that pool its locations; None if they show each one."""
    if not pools_locations(table):
        return None
    return (
        f"Charts: all {_location_count(table)} selected locations together (black). "
        f"Choose {MAX_LOCATIONS} or fewer locations to see each one."
    )


def _each_or_pooled(table: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart draws: each location's, or with more than `MAX_LOCATIONS` the pooled
    `ALL` rows only (a table without them has none of the network)."""
    return table[(table["location_id"] == NETWORK) == pools_locations(table)]


class Band(NamedTuple):
    """A target drawn on a chart: from `low` to `high` (None: no bound that side), and its words."""

    low: float | None
    high: float | None
    text: str


def target_band(low: float | None, high: float | None, unit: str, text: str) -> Band:
    """The band of a target: a percentage's open side reaches 0 or 100, any other metric's
    open lower side reaches 0 (an open upper side stays open: drawn as a line at `low`)."""
    if low is None:
        low = 0.0
    if high is None and unit == "%":
        high = 100.0
    return Band(low, high, text)


class TrendLines(NamedTuple):
    """A weekly report split into the lines its trends draw (`trend_lines`): whether locations
    are pooled, and per location its rows and their weeks as datetimes."""

    pooled: bool
    lines: list[tuple[str, np.ndarray, pd.DataFrame]]


def trend_lines(weekly: pd.DataFrame) -> TrendLines:
    """`weekly` split by location once, for several trends of it (the Overview draws four)."""
    pooled = pools_locations(weekly)
    if pooled:
        weekly = weekly[weekly["location_id"] == NETWORK]
    return TrendLines(
        pooled,
        [
            (location_id, pd.to_datetime(rows["week_start"]).to_numpy(), rows)
            for location_id, rows in weekly.groupby("location_id", sort=True)
        ],
    )


def weekly_trend(
    weekly: pd.DataFrame,
    column: str,
    *,
    title: str,
    colours: Mapping[str, str],
    names: Mapping[str, str],
    unit: str | None = None,
    include_network: bool = True,
    band: Band | None = None,
    lines: TrendLines | None = None,
    build: Callable[[list[dict], dict], go.Figure] | None = None,
) -> go.Figure:
    """One line per location (and the pooled network in black) of a weekly report column, over
    the target `band` (shaded) when one is given. The y axis is titled `unit`, by default the
    column's unit in the metric registry. `lines`, if given, is `trend_lines(weekly)`. `build`
    makes the figure of the plain trace and layout dicts: a `go.Figure` unless given (the
    Overview gives `sent_figure.SentFigure` for figures it only draws).

    With more locations than `MAX_LOCATIONS` only the pooled line is drawn, even where
    `include_network` is False (a count's total next to the locations' own counts flattens them).
    """
    if unit is None:
        unit = metric_column(column).unit
    if lines is None:
        lines = trend_lines(weekly)
    pooled = lines.pooled
    hover = (
        f"%{{fullData.name}}<br>Week of %{{x|%d %b %Y}}: "
        f"%{{y}}{'' if unit == '%' else ' '}{unit}<extra></extra>"
    )
    traces = []
    for location_id, weeks, rows in lines.lines:
        if not (pooled or include_network or location_id != NETWORK):
            continue
        line = {"color": colours.get(location_id), "width": 3 if location_id == NETWORK else 2}
        traces.append(
            {
                "type": "scatter",
                "x": weeks,
                "y": rows[column].to_numpy(),
                "mode": "lines+markers",
                "name": line_name(names, location_id),
                "line": {key: value for key, value in line.items() if value is not None},
                "hovertemplate": hover,
            }
        )
    if pooled:
        layout = _plain_layout(title, unit, margin=POOLED_TREND_MARGIN, showlegend=True)
    else:
        layout = _plain_layout(title, unit)
    if band is not None:
        layout.update(_band_layout(band))
    return (build or _checked_figure)(traces, layout)


def _plain_layout(
    title: str, y_title: str, *, margin: Mapping[str, int] | None = None, **layout: object
) -> dict[str, object]:
    """`_layout_properties` as the nested dicts plotly stores (no `xaxis_title` shorthands)."""
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": ""}},
        "yaxis": {"title": {"text": y_title}},
        "legend": {"title": {"text": ""}},
        "hovermode": "closest",
        "margin": {"t": 60, "l": 10, "r": 10, "b": 10, **(margin or {})},
        **layout,
    }


def _band_layout(band: Band) -> dict[str, list[dict[str, object]]]:
    """The shape and label plotly's add_hline / add_hrect draw for `band`."""
    across = {"xref": "x domain", "x0": 0, "x1": 1, "yref": "y"}
    if band.high is None:
        shape = {
            "type": "line", "y0": band.low, "y1": band.low,
            "line": {"dash": "dot", "color": TARGET_COLOUR}, **across,
        }  # fmt: skip
    else:
        shape = {
            "type": "rect", "y0": band.low, "y1": band.high, "fillcolor": TARGET_COLOUR,
            "opacity": 0.12, "line": {"width": 0}, **across,
        }  # fmt: skip
    label = {
        "text": f"target {band.text}", "showarrow": False, "xref": "x domain", "x": 0,
        "xanchor": "left", "yref": "y", "y": band.low if band.high is None else band.high,
        "yanchor": "bottom" if band.high is None else "top",
    }  # fmt: skip
    return {"shapes": [shape], "annotations": [label]}


def _checked_figure(traces: list[dict[str, object]], layout: dict[str, object]) -> go.Figure:
    """A figure of plain trace and layout dicts, taken as they are.

    plotly checks every property of a new figure one by one, most of the cost of building one,
    and the Overview builds four on every new view. These dicts hold only valid properties in
    the form plotly stores them (tests/test_chart_band.py rebuilds them with checking on and
    compares what is sent), so the check is skipped while building (plotly's `_validate`), and
    turned back on for anything a caller adds later (`mark_still_rising`).
    """
    figure = go.Figure(data=traces, layout=layout, _validate=False)
    figure._validate = True
    figure._layout_obj._validate = True
    for trace in figure.data:
        trace._validate = True
    return figure


def requests_by_channel(table: pd.DataFrame, *, title: str) -> go.Figure:
    """Stacked weekly bars of consultation requests by channel."""
    figure = go.Figure()
    for channel, rows in table.groupby("channel", sort=True):
        figure.add_trace(
            go.Bar(
                x=pd.to_datetime(rows["week_start"]),
                y=rows["requests"],
                name=CHANNEL_LABELS.get(channel, channel),
                marker_color=CHANNEL_COLOURS.get(channel, "#999999"),
                hovertemplate="%{fullData.name}, week of %{x|%d %b %Y}: %{y} requests"
                "<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack")
    return _layout(figure, title, "requests")


def indication_mix(
    table: pd.DataFrame, *, title: str, colours: Mapping[str, str], names: Mapping[str, str]
) -> go.Figure:
    """Requests per indication, one bar group per location (one bar of all of them together when
    there are more than `MAX_LOCATIONS`)."""
    figure = go.Figure()
    for location_id, rows in _each_or_pooled(table).groupby("location_id", sort=True):
        figure.add_trace(
            go.Bar(
                y=[INDICATION_LABELS.get(code, code) for code in rows["indication"]],
                x=rows["requests"],
                orientation="h",
                name=line_name(names, location_id),
                marker_color=colours.get(location_id),
                hovertemplate="%{fullData.name}, %{y}: %{x} requests<extra></extra>",
            )
        )
    figure.update_layout(barmode="group", yaxis={"categoryorder": "total ascending"})
    return _layout(figure, title, x_title="requests")


def response_times(table: pd.DataFrame, *, title: str) -> go.Figure:
    """Requests by time to first contact, in bucket order."""
    figure = go.Figure(
        go.Bar(
            x=table["bucket"],
            y=table["requests"],
            marker_color=OKABE_ITO[3],
            hovertemplate="First contact %{x}: %{y} requests<extra></extra>",
        )
    )
    return _layout(figure, title, "requests", "time from request to first contact")


def funnel(
    table: pd.DataFrame, *, title: str, colours: Mapping[str, str], names: Mapping[str, str]
) -> go.Figure:
    """Requests reaching each stage, one bar group per location (one bar of all of them together
    when there are more than `MAX_LOCATIONS`)."""
    figure = go.Figure()
    for location_id, rows in _each_or_pooled(table).groupby("location_id", sort=True):
        figure.add_trace(
            go.Bar(
                x=rows["stage"],
                y=rows["requests"],
                name=line_name(names, location_id),
                marker_color=colours.get(location_id),
                hovertemplate="%{fullData.name}, %{x}: %{y} requests<extra></extra>",
            )
        )
    figure.update_layout(barmode="group")
    return _layout(figure, title, "requests")


def bookings_by_status(table: pd.DataFrame, *, title: str) -> go.Figure:
    """Stacked weekly bars of bookings by outcome."""
    figure = go.Figure()
    for status, colour in STATUS_COLOURS.items():
        rows = table[table["status"] == status]
        if not rows["bookings"].any():
            continue
        figure.add_trace(
            go.Bar(
                x=pd.to_datetime(rows["week_start"]),
                y=rows["bookings"],
                name=STATUS_LABELS[status],
                marker_color=colour,
                hovertemplate="%{fullData.name}, week of %{x|%d %b %Y}: %{y} bookings"
                "<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack")
    return _layout(figure, title, "bookings")


def no_show_heatmap(
    table: pd.DataFrame, *, title: str, names: Mapping[str, str], weekdays: Sequence[str]
) -> go.Figure:
    """No-show rate per location (rows) and weekday (columns); a weekday on which a location held
    no infusion (closed) is left blank rather than shown as 0 %."""
    grid = table.pivot(index="location_id", columns="weekday", values="no_show_rate_pct")
    held = table.pivot(index="location_id", columns="weekday", values="held")
    order = [loc for loc in grid.index if loc != NETWORK] + [NETWORK]
    columns = [day for day in weekdays if day in grid.columns]
    grid, held = grid.loc[order, columns], held.loc[order, columns]
    rates = grid.to_numpy(dtype=float)
    counts = held.fillna(0).to_numpy(dtype=float)
    # The count under each rate: 12.5 % of 8 bookings is not the warning 12.5 % of 800 is.
    text = np.where(
        np.isnan(rates),
        "",
        np.char.mod("%.1f%%", np.nan_to_num(rates)) + np.char.mod("<br>of %d", counts.astype(int)),
    )
    hover = np.where(
        np.isnan(rates),
        "no infusions held (closed)",
        np.char.mod("%.1f%% no-shows", np.nan_to_num(rates))
        + np.char.mod(" of %d held bookings", counts.astype(int)),
    )
    figure = go.Figure(
        go.Heatmap(
            z=rates,
            x=columns,
            y=[line_name(names, loc) for loc in order],
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            colorscale=SEQUENTIAL,
            colorbar={"title": "no-show %"},
            hovertemplate="%{y}, %{x}: %{customdata}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    return _layout(figure, title)


def patient_milestones(weekly: pd.DataFrame, *, title: str) -> go.Figure:
    """Weekly new patients, completed series and booster infusions of the selected locations
    together (the report's `ALL` rows)."""
    pooled = weekly[weekly["location_id"] == NETWORK]
    weeks = pd.to_datetime(pooled["week_start"])
    figure = go.Figure()
    for name, colour in MILESTONE_COLOURS.items():
        label = metric_column(name).label
        figure.add_trace(
            go.Scatter(
                x=weeks,
                y=pooled[name],
                mode="lines+markers",
                name=label,
                line={"color": colour, "width": 2},
                hovertemplate=f"{label}, week of %{{x|%d %b %Y}}: %{{y}}<extra></extra>",
            )
        )
    return _layout(figure, title, "patients or infusions")


def mark_still_rising(figure: go.Figure, first_week: date, last_week: date) -> go.Figure:
    """Shade the weeks from `first_week` to `last_week` whose figure can still rise."""
    half_week = timedelta(days=3, hours=12)
    figure.add_vrect(
        x0=first_week - half_week,
        x1=last_week + half_week,
        fillcolor="#999999",
        opacity=0.15,
        line_width=0,
        annotation_text="still rising",
        annotation_position="top left",
    )
    return figure


def utilization(
    table: pd.DataFrame,
    *,
    title: str,
    colours: Mapping[str, str],
    names: Mapping[str, str],
    band: tuple[float, float],
) -> go.Figure:
    """Weekly utilization per location against the target band (shaded)."""
    low, high = band
    return weekly_trend(
        table, "utilization_pct", title=title, colours=colours, names=names,
        band=Band(low, high, f"{low:g}-{high:g}%"),
    )  # fmt: skip


def occupancy_heatmap(table: pd.DataFrame, *, title: str, weekdays: Sequence[str]) -> go.Figure:
    """Average rooms occupied per weekday (rows) and hour of the day (columns)."""
    grid = table.pivot(index="weekday", columns="hour", values="occupied_rooms").loc[list(weekdays)]
    # Only the hours from the first to the last with any booking: a night of empty cells
    # squeezes the day into a corner.
    busy = [hour for hour in grid.columns if grid[hour].any()]
    if busy:
        grid = grid.loc[:, min(busy) : max(busy)]
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=[f"{hour:02d}:00" for hour in grid.columns],
            y=list(grid.index),
            colorscale=SEQUENTIAL,
            colorbar={"title": "rooms"},
            hovertemplate="%{y} %{x}: %{z:.2f} rooms occupied on average<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    return _layout(figure, title, x_title="hour of the day (local time)")


def weeks_ahead(
    table: pd.DataFrame, *, title: str, colours: Mapping[str, str], names: Mapping[str, str]
) -> go.Figure:
    """Booked share of the available room-hours in the coming weeks, one bar per location; with
    more than `MAX_LOCATIONS`, the pooled `ALL` rows only (without them, none of the network)."""
    table = _each_or_pooled(table)
    figure = go.Figure()
    for location_id, rows in table.groupby("location_id", sort=True):
        figure.add_trace(
            go.Bar(
                x=[f"{day:%d %b}" for day in rows["week_start"]],
                y=rows["utilization_pct"],
                name=line_name(names, location_id),
                marker_color=colours.get(location_id),
                customdata=rows[["booked_room_hours", "available_room_hours"]].to_numpy(),
                hovertemplate="%{fullData.name}, week of %{x}: %{y}% booked "
                "(%{customdata[0]:.1f} of %{customdata[1]:.1f} room-hours)<extra></extra>",
            )
        )
    figure.update_layout(barmode="group")
    return _layout(figure, title, "% of available room-hours booked", "week starting")


def location_comparison(
    table: pd.DataFrame,
    column: str,
    *,
    title: str,
    unit: str,
    colours: Mapping[str, str],
    names: Mapping[str, str],
) -> go.Figure:
    """One bar per location for a period metric, with the network figure as a dashed line."""
    locations = table[table["location_id"] != NETWORK]
    network = table.loc[table["location_id"] == NETWORK, column]
    figure = go.Figure(
        go.Bar(
            x=[line_name(names, loc) for loc in locations["location_id"]],
            y=locations[column],
            marker_color=[colours.get(loc) for loc in locations["location_id"]],
            hovertemplate=f"%{{x}}: %{{y}}{'' if unit == '%' else ' '}{unit}<extra></extra>",
        )
    )
    if not network.empty and pd.notna(network.iloc[0]):
        figure.add_hline(
            y=float(network.iloc[0]),
            line_dash="dash",
            line_color=NETWORK_COLOUR,
            annotation_text=f"{ALL_SELECTED.lower()}: {network.iloc[0]:g}"
            f"{'' if unit == '%' else ' '}{unit}",
        )
    return _layout(figure, title, unit)
