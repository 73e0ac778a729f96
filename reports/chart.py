"""The Overview's four weekly trends as one PNG for the e-mail, drawn by matplotlib's Agg backend:
no browser and no display, so it works on a bare server."""

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: a headless server has no display

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from dashboard import charts
from dashboard.trends import OVERVIEW_TRENDS, Trend

WIDTH_INCHES, HEIGHT_INCHES, DPI = 9.0, 6.0, 100  # 900 x 600 pixels: fits a mail client's column


def trends_png(
    weekly: pd.DataFrame,
    *,
    names: Mapping[str, str],
    colours: Mapping[str, str],
    trends: Sequence[Trend] = OVERVIEW_TRENDS,
) -> bytes:
    """`trends_figure` as PNG bytes."""
    figure = trends_figure(weekly, names=names, colours=colours, trends=trends)
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def trends_figure(
    weekly: pd.DataFrame,
    *,
    names: Mapping[str, str],
    colours: Mapping[str, str],
    trends: Sequence[Trend] = OVERVIEW_TRENDS,
) -> Figure:
    """The trends of a weekly report as the Overview draws them: a line per location (and the
    pooled one in black where the trend shows it), or only the pooled line for more locations
    than the palette has colours; over each trend's target band where it has one. The caller
    closes the figure (`plt.close`)."""
    pooled = charts.pools_locations(weekly)
    shown = weekly[weekly["location_id"] == charts.NETWORK] if pooled else weekly
    figure, axes = plt.subplots(2, 2, figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    try:
        for axis, trend in zip(axes.flat, trends, strict=True):
            if trend.band is not None:
                _draw_band(axis, trend.band)
            for location_id, rows in shown.groupby("location_id", sort=True):
                if not (pooled or trend.include_network or location_id != charts.NETWORK):
                    continue
                axis.plot(
                    pd.to_datetime(rows["week_start"]),
                    rows[trend.column].astype(float),
                    marker="o",
                    markersize=3,
                    linewidth=2.5 if location_id == charts.NETWORK else 1.6,
                    color=colours.get(location_id, charts.NETWORK_COLOUR),
                    label=charts.line_name(names, location_id),
                )
            axis.set_title(trend.title, fontsize=10, loc="left")
            axis.set_ylabel(trend.unit, fontsize=8)
            axis.tick_params(labelsize=7)
            axis.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
            axis.grid(alpha=0.3)
            axis.spines[["top", "right"]].set_visible(False)
        handles, labels = _legend_entries(axes.flat)
        figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8)
        figure.tight_layout(rect=(0, 0.08, 1, 1))
    except BaseException:
        plt.close(figure)
        raise
    return figure


def _draw_band(axis, band: charts.Band) -> None:
    """A target as the Overview's charts draw it (dashboard/charts.py): a shaded band from `low`
    to `high`, or a dotted line at `low` when there is no upper bound; labelled at its top."""
    if band.high is None:
        axis.axhline(band.low, color=charts.TARGET_COLOUR, linestyle=":", linewidth=1.2)
    else:
        axis.axhspan(band.low, band.high, color=charts.TARGET_COLOUR, alpha=0.12, linewidth=0)
    axis.annotate(
        f"target {band.text}",
        xy=(0.01, band.low if band.high is None else band.high),
        xycoords=("axes fraction", "data"),
        va="bottom" if band.high is None else "top",
        fontsize=7,
        color=charts.TARGET_COLOUR,
    )


def _legend_entries(axes) -> tuple[list, list[str]]:
    handles, labels = [], []
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    return handles, labels
