"""A pooled figure's target: the one its locations share, else none."""

import pandas as pd

from queries.targets import EFFECTIVE_COLUMNS, Target, common_target


def _effective(rows: list[list]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=EFFECTIVE_COLUMNS)
    return frame.astype({"min": "float64", "max": "float64", "weeks": "int64"})


def test_the_target_every_location_has_is_the_pooled_figures():
    effective = _effective(
        [
            ["arlington", "no_show_rate_pct", None, 12.0, 2, "*"],
            ["bethesda", "no_show_rate_pct", None, 12.0, 2, "location"],
            ["arlington", "utilization_pct", 70.0, 90.0, 3, "default"],
            ["bethesda", "utilization_pct", 70.0, 90.0, 3, "default"],
        ]
    )
    assert common_target(effective, "no_show_rate_pct") == Target(min=None, max=12.0, weeks=2)
    assert common_target(effective, "utilization_pct") == Target(min=70.0, max=90.0, weeks=3)


def test_no_pooled_target_when_locations_differ_or_one_has_none():
    effective = _effective(
        [
            ["arlington", "no_show_rate_pct", None, 12.0, 2, "*"],
            ["bethesda", "no_show_rate_pct", None, 10.0, 2, "location"],
            ["arlington", "utilization_pct", 70.0, 90.0, 3, "default"],
            ["bethesda", "utilization_pct", 70.0, 90.0, 2, "location"],
            ["arlington", "consult_conversion_pct", 30.0, None, 2, "default"],
            ["bethesda", "new_patients", 5.0, None, 2, "location"],
        ]
    )
    assert common_target(effective, "no_show_rate_pct") is None  # a different bound
    assert common_target(effective, "utilization_pct") is None  # different weeks
    assert common_target(effective, "consult_conversion_pct") is None  # bethesda has none
    assert common_target(effective, "median_response_minutes") is None  # nobody has one
