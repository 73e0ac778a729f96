"""How the dashboard writes numbers, labels and the side-by-side table (no Streamlit run needed)."""

import math
import re

import pandas as pd

from dashboard import charts, formats

NAMES = {"arlington": "Arlington", "bethesda": "Bethesda"}


def test_count_change_is_whole_with_sign():
    assert formats.format_change(-8.0, "") == "-8"
    assert formats.format_change(13.0, "") == "+13"
    assert formats.format_change(1234.0, "") == "+1,234"


def test_rate_change_is_in_percentage_points_and_median_in_minutes():
    assert formats.format_change(-17.6, "%") == "-17.6 pp"
    assert formats.format_change(0.1, "%") == "+0.1 pp"
    assert formats.format_change(17.6, "min") == "+17.6 min"


def test_change_that_rounds_to_nothing_has_no_sign_and_says_no_change():
    assert formats.format_change(0.4, "") == "0"
    assert formats.format_change(-0.04, "%") == "0.0 pp"
    assert formats.no_change("0")
    assert formats.no_change("0.0 pp")
    assert not formats.no_change("-0.1 pp")
    assert not formats.no_change("+10")


def test_missing_change_gives_no_delta():
    assert formats.format_change(None, "") is None
    assert formats.format_change(math.nan, "%") is None


def test_values_carry_their_unit_and_counts_are_whole():
    assert formats.format_value(1157.0, "") == "1,157"
    assert formats.format_value(41.04, "%") == "41.0%"
    assert formats.format_value(47.26, "min") == "47.3 min"
    assert formats.format_value(6352.0, "h", 2) == "6,352.00 h"
    assert formats.format_value(None, "%") == "—"


def test_report_columns_get_readable_labels_formats_and_definitions():
    config = formats.metric_columns(["location_id", "consult_requests", "no_show_rate_pct"])
    assert config["location_id"]["label"] == "Location"
    assert config["consult_requests"]["label"] == "Consult requests"
    assert config["consult_requests"]["type_config"]["format"] == "localized"
    assert config["no_show_rate_pct"]["label"] == "No-show rate"
    assert config["no_show_rate_pct"]["type_config"]["format"] == "%.1f%%"
    assert config["no_show_rate_pct"]["help"].startswith("100 × `no_shows`")


def test_pooled_row_is_called_all_selected():
    table = pd.DataFrame({"location_id": ["arlington", "ALL"], "consult_requests": [3, 5]})
    named = formats.with_location_names(table, NAMES)
    assert list(named["location_id"]) == ["Arlington", "All selected"]
    assert list(table["location_id"]) == ["arlington", "ALL"]  # the cached frame is untouched


def _period_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame(
        {
            "location_id": ["arlington", "bethesda", "ALL"],
            "consult_requests": [1157, 411, 1568],
            "no_show_rate_pct": [12.0, 4.0, 8.0],
            "booked_room_hours": [2613.5833, 1999.25, 4612.8333],
        }
    )
    flags = pd.DataFrame(
        {
            "location_id": table["location_id"],
            "consult_requests": [False, False, False],
            "no_show_rate_pct": [True, True, False],
            "booked_room_hours": [False, False, False],
        }
    )
    return table, flags


def test_side_by_side_has_a_row_per_metric_and_a_column_per_location():
    table, flags = _period_table()
    styled = formats.side_by_side(table, flags, NAMES)
    assert list(styled.data.index) == ["Consult requests", "No-show rate", "Room-hours booked"]
    assert list(styled.data.columns) == ["Arlington", "Bethesda", "All selected"]
    # The numbers underneath stay numbers: sorting and copying work on values.
    assert styled.data.at["Consult requests", "Arlington"] == 1157


def test_side_by_side_writes_units_and_marks_outliers_up_and_down():
    table, flags = _period_table()
    text = formats.side_by_side(table, flags, NAMES).to_string(delimiter="|")
    rows = {line.split("|")[0]: line.split("|")[1:] for line in text.splitlines()}
    assert rows["Consult requests"] == ["1,157", "411", "1,568"]
    assert rows["No-show rate"] == ["12.0% ▲", "4.0% ▼", "8.0%"]
    assert rows["Room-hours booked"] == ["2,613.58 h", "1,999.25 h", "4,612.83 h"]


def test_side_by_side_highlights_only_flagged_cells():
    table, flags = _period_table()
    html = formats.side_by_side(table, flags, NAMES).to_html()
    # The stylesheet lists the highlighted cells before the highlight's properties.
    highlighted = re.search(r"([^}]*)\{\s*background-color: #F0E442", html).group(1)
    assert sorted(re.findall(r"row\d+_col\d+", highlighted)) == ["row1_col0", "row1_col1"]


def test_heatmap_leaves_a_closed_weekday_blank():
    table = pd.DataFrame(
        {
            "location_id": ["arlington", "arlington", "bethesda", "ALL", "ALL"],
            "weekday": ["Mon", "Sat", "Mon", "Mon", "Sat"],
            "no_shows": [1, 2, 3, 4, 2],
            "held": [10, 16, 30, 40, 16],
            "no_show_rate_pct": [10.0, 12.5, 10.0, 10.0, 12.5],
        }
    )
    figure = charts.no_show_heatmap(table, title="t", names=NAMES, weekdays=["Mon", "Sat"])
    heat = figure.data[0]
    assert [list(row) for row in heat.text] == [
        ["10.0%<br>of 10", "12.5%<br>of 16"],
        ["10.0%<br>of 30", ""],
        ["10.0%<br>of 40", "12.5%<br>of 16"],
    ]
    assert heat.customdata[1][1] == "no infusions held (closed)"
    assert "%" not in heat.texttemplate.replace("%{text}", "")


def test_milestones_chart_draws_the_pooled_weekly_counts():
    weekly = pd.DataFrame(
        {
            "week_start": ["2026-03-02", "2026-03-09"] * 2,
            "location_id": ["arlington", "arlington", "ALL", "ALL"],
            "new_patients": [1, 2, 3, 4],
            "series_completions": [0, 1, 1, 2],
            "booster_infusions": [5, 6, 7, 8],
        }
    )
    figure = charts.patient_milestones(weekly, title="t")
    lines = {trace.name: list(trace.y) for trace in figure.data}
    assert lines == {
        "New patients": [3, 4],
        "Series completed": [1, 2],
        "Booster infusions": [7, 8],
    }
