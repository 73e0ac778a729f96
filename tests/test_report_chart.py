"""The weekly e-mail's picture draws each trend's target as the Overview does: a shaded band, or
a dotted line where the target has no upper bound, labelled; nothing where there is none."""

from datetime import date, timedelta

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from dashboard.charts import Band
from dashboard.trends import OVERVIEW_TRENDS
from queries.db import open_database
from queries.scope import Scope
from reports import content
from reports.chart import trends_figure
from reports.recipients import Recipient
from tests.builders import two_clinics_one_missing_infusions


def _weekly(weeks: int = 4) -> pd.DataFrame:
    rows = []
    for n in range(weeks):
        for location_id in ("rock", "pike", "ALL"):
            rows.append(
                {
                    "week_start": date(2026, 4, 6) + timedelta(weeks=n),
                    "location_id": location_id,
                    **{trend.column: 10.0 + n for trend in OVERVIEW_TRENDS},
                }
            )
    return pd.DataFrame(rows)


def _data_y(axis, artist) -> np.ndarray:
    """The artist's y coordinates in the axis's data units."""
    points = artist.get_transform().transform(artist.get_path().vertices)
    return axis.transData.inverted().transform(points)[:, 1]


def test_a_band_a_line_and_none():
    trends = [
        OVERVIEW_TRENDS[0]._replace(band=Band(70.0, 90.0, "70–90 %")),
        OVERVIEW_TRENDS[1]._replace(band=Band(8.0, None, "at least 8")),
        OVERVIEW_TRENDS[2],
        OVERVIEW_TRENDS[3],
    ]
    names = {"rock": "Rock", "pike": "Pike"}
    figure = trends_figure(_weekly(), names=names, colours={}, trends=trends)
    try:
        banded, lined, plain, _ = figure.axes
        (span,) = banded.patches
        assert _data_y(banded, span).min() == pytest.approx(70.0)
        assert _data_y(banded, span).max() == pytest.approx(90.0)
        assert "target 70–90 %" in [text.get_text() for text in banded.texts]
        assert banded.get_ylim()[1] >= 90.0  # the whole band is in view

        flat = [
            line
            for line in lined.lines
            if line.get_linestyle() == ":" and set(line.get_ydata()) == {8.0}
        ]
        assert len(flat) == 1 and len(lined.patches) == 0
        assert "target at least 8" in [text.get_text() for text in lined.texts]

        assert len(plain.patches) == 0 and len(plain.texts) == 0
        assert all(line.get_linestyle() != ":" for line in plain.lines)
    finally:
        plt.close(figure)


def test_the_email_draws_the_recipients_targets(db_url, monkeypatch):
    """rock and pike share a stored no-show target (at most 5 %); utilization keeps its default
    (70-90 %); the count trends have none."""
    two_clinics_one_missing_infusions(
        db_url,
        targets=[
            ["rock", "no_show_rate_pct", None, 5.0, 2],
            ["pike", "no_show_rate_pct", None, 5.0, 2],
        ],
    )
    drawn = {}

    def capture(weekly, *, names, colours, trends):
        drawn.update({trend.column: trend.band for trend in trends})
        return b"png"

    monkeypatch.setattr(content, "trends_png", capture)
    engine = open_database(db_url)
    manager = Recipient(
        email="m@clinic.test",
        role="manager",
        scope=Scope(allowed=frozenset({"rock", "pike"})),
        names={"rock": "Rock", "pike": "Pike"},
    )
    with engine.connect() as conn:
        content.weekly_content(
            conn, manager, week=date(2026, 4, 13), dashboard_url="https://d.test"
        )
    engine.dispose()
    assert (drawn["no_show_rate_pct"].low, drawn["no_show_rate_pct"].high) == (0.0, 5.0)
    assert (drawn["utilization_pct"].low, drawn["utilization_pct"].high) == (70.0, 90.0)
    assert drawn["consult_requests"] is None and drawn["infusions_completed"] is None
