"""A target band on a weekly trend is the shape and label plotly's own add_hrect / add_hline
draw (dashboard/charts.py adds them directly, which costs less)."""

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.charts import TARGET_COLOUR, Band, weekly_trend

WEEKLY = pd.DataFrame(
    {
        "week_start": [date(2026, 3, 2), date(2026, 3, 9)],
        "location_id": ["arlington", "arlington"],
        "utilization_pct": [75.0, 81.5],
    }
)


def _drawn(band: Band) -> tuple[list, list]:
    figure = weekly_trend(
        WEEKLY, "utilization_pct", title="Rooms", unit="%", colours={}, names={}, band=band
    )
    return list(figure.layout.shapes), list(figure.layout.annotations)


def _plotly_draws(band: Band) -> tuple[list, list]:
    figure = go.Figure()
    label = {"annotation_text": f"target {band.text}", "annotation_position": "top left"}
    if band.high is None:
        figure.add_hline(y=band.low, line_dash="dot", line_color=TARGET_COLOUR, **label)
    else:
        figure.add_hrect(
            y0=band.low, y1=band.high, fillcolor=TARGET_COLOUR, opacity=0.12, line_width=0, **label
        )
    return list(figure.layout.shapes), list(figure.layout.annotations)


@pytest.mark.parametrize("band", [Band(70.0, 90.0, "70-90 %"), Band(5.0, None, "from 5 %")])
def test_band_is_what_plotly_draws(band):
    assert _drawn(band) == _plotly_draws(band)
