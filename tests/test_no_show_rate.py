from queries.weekly import no_show_rate_pct


def test_a_half_way_no_show_rate_rounds_up_like_the_weekly_report():
    # 1 no-show of 16 held = 6.25 % exactly: half-up gives 6.3 (a float round() gives 6.2).
    assert no_show_rate_pct(1, 15, 0) == 6.3


def test_late_cancellations_count_in_the_no_show_denominator_and_none_held_is_empty():
    assert no_show_rate_pct(1, 2, 1) == 25.0
    assert no_show_rate_pct(0, 0, 0) is None
