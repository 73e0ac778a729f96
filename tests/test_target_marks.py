"""Values outside their location's target, as the Locations page marks them (by a sign, not only
by colour)."""

import pandas as pd

from dashboard.formats import OFF_TARGET_MARK, side_by_side
from queries.targets import EFFECTIVE_COLUMNS, outside_targets

TABLE = pd.DataFrame(
    {
        "location_id": ["pike", "rock", "ALL"],
        "no_show_rate_pct": [9.0, 9.0, 9.0],
        "utilization_pct": [69.9, 70.0, 70.0],
    }
)


def effective(rows: list[list]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=EFFECTIVE_COLUMNS)


def test_each_location_is_judged_by_its_own_target_and_all_by_the_shared_one():
    targets = effective(
        [
            ["pike", "no_show_rate_pct", None, 8.0, 2, "*"],
            ["rock", "no_show_rate_pct", None, 10.0, 2, "location"],
            ["pike", "utilization_pct", 70.0, 90.0, 2, "default"],
            ["rock", "utilization_pct", 70.0, 90.0, 2, "default"],
        ]
    )
    flags = outside_targets(TABLE, targets)
    # No-show 9 %: over pike's 8 %, inside rock's 10 %; ALL has no one target (they differ).
    assert flags["no_show_rate_pct"].tolist() == [True, False, False]
    # Utilization: 69.9 % is under 70 %; 70.0 % equals the bound and is inside; ALL shares 70-90.
    assert flags["utilization_pct"].tolist() == [True, False, False]


def test_the_side_by_side_table_marks_the_cells_outside_target():
    # Only pike has a no-show target (its own row; no `*`, no default in this table), so only
    # pike's 9 % is outside; rock has no target for it and the pooled figure none either.
    targets = effective(
        [
            ["pike", "no_show_rate_pct", None, 8.0, 2, "location"],
            ["rock", "utilization_pct", 0.0, 100.0, 2, "location"],
        ]
    )
    flags = outside_targets(TABLE, targets)
    nothing = flags.assign(no_show_rate_pct=False, utilization_pct=False)
    styled = side_by_side(TABLE, nothing, {"pike": "Pike", "rock": "Rock"}, flags)
    shown = styled.to_html()
    assert shown.count(OFF_TARGET_MARK.strip()) == 1
    assert f"9.0%{OFF_TARGET_MARK}" in shown
