from queries.metric_definitions import column

NO_SHOW_RATE = column("no_show_rate_pct")


def _rate(no_shows: int, completed: int, late_cancellations: int) -> float | None:
    counts = {
        "no_shows": no_shows,
        "infusions_completed": completed,
        "late_cancellations": late_cancellations,
    }
    return NO_SHOW_RATE.value(counts)


def test_a_half_way_no_show_rate_rounds_up_like_the_weekly_report():
    # 1 no-show of 16 held = 6.25 % exactly: half-up gives 6.3 (a float round() gives 6.2).
    assert _rate(1, 15, 0) == 6.3


def test_late_cancellations_count_in_the_no_show_denominator_and_none_held_is_empty():
    assert _rate(1, 2, 1) == 25.0
    assert _rate(0, 0, 0) is None
