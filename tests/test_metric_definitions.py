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


def test_rounding_whole_arrays_gives_what_rounding_each_value_gives():
    """The report computes a column at once; each value must be the scalar rule's."""
    import numpy as np

    from queries.metric_definitions import round_half_up, round_half_up_array

    numerators = np.array([0, 1, 5, 15, 25, 2019, 33650, 2, 7, 10**9, 1, 0], dtype="int64")
    denominators = np.array([1, 2, 10, 10, 100, 120, 1000, 3, 0, 7, 120, 0], dtype="int64")
    for decimals in (0, 1, 2):
        got = round_half_up_array(numerators, denominators, decimals)
        for n, d, value in zip(numerators.tolist(), denominators.tolist(), got, strict=True):
            expected = round_half_up(n, d, decimals)
            assert (np.isnan(value) and expected is None) or value == expected, (n, d, decimals)
