"""The report columns' labels and units, and when a week's consult conversion is final."""

from datetime import date

from queries.metric_definitions import WEEKLY_COLUMNS, conversion_final_from


def test_every_column_has_a_label_and_rates_have_a_unit():
    assert all(column.label for column in WEEKLY_COLUMNS)
    units = {column.name: column.unit for column in WEEKLY_COLUMNS if column.kind == "ratio"}
    assert units == {
        "median_response_minutes": "min",
        "contacted_within_1h_pct": "%",
        "consult_conversion_pct": "%",
        "no_show_rate_pct": "%",
        "available_room_hours": "h",
        "booked_room_hours": "h",
        "utilization_pct": "%",
    }


def test_conversion_is_final_the_day_after_the_last_consults_window_closes():
    # Week of Mon 16 Nov 2026: its last consults are on Sun 22 Nov, their window runs to
    # 22 Dec, so from Wed 23 Dec nothing can change.
    assert conversion_final_from(date(2026, 11, 16)) == date(2026, 12, 23)
