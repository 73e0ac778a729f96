"""The shared filters' link handling, without a browser: what a link asks for and what it says."""

from datetime import date

from dashboard.filters import (
    Selection,
    latest_complete_week,
    matching_preset,
    parse_params,
    preset_range,
    to_params,
)

KNOWN = ["arlington", "bethesda", "rockville"]
# Data up to Wednesday 2026-03-11 (today is later): the latest complete Monday week is 03-02.
LAST = date(2026, 3, 11)
TODAY = date(2026, 3, 20)


def parse(**params):
    return parse_params(params, known_locations=KNOWN, last_activity=LAST, today=TODAY)


def test_latest_complete_week_is_the_week_before_the_last_active_day():
    assert latest_complete_week(LAST, TODAY, "mon") == date(2026, 3, 2)
    # A Sunday as the last active day completes its Monday week.
    assert latest_complete_week(date(2026, 3, 15), TODAY, "mon") == date(2026, 3, 9)
    assert latest_complete_week(date(2026, 3, 14), TODAY, "sun") == date(2026, 3, 8)


def test_latest_complete_week_never_lies_in_the_future():
    assert latest_complete_week(date(2026, 6, 1), TODAY, "mon") == date(2026, 3, 9)


def test_a_link_with_two_locations_and_dates_is_restored_exactly():
    selection, notices = parse(
        location=["rockville", "arlington"], start=["2026-01-05"], end=["2026-02-22"]
    )
    assert notices == []
    assert selection == Selection(
        ("arlington", "rockville"), date(2026, 1, 5), date(2026, 2, 22), "mon"
    )


def test_no_link_gives_every_location_and_the_last_twelve_complete_weeks():
    selection, notices = parse()
    assert notices == []
    assert selection.locations == tuple(KNOWN)
    # 12 weeks ending with the week of 2026-03-02: from 2025-12-15 to Sunday 2026-03-08.
    assert (selection.start, selection.end) == (date(2025, 12, 15), date(2026, 3, 8))


def test_unknown_location_is_left_out_with_a_notice():
    selection, notices = parse(location=["rockville", "atlantis"])
    assert selection.locations == ("rockville",)
    assert notices == ["Unknown location in the link, left out: atlantis."]


def test_only_unknown_locations_fall_back_to_all_with_notices():
    selection, notices = parse(location=["atlantis"])
    assert selection.locations == tuple(KNOWN)
    assert len(notices) == 2


def test_a_bad_date_gives_a_notice_and_the_default_range():
    selection, notices = parse(start=["2026-13-01"], end=["2026-02-22"])
    assert (selection.start, selection.end) == (date(2025, 12, 15), date(2026, 3, 8))
    assert any("2026-13-01" in notice for notice in notices)


def test_a_reversed_range_gives_a_notice():
    selection, notices = parse(start=["2026-03-01"], end=["2026-01-01"])
    assert (selection.start, selection.end) == (date(2025, 12, 15), date(2026, 3, 8))
    assert notices and "after its end" in notices[0]


def test_sunday_weeks_from_the_link_and_a_bad_week_start_noticed():
    assert parse(week_start=["sun"])[0].week_start == "sun"
    selection, notices = parse(week_start=["fri"])
    assert selection.week_start == "mon"
    assert "fri" in notices[0]


def test_link_leaves_out_all_locations_and_monday():
    selection = Selection(tuple(KNOWN), date(2026, 1, 5), date(2026, 2, 22), "mon")
    assert to_params(selection, KNOWN) == {"start": "2026-01-05", "end": "2026-02-22"}
    sunday = Selection(("rockville",), date(2026, 1, 4), date(2026, 2, 21), "sun")
    assert to_params(sunday, KNOWN) == {
        "location": ["rockville"],
        "start": "2026-01-04",
        "end": "2026-02-21",
        "week_start": "sun",
    }


def test_presets_end_with_the_latest_complete_week():
    assert preset_range("Last 4 weeks", date(2026, 3, 2)) == (date(2026, 2, 9), date(2026, 3, 8))
    assert matching_preset(date(2026, 2, 9), date(2026, 3, 8), date(2026, 3, 2)) == "Last 4 weeks"
    assert matching_preset(date(2026, 2, 10), date(2026, 3, 8), date(2026, 3, 2)) == "Custom"
