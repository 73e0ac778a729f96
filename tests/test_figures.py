"""Figures kept for the table they show (dashboard/figures.py): built once, never stale."""

import pandas as pd

from dashboard import figures
from dashboard.figures import Trend
from dashboard.loaders import RESULT_ID

TRENDS = [Trend("no_show_rate_pct", "Are no-shows rising?", "%")]
COLOURS = {"arlington": "#E69F00", "bethesda": "#56B4E9", "ALL": "#000000"}
NAMES = {"arlington": "Arlington", "bethesda": "Bethesda"}


def _weekly(arlington_rate: float) -> pd.DataFrame:
    weeks = ["2026-03-02", "2026-03-09"]
    return pd.DataFrame(
        {
            "week_start": [week for week in weeks for _ in range(3)],
            "location_id": ["arlington", "bethesda", "ALL"] * 2,
            "no_show_rate_pct": [4.0, 6.0, 5.0, arlington_rate, 8.0, 6.5],
        }
    )


def _lines(figure) -> dict[str, list[float]]:
    return {trace["name"]: list(trace["y"]) for trace in figure.traces}


def test_the_same_table_is_drawn_from_the_figure_built_before():
    first = figures.weekly_trends(_weekly(3.0), TRENDS, colours=COLOURS, names=NAMES)
    again = figures.weekly_trends(_weekly(3.0), TRENDS, colours=COLOURS, names=NAMES)
    assert again[0] is first[0]


def test_a_changed_value_or_name_gets_a_figure_of_its_own():
    before = figures.weekly_trends(_weekly(3.5), TRENDS, colours=COLOURS, names=NAMES)
    changed = figures.weekly_trends(_weekly(9.5), TRENDS, colours=COLOURS, names=NAMES)
    assert _lines(before[0])["Arlington"] == [4.0, 3.5]
    assert _lines(changed[0])["Arlington"] == [4.0, 9.5]
    renamed = figures.weekly_trends(
        _weekly(9.5), TRENDS, colours=COLOURS, names={**NAMES, "arlington": "Arlington Ballston"}
    )
    assert _lines(renamed[0])["Arlington Ballston"] == [4.0, 9.5]


def _stamped(arlington_rate: float, stamp: str) -> pd.DataFrame:
    table = _weekly(arlington_rate)
    table.attrs[RESULT_ID] = stamp
    return table


def test_a_loaders_result_is_keyed_by_its_id_not_its_rows():
    first = figures.weekly_trends(_stamped(2.0, "one"), TRENDS, colours=COLOURS, names=NAMES)
    again = figures.weekly_trends(_stamped(2.0, "one"), TRENDS, colours=COLOURS, names=NAMES)
    assert again[0] is first[0]
    # A result computed again carries a new id: its rows are drawn, not the figure before.
    newer = figures.weekly_trends(_stamped(7.5, "two"), TRENDS, colours=COLOURS, names=NAMES)
    assert _lines(first[0])["Arlington"] == [4.0, 2.0]
    assert _lines(newer[0])["Arlington"] == [4.0, 7.5]
