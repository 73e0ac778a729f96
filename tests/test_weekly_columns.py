"""One test per column definition of spec/metrics.md, on tiny hand-made data worked out by hand.

Weeks used: Monday 2026-04-06 .. Sunday 2026-04-12 and the week after (no DST change in them).
"""

from datetime import date

import pytest

from queries.scope import Scope
from tests.builders import (
    add_booking,
    add_capacity,
    add_closure,
    add_consultation,
    add_location,
    refresh_all,
    report,
)

WEEK = date(2026, 4, 6)
NEXT = date(2026, 4, 13)


def one_week(conn, location_id="rock", **kwargs) -> dict:
    return report(conn, WEEK, WEEK, **kwargs)[("2026-04-06", location_id)]


def test_consult_requests_fall_in_week_by_local_received_date(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_consultation(conn, "c1", "rock", "2026-04-06 00:00")
        add_consultation(conn, "c2", "rock", "2026-04-12 23:59")
        add_consultation(conn, "c3", "rock", "2026-04-13 00:00")
        add_consultation(conn, "c4", "rock", "2026-04-05 23:59")
        refresh_all(conn)
        rows = report(conn, WEEK, NEXT)
    assert rows[("2026-04-06", "rock")]["consult_requests"] == 2
    assert rows[("2026-04-13", "rock")]["consult_requests"] == 1


def test_median_response_of_even_count_is_mean_of_two_middle_requests(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_consultation(conn, "c1", "rock", "2026-04-06 09:00", first_contact="2026-04-06 09:10")
        add_consultation(conn, "c2", "rock", "2026-04-07 09:00", first_contact="2026-04-07 09:40")
        add_consultation(conn, "c3", "rock", "2026-04-08 09:00", first_contact="2026-04-08 09:20")
        add_consultation(conn, "c4", "rock", "2026-04-09 09:00", first_contact="2026-04-09 10:40")
        add_consultation(conn, "c5", "rock", "2026-04-10 09:00")  # never contacted
        refresh_all(conn)
        row = one_week(conn)
    # Contacted: 10, 40, 20, 100 minutes -> sorted 10, 20, 40, 100 -> (20 + 40) / 2.
    assert row["median_response_minutes"] == 30.0
    # Within the hour: 3 of the 5 requests, the uncontacted one counting as not within.
    assert row["contacted_within_1h_pct"] == 60.0


def test_contact_exactly_sixty_minutes_after_receipt_counts_within_the_hour(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_consultation(conn, "c1", "rock", "2026-04-06 09:00", first_contact="2026-04-06 10:00")
        add_consultation(
            conn, "c2", "rock", "2026-04-06 09:00", first_contact="2026-04-06 10:00:01"
        )
        add_consultation(conn, "c3", "rock", "2026-04-06 09:00")
        refresh_all(conn)
        row = one_week(conn)
    assert row["contacted_within_1h_pct"] == 33.3  # 1 of 3
    # 60 and 60 1/60 minutes: mean 60.00833 -> 60.0
    assert row["median_response_minutes"] == 60.0


def test_median_and_percentages_round_half_up_from_exact_values(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        # 9 seconds = 0.15 minutes exactly; a binary float of 0.15 would round down to 0.1.
        add_consultation(
            conn, "c1", "rock", "2026-04-06 09:00", first_contact="2026-04-06 09:00:09"
        )
        add_booking(conn, "ns", "rock", "p0", "2026-04-06 09:00", status="no_show")
        for n in range(15):
            add_booking(conn, f"b{n:02}", "rock", f"p{n + 1}", "2026-04-07 09:00")
        refresh_all(conn)
        row = one_week(conn)
    assert row["median_response_minutes"] == 0.2
    assert row["no_show_rate_pct"] == 6.3  # 1 / 16 = 6.25 %, half up (not to even)


def test_consults_completed_fall_in_week_of_consult_at_not_of_receipt(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_consultation(
            conn,
            "c1",
            "rock",
            "2026-03-30 09:00",
            consult_at="2026-04-08 10:00",
            status="completed",
        )
        add_consultation(
            conn,
            "c2",
            "rock",
            "2026-04-06 09:00",
            consult_at="2026-04-14 10:00",
            status="completed",
        )
        add_consultation(
            conn, "c3", "rock", "2026-04-06 09:00", consult_at="2026-04-09 10:00", status="no_show"
        )
        refresh_all(conn)
        rows = report(conn, WEEK, NEXT)
    assert rows[("2026-04-06", "rock")]["consults_completed"] == 1
    assert rows[("2026-04-06", "rock")]["consult_requests"] == 2
    assert rows[("2026-04-13", "rock")]["consults_completed"] == 1


def test_conversion_window_includes_exactly_30_days_and_excludes_one_second_more(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_location(conn, "la", timezone="America/Los_Angeles")

        def consult(request_id, patient, at):
            add_consultation(
                conn,
                request_id,
                "rock",
                "2026-04-01 09:00",
                consult_at=at,
                status="completed",
                patient_ref=patient,
            )

        consult("c1", "p1", "2026-04-06 10:00")
        add_booking(conn, "b1", "rock", "p1", "2026-05-06 10:00")  # exactly 30 days: converted
        consult("c2", "p2", "2026-04-07 10:00")
        add_booking(conn, "b2", "rock", "p2", "2026-05-07 10:00:01")  # one second over
        consult("c3", "p3", "2026-04-08 10:00")
        add_booking(conn, "b3", "rock", "p3", "2026-04-20 10:00", status="scheduled")
        consult("c4", "p4", "2026-04-09 10:00")
        add_booking(conn, "b4", "rock", "p4", "2026-04-09 09:59")  # before the consult
        # Same instant as c5 + 30 days (14:00 UTC), at another location in another zone.
        consult("c5", "p5", "2026-04-10 10:00")
        add_booking(conn, "b5", "la", "p5", "2026-05-10 07:00")
        # Not completed: neither counted nor converted, though the patient was treated.
        add_consultation(
            conn,
            "c6",
            "rock",
            "2026-04-01 09:00",
            consult_at="2026-04-10 10:00",
            status="scheduled",
            patient_ref="p6",
        )
        add_booking(conn, "b6", "rock", "p6", "2026-04-11 10:00")
        refresh_all(conn)
        row = one_week(conn)
    assert row["consults_completed"] == 5  # c1..c5
    assert row["consult_conversion_pct"] == 40.0  # c1 and c5


def test_cancelled_booking_occupies_nothing(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_booking(conn, "b1", "rock", "p1", "2026-04-06 09:00", status="scheduled", duration=60)
        add_booking(conn, "b2", "rock", "p2", "2026-04-07 09:00", status="completed", duration=90)
        add_booking(conn, "b3", "rock", "p3", "2026-04-08 09:00", status="no_show", duration=30)
        add_booking(conn, "b4", "rock", "p4", "2026-04-09 09:00", status="late_cancel", duration=45)
        add_booking(conn, "b5", "rock", "p5", "2026-04-10 09:00", status="cancelled", duration=120)
        refresh_all(conn)
        row = one_week(conn)
    assert row["infusions_scheduled"] == 4
    assert row["infusions_completed"] == 1
    assert row["no_shows"] == 1
    assert row["late_cancellations"] == 1
    assert row["cancellations"] == 1
    assert row["booked_room_hours"] == 3.75  # (60 + 90 + 30 + 45) / 60


def test_late_cancel_counts_in_no_show_denominator(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_booking(conn, "b1", "rock", "p1", "2026-04-06 09:00", status="completed")
        add_booking(conn, "b2", "rock", "p2", "2026-04-07 09:00", status="no_show")
        add_booking(conn, "b3", "rock", "p3", "2026-04-08 09:00", status="late_cancel")
        add_booking(conn, "b4", "rock", "p4", "2026-04-09 09:00", status="scheduled")
        add_booking(conn, "b5", "rock", "p5", "2026-04-10 09:00", status="cancelled")
        add_booking(conn, "b6", "rock", "p6", "2026-04-14 09:00", status="scheduled")
        refresh_all(conn)
        rows = report(conn, WEEK, NEXT)
    assert rows[("2026-04-06", "rock")]["no_show_rate_pct"] == 33.3  # 1 / (1 + 1 + 1)
    assert rows[("2026-04-13", "rock")]["no_show_rate_pct"] is None  # nothing to divide by


def test_new_patient_is_first_completed_booking_anywhere_by_starts_at_then_booking_id(engine):
    with engine.begin() as conn:
        add_location(conn, "aaa")
        add_location(conn, "bbb")
        add_location(conn, "la", timezone="America/Los_Angeles")
        # p1: two completed bookings at the same instant; "a1" sorts before "z1".
        add_booking(conn, "z1", "bbb", "p1", "2026-04-06 09:00")
        add_booking(conn, "a1", "aaa", "p1", "2026-04-06 09:00")
        # p2: a no-show first; the first *completed* booking is the new patient.
        add_booking(conn, "n2", "aaa", "p2", "2026-04-06 08:00", status="no_show")
        add_booking(conn, "c2", "aaa", "p2", "2026-04-08 09:00")
        # p3: first treated the week before.
        add_booking(conn, "c3a", "aaa", "p3", "2026-03-31 09:00")
        add_booking(conn, "c3b", "aaa", "p3", "2026-04-07 09:00")
        # p4: 10:00 in New York (14:00 UTC) is before 08:00 in Los Angeles (15:00 UTC).
        add_booking(conn, "p4la", "la", "p4", "2026-04-06 08:00")
        add_booking(conn, "p4ny", "bbb", "p4", "2026-04-06 10:00")
        refresh_all(conn)
        rows = report(conn, WEEK, WEEK)
    assert rows[("2026-04-06", "aaa")]["new_patients"] == 2  # a1, c2
    assert rows[("2026-04-06", "bbb")]["new_patients"] == 1  # p4ny
    assert rows[("2026-04-06", "la")]["new_patients"] == 0
    assert rows[("2026-04-06", "ALL")]["new_patients"] == 3


def test_sixth_completed_initial_booking_is_the_series_completion(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_location(conn, "bbb")
        add_booking(conn, "i1", "rock", "p1", "2026-04-06 09:00")
        add_booking(conn, "i2", "bbb", "p1", "2026-04-07 09:00")
        add_booking(conn, "bo", "rock", "p1", "2026-04-08 09:00", kind="booster")
        add_booking(conn, "i3", "rock", "p1", "2026-04-09 09:00")
        add_booking(conn, "ns", "rock", "p1", "2026-04-10 09:00", status="no_show")
        add_booking(conn, "i4", "rock", "p1", "2026-04-13 09:00")
        add_booking(conn, "i5", "rock", "p1", "2026-04-14 09:00")
        add_booking(conn, "i6", "rock", "p1", "2026-04-15 09:00")  # sixth completed initial
        add_booking(conn, "i7", "rock", "p1", "2026-04-16 09:00")
        add_booking(
            conn, "bc", "rock", "p1", "2026-04-17 09:00", kind="booster", status="cancelled"
        )
        refresh_all(conn)
        rows = report(conn, WEEK, NEXT)
    assert rows[("2026-04-06", "rock")]["series_completions"] == 0
    assert rows[("2026-04-13", "rock")]["series_completions"] == 1
    assert rows[("2026-04-06", "rock")]["booster_infusions"] == 1
    assert rows[("2026-04-13", "rock")]["booster_infusions"] == 0  # the cancelled one
    assert rows[("2026-04-06", "rock")]["new_patients"] == 1


def test_quiet_week_gives_zeros_and_empties_and_a_location_without_rows_still_appears(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_location(conn, "empty")
        add_capacity(conn, "rock", "mon", "08:00", "16:00", 2)
        add_booking(conn, "b1", "rock", "p1", "2026-04-06 09:00", duration=120)
        refresh_all(conn)
        rows = report(conn, WEEK, NEXT)
    assert list(rows) == [
        ("2026-04-06", "empty"),
        ("2026-04-06", "rock"),
        ("2026-04-06", "ALL"),
        ("2026-04-13", "empty"),
        ("2026-04-13", "rock"),
        ("2026-04-13", "ALL"),
    ]
    quiet = rows[("2026-04-13", "rock")]
    assert quiet == {
        "week_start": date(2026, 4, 13),
        "location_id": "rock",
        "consult_requests": 0,
        "median_response_minutes": None,
        "contacted_within_1h_pct": None,
        "consults_completed": 0,
        "consult_conversion_pct": None,
        "infusions_scheduled": 0,
        "infusions_completed": 0,
        "no_shows": 0,
        "late_cancellations": 0,
        "cancellations": 0,
        "no_show_rate_pct": None,
        "new_patients": 0,
        "booster_infusions": 0,
        "series_completions": 0,
        "available_room_hours": 16.0,
        "booked_room_hours": 0.0,
        "utilization_pct": 0.0,
    }
    empty = rows[("2026-04-06", "empty")]
    assert empty["available_room_hours"] == 0.0
    assert empty["utilization_pct"] is None
    assert rows[("2026-04-06", "rock")]["utilization_pct"] == 12.5  # 2 h of 16 h


def test_all_row_pools_counts_rather_than_averaging_percentages(engine):
    with engine.begin() as conn:
        add_location(conn, "aaa")
        add_location(conn, "bbb")
        add_booking(conn, "a1", "aaa", "p1", "2026-04-06 09:00", status="no_show")
        for n in range(3):
            add_booking(conn, f"b{n}", "bbb", f"q{n}", "2026-04-07 09:00")
        add_consultation(conn, "c1", "aaa", "2026-04-06 09:00", first_contact="2026-04-06 09:10")
        add_consultation(conn, "c2", "bbb", "2026-04-06 09:00", first_contact="2026-04-06 09:20")
        add_consultation(conn, "c3", "bbb", "2026-04-06 09:00", first_contact="2026-04-06 09:30")
        add_consultation(conn, "c4", "bbb", "2026-04-06 09:00", first_contact="2026-04-06 09:40")
        refresh_all(conn)
        rows = report(conn, WEEK, WEEK)
    assert rows[("2026-04-06", "aaa")]["no_show_rate_pct"] == 100.0
    assert rows[("2026-04-06", "bbb")]["no_show_rate_pct"] == 0.0
    assert rows[("2026-04-06", "ALL")]["no_show_rate_pct"] == 25.0  # 1 of 4, not (100 + 0) / 2
    assert rows[("2026-04-06", "ALL")]["infusions_scheduled"] == 4
    # Pooled 10, 20, 30, 40 -> 25; the mean of the medians (10 and 30) would be 20.
    assert rows[("2026-04-06", "ALL")]["median_response_minutes"] == 25.0


def test_sunday_weeks_start_on_sunday(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_booking(conn, "sat", "rock", "p1", "2026-04-11 09:00")
        add_booking(conn, "sun", "rock", "p2", "2026-04-12 09:00")
        add_booking(conn, "mon", "rock", "p3", "2026-04-13 09:00")
        refresh_all(conn)
        monday = report(conn, WEEK, date(2026, 4, 12))
        sunday = report(conn, WEEK, date(2026, 4, 12), week_start="sun")
    assert [k for k in monday if k[1] == "rock"] == [("2026-04-06", "rock")]
    assert monday[("2026-04-06", "rock")]["infusions_completed"] == 2
    assert [k for k in sunday if k[1] == "rock"] == [("2026-04-05", "rock"), ("2026-04-12", "rock")]
    assert sunday[("2026-04-05", "rock")]["infusions_completed"] == 1
    assert sunday[("2026-04-12", "rock")]["infusions_completed"] == 2


def test_available_hours_honour_closure_effective_range_opened_on_and_closed_on(engine):
    with engine.begin() as conn:
        add_location(conn, "rock", opened_on=date(2026, 4, 8), closed_on=date(2026, 4, 11))
        add_capacity(conn, "rock", "mon", "08:00", "16:00", 3)  # 04-06: before opened_on
        add_capacity(conn, "rock", "wed", "08:00", "12:00", 2, effective_to=date(2026, 4, 9))
        add_capacity(conn, "rock", "thu", "08:00", "12:00", 2, effective_to=date(2026, 4, 9))
        add_capacity(conn, "rock", "fri", "08:00", "16:00", 5, effective_to=date(2026, 4, 9))
        add_capacity(conn, "rock", "fri", "08:00", "10:00", 1, effective_from=date(2026, 4, 10))
        add_capacity(conn, "rock", "sat", "08:00", "10:00", 1, effective_from=date(2026, 4, 10))
        add_capacity(conn, "rock", "sun", "08:00", "09:00", 1)  # 04-12: after closed_on
        add_closure(conn, "rock", date(2026, 4, 10))
        add_booking(conn, "b1", "rock", "p1", "2026-04-09 09:00", duration=90)
        refresh_all(conn)
        row = one_week(conn)
    # wed 240 x 2 + thu 240 x 2 + fri closed + sat 120 = 1080 minutes.
    assert row["available_room_hours"] == 18.0
    assert row["booked_room_hours"] == 1.5
    assert row["utilization_pct"] == 8.3  # 90 / 1080


def test_utilization_uses_unrounded_hours(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_capacity(conn, "rock", "mon", "08:00", "08:07", 1)  # 7 min = 0.1166.. h -> 0.12
        add_booking(conn, "b1", "rock", "p1", "2026-04-06 09:00", duration=1)  # 0.0166.. -> 0.02
        refresh_all(conn)
        row = one_week(conn)
    assert (row["available_room_hours"], row["booked_room_hours"]) == (0.12, 0.02)
    assert row["utilization_pct"] == 14.3  # 1 / 7; the rounded hours would give 16.7


def test_unknown_location_ids_raise_naming_them(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        with pytest.raises(ValueError, match=r"^unknown location ids: nope, nowhere$"):
            report(conn, WEEK, WEEK, locations=["rock", "nope", "nowhere"])


def test_scope_decides_which_locations_are_read_and_pooled(engine):
    with engine.begin() as conn:
        add_location(conn, "aaa")
        add_location(conn, "bbb")
        add_booking(conn, "a1", "aaa", "p1", "2026-04-06 09:00")
        add_booking(conn, "b1", "bbb", "p2", "2026-04-06 09:00")
        add_booking(conn, "b2", "bbb", "p3", "2026-04-06 10:00")
        refresh_all(conn)
        manager = Scope(allowed=frozenset({"bbb"}))
        everything = report(conn, WEEK, WEEK, scope=manager)
        asked_both = report(conn, WEEK, WEEK, scope=manager, locations=["aaa", "bbb"])
        chosen = report(conn, WEEK, WEEK, locations=["aaa"])
    for rows in (everything, asked_both):
        assert list(rows) == [("2026-04-06", "bbb"), ("2026-04-06", "ALL")]
        assert rows[("2026-04-06", "ALL")]["infusions_completed"] == 2
    assert list(chosen) == [("2026-04-06", "aaa"), ("2026-04-06", "ALL")]
    assert chosen[("2026-04-06", "ALL")]["infusions_completed"] == 1
