"""Daylight-saving changes and time zones: elapsed time is true time, weeks follow local dates."""

from datetime import date

from tests.builders import add_booking, add_consultation, add_location, refresh_all, report


def test_response_across_spring_forward_is_true_elapsed_time(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        # 01:30 EST -> 03:30 EDT on 2026-03-08: one hour of real time, two on the wall clock.
        add_consultation(conn, "c1", "rock", "2026-03-08 01:30", first_contact="2026-03-08 03:30")
        refresh_all(conn)
        row = report(conn, date(2026, 3, 2), date(2026, 3, 8))[("2026-03-02", "rock")]
    assert row["median_response_minutes"] == 60.0
    assert row["contacted_within_1h_pct"] == 100.0


def test_response_across_fall_back_is_true_elapsed_time(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        # 2026-11-01: 01:00-02:00 happens twice; an ambiguous time is its first (EDT) occurrence.
        # 00:30 EDT -> 01:30 EDT: 60 minutes.
        add_consultation(conn, "c1", "rock", "2026-11-01 00:30", first_contact="2026-11-01 01:30")
        # 01:30 EDT -> 02:10 EST: 100 minutes, not the 40 on the wall clock.
        add_consultation(conn, "c2", "rock", "2026-11-01 01:30", first_contact="2026-11-01 02:10")
        refresh_all(conn)
        rows = report(conn, date(2026, 10, 26), date(2026, 11, 2))
    week = rows[("2026-10-26", "rock")]  # Sunday 2026-11-01 ends the Monday week of 10-26
    assert week["consult_requests"] == 2
    assert week["median_response_minutes"] == 80.0
    assert week["contacted_within_1h_pct"] == 50.0
    assert rows[("2026-11-02", "rock")]["consult_requests"] == 0


def test_late_evening_in_los_angeles_counts_on_its_local_date(engine):
    with engine.begin() as conn:
        add_location(conn, "la", timezone="America/Los_Angeles")
        # Sunday 21:00 PDT is Monday 04:00 UTC: the local date keeps it in the week of 04-06.
        add_booking(conn, "b1", "la", "p1", "2026-04-12 21:00", duration=90)
        add_consultation(conn, "c1", "la", "2026-04-12 22:30", first_contact="2026-04-12 23:00")
        # Monday 00:30 PDT (07:30 UTC) is in the next week.
        add_booking(conn, "b2", "la", "p2", "2026-04-13 00:30", status="no_show")
        refresh_all(conn)
        rows = report(conn, date(2026, 4, 6), date(2026, 4, 13))
    first, second = rows[("2026-04-06", "la")], rows[("2026-04-13", "la")]
    assert first["infusions_completed"] == 1
    assert first["new_patients"] == 1
    assert first["consult_requests"] == 1
    assert first["booked_room_hours"] == 1.5
    assert second["infusions_completed"] == 0
    assert second["no_shows"] == 1
    assert second["consult_requests"] == 0
