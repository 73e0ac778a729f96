"""A target band on a weekly trend is the shape and label plotly's own add_hrect / add_hline
draw (dashboard/charts.py adds them directly, which costs less)."""

import json
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.charts import POOLED_TREND_MARGIN, TARGET_COLOUR, Band, weekly_trend
from dashboard.sent_figure import SentFigure

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


def _many_locations(count: int) -> pd.DataFrame:
    weeks = [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    ids = [f"loc-{n:02d}" for n in range(count)] + ["ALL"]
    return pd.DataFrame(
        {
            "week_start": [week for week in weeks for _ in ids],
            "location_id": ids * len(weeks),
            # A week without a figure (no bookings held): a gap in the line, not a zero.
            "no_show_rate_pct": [float("nan") if n == 1 else 4.0 + n for n in range(len(ids))]
            * len(weeks),
        }
    )


@pytest.mark.parametrize("locations", [1, 3, 9])
@pytest.mark.parametrize("band", [None, Band(0.0, 8.0, "at most 8%"), Band(5.0, None, "≥ 5")])
@pytest.mark.parametrize("include_network", [True, False])
def test_a_trend_built_without_plotly_checks_sends_what_a_checked_one_does(
    locations, band, include_network
):
    weekly = _many_locations(locations)
    names = {loc: loc.upper() for loc in weekly["location_id"]}
    colours = {"loc-00": "#E69F00", "ALL": "#000000"}  # loc-01 and on: plotly's own colours
    figure = weekly_trend(
        weekly, "no_show_rate_pct", title="No-shows", unit="%", colours=colours, names=names,
        include_network=include_network, band=band,
    )  # fmt: skip
    # plotly checks (and raises on) every property of a figure made from the same dicts.
    checked = go.Figure(figure.to_dict())
    assert json.loads(figure.to_json()) == json.loads(checked.to_json())
    drawn = {trace.name: list(trace.y) for trace in figure.data}
    if locations > 7:
        assert list(drawn) == ["All selected"]
    else:
        assert len(drawn) == locations + include_network


def test_a_trend_takes_later_changes_with_plotly_checks():
    figure = weekly_trend(
        WEEKLY, "utilization_pct", title="Rooms", unit="%", colours={}, names={}, band=None
    )
    figure.add_vrect(x0=date(2026, 3, 1), x1=date(2026, 3, 5), annotation_text="still rising")
    assert len(figure.layout.shapes) == 1
    with pytest.raises(ValueError):
        figure.update_layout(not_a_property=1)


def _sent(figure) -> str:
    # What st.plotly_chart sends for a figure (streamlit/elements/plotly_chart.py).
    return pio.to_json(figure.to_dict(), validate=False)


@pytest.mark.parametrize("locations", [1, 3, 9])
@pytest.mark.parametrize("band", [None, Band(0.0, 8.0, "at most 8%"), Band(5.0, None, "≥ 5")])
@pytest.mark.parametrize("include_network", [True, False])
@pytest.mark.parametrize("column", ["no_show_rate_pct", "held", "held_k", "held_m", "held_t"])
def test_a_sent_figure_sends_byte_for_byte_what_a_plotly_figure_does(
    locations, band, include_network, column
):
    weekly = _many_locations(locations)
    # Whole numbers: plotly sends the narrowest int type that holds them (int8 to int32), and
    # past int32 a plain list.
    weekly["held"] = range(len(weekly))
    weekly["held_k"], weekly["held_m"] = weekly["held"] * 1000, weekly["held"] * 100_000
    weekly["held_t"] = weekly["held"] * 10**10 - 5
    options = {
        "title": "No-shows", "unit": "%", "names": {"loc-00": "Arlington"},
        "colours": {"loc-00": "#E69F00", "ALL": "#000000"},
        "include_network": include_network, "band": band,
    }  # fmt: skip
    sent = weekly_trend(weekly, column, build=SentFigure, **options)
    plotly_figure = weekly_trend(weekly, column, **options)
    assert isinstance(plotly_figure, go.Figure) and not isinstance(sent, go.Figure)
    assert _sent(sent) == _sent(plotly_figure)
    # Every property checked by plotly (which orders nested properties by name).
    assert json.loads(_sent(sent)) == json.loads(_sent(go.Figure(plotly_figure.to_dict())))
    if locations > 7:
        assert json.loads(_sent(sent))["layout"]["margin"]["r"] == POOLED_TREND_MARGIN["r"]


def test_a_sent_figure_does_not_change_what_it_was_made_of():
    sent = weekly_trend(
        WEEKLY, "utilization_pct", title="Rooms", unit="%", colours={}, names={},
        band=Band(70.0, 90.0, "70-90 %"), build=SentFigure,
    )  # fmt: skip
    first = _sent(sent)
    assert _sent(sent) == first
    assert list(sent.traces[0]["y"]) == [75.0, 81.5]
