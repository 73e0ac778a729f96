"""Page-level queries on a small hand-made data set; expected values worked out by hand.

Locations a and b are in scope, c is not. The period 2026-03-04..2026-03-11 covers the Monday
weeks of 2026-03-02 and 2026-03-09 (2026-03-02..2026-03-15).
"""

from datetime import date, datetime

import pytest

from queries.capacity import occupied_rooms_by_weekday_hour
from queries.catalog import latest_activity_date, visible_locations
from queries.consultations import (
    funnel_by_location,
    indication_mix,
    requests_by_week_and_channel,
    response_time_distribution,
)
from queries.daily_stats import rebuild_all_stats
from queries.infusions import bookings_by_week_and_status, no_shows_by_location_and_weekday
from queries.schema import bookings, consultations, locations
from queries.scope import Scope

SCOPE = Scope(allowed=frozenset({"a", "b"}))
PERIOD = {"start": date(2026, 3, 4), "end": date(2026, 3, 11)}


def _request(request_id, location, received, channel, indication, response, status, consult, ref):
    day = date.fromisoformat(received)
    consult_at = None if consult is None else datetime.fromisoformat("2026-" + consult)
    return {
        "request_id": request_id,
        "location_id": location,
        "received_at": datetime(day.year, day.month, day.day, 14, 0),
        "received_date": day,
        "channel": channel,
        "indication": indication,
        "first_contact_at": None if response is None else datetime(*day.timetuple()[:3], 15),
        "response_minutes": response,
        "consult_at": consult_at,
        "consult_date": None if consult_at is None else consult_at.date(),
        "consult_status": status,
        "patient_ref": ref,
        "converted": False,
    }


def _booking(booking_id, location, ref, day, minute, duration, status, seq=None, initial=None):
    local = date.fromisoformat(day)
    return {
        "booking_id": booking_id,
        "location_id": location,
        "patient_ref": ref,
        "kind": "initial",
        "starts_at": datetime(local.year, local.month, local.day, minute // 60 + 4, minute % 60),
        "start_date": local,
        "start_minute": minute,
        "duration_minutes": duration,
        "status": status,
        "completed_seq": seq,
        "initial_seq": initial,
    }


REQUESTS = [
    _request("r1", "a", "2026-03-02", "web", "depression", 10, "completed", "03-04 14:00", "p1"),
    _request("r2", "a", "2026-03-03", "phone", "anxiety", 60, "completed", "03-05 14:00", "p2"),
    _request("r3", "a", "2026-03-08", "web", "ptsd", 61, "scheduled", None, "p3"),
    _request("r4", "b", "2026-03-09", "referral", "depression", None, "pending", None, None),
    _request("r5", "b", "2026-03-10", "web", "depression", 1500, "completed", "03-12 13:00", "p4"),
    _request("r6", "c", "2026-03-03", "web", "other", 5, "pending", None, None),
    _request("r7", "a", "2026-02-28", "web", "other", 5, "pending", None, None),
]
BOOKINGS = [
    _booking("bk1", "a", "p1", "2026-03-06", 540, 100, "completed", 1, 1),
    _booking("bk2", "a", "p2", "2026-03-01", 540, 100, "completed", 1, 1),
    _booking("bk3", "a", "p5", "2026-03-09", 660, 90, "no_show"),
    _booking("bk4", "a", "p6", "2026-03-09", 690, 60, "late_cancel"),
    _booking("bk5", "a", "p7", "2026-03-09", 480, 60, "cancelled"),
    _booking("bk6", "b", "p4", "2026-03-12", 600, 120, "completed", 6, 6),
    _booking("bk7", "b", "p8", "2026-03-16", 540, 60, "completed", 1, 1),
    _booking("bk8", "c", "p9", "2026-03-09", 600, 60, "no_show"),
    _booking("bk9", "b", "p10", "2026-03-12", 630, 60, "scheduled"),
]


@pytest.fixture
def conn(engine):
    with engine.begin() as connection:
        connection.execute(
            locations.insert(),
            [
                {"location_id": lid, "name": name, "city": name, "state": "MD", "timezone": "UTC"}
                for lid, name in [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]
            ],
        )
        connection.execute(consultations.insert(), REQUESTS)
        connection.execute(bookings.insert(), BOOKINGS)
        # The days' counts, as an import keeps them (the rows' sequence numbers as written).
        rebuild_all_stats(connection)
    with engine.connect() as connection:
        yield connection


def _records(frame):
    return [tuple(row) for row in frame.itertuples(index=False)]


def test_requests_are_counted_per_monday_week_and_channel_within_scope(conn):
    table = requests_by_week_and_channel(conn, scope=SCOPE, locations=None, **PERIOD)
    assert _records(table) == [
        (date(2026, 3, 2), "phone", 1),
        (date(2026, 3, 2), "web", 2),
        (date(2026, 3, 9), "referral", 1),
        (date(2026, 3, 9), "web", 1),
    ]


def test_sunday_weeks_move_the_sunday_request_into_the_next_week(conn):
    table = requests_by_week_and_channel(
        conn, scope=SCOPE, locations=None, week_start="sun", **PERIOD
    )
    assert _records(table) == [
        (date(2026, 3, 1), "phone", 1),
        (date(2026, 3, 1), "web", 1),
        (date(2026, 3, 8), "referral", 1),
        (date(2026, 3, 8), "web", 2),
    ]


def test_requested_location_outside_scope_gives_nothing(conn):
    table = requests_by_week_and_channel(conn, scope=SCOPE, locations=["c"], **PERIOD)
    assert table.empty


def test_indication_mix_counts_per_location(conn):
    table = indication_mix(conn, scope=SCOPE, locations=None, **PERIOD)
    assert _records(table) == [
        ("a", "anxiety", 1),
        ("a", "depression", 1),
        ("a", "ptsd", 1),
        ("b", "depression", 2),
    ]


def test_response_buckets_put_exactly_sixty_minutes_within_the_hour(conn):
    table = response_time_distribution(conn, scope=SCOPE, locations=None, **PERIOD)
    assert _records(table) == [
        ("≤ 15 min", 1),
        ("15–60 min", 1),
        ("1–4 h", 1),
        ("4–24 h", 0),
        ("> 24 h", 1),
        ("Not contacted", 1),
    ]


def test_funnel_ignores_infusions_before_the_consult(conn):
    table = funnel_by_location(conn, scope=SCOPE, locations=None, **PERIOD)
    assert _records(table) == [
        ("a", "Requests", 3),
        ("a", "Contacted", 3),
        ("a", "Consult completed", 2),
        ("a", "First infusion", 1),
        ("a", "Series completed", 0),
        ("b", "Requests", 2),
        ("b", "Contacted", 1),
        ("b", "Consult completed", 1),
        ("b", "First infusion", 1),
        ("b", "Series completed", 1),
    ]


def test_funnel_for_one_location(conn):
    table = funnel_by_location(conn, scope=SCOPE, locations=["b"], **PERIOD)
    assert set(table["location_id"]) == {"b"}


def test_bookings_by_week_list_every_status_with_zeros(conn):
    table = bookings_by_week_and_status(conn, scope=SCOPE, locations=None, **PERIOD)
    as_dict = {(w, s): n for w, s, n in _records(table)}
    assert len(table) == 10
    assert as_dict[(date(2026, 3, 2), "completed")] == 1
    assert sum(n for (w, _), n in as_dict.items() if w == date(2026, 3, 2)) == 1
    assert {s: n for (w, s), n in as_dict.items() if w == date(2026, 3, 9)} == {
        "completed": 1,
        "no_show": 1,
        "late_cancel": 1,
        "cancelled": 1,
        "scheduled": 1,
    }


def test_late_cancel_counts_in_no_show_denominator_per_weekday(conn):
    table = no_shows_by_location_and_weekday(conn, scope=SCOPE, locations=None, **PERIOD)
    assert _records(table) == [
        ("a", "Mon", 1, 2, 50.0),
        ("a", "Fri", 0, 1, 0.0),
        ("b", "Thu", 0, 1, 0.0),
        ("ALL", "Mon", 1, 2, 50.0),
        ("ALL", "Thu", 0, 1, 0.0),
        ("ALL", "Fri", 0, 1, 0.0),
    ]


def test_no_show_table_is_empty_without_bookings(conn):
    table = no_shows_by_location_and_weekday(
        conn, scope=SCOPE, locations=None, start=date(2025, 1, 1), end=date(2025, 1, 2)
    )
    assert table.empty


def test_occupied_rooms_average_overlap_minutes_per_hour_over_the_weeks(conn):
    table = occupied_rooms_by_weekday_hour(conn, scope=SCOPE, locations=None, **PERIOD)
    assert len(table) == 7 * 24
    nonzero = {(d, h): v for d, h, v in _records(table) if v}
    assert nonzero == {
        ("Mon", 11): 0.75,
        ("Mon", 12): 0.5,
        ("Thu", 10): 0.75,
        ("Thu", 11): 0.75,
        ("Fri", 9): 0.5,
        ("Fri", 10): 0.33,
    }


def test_visible_locations_hide_what_the_scope_does_not_allow(conn):
    table = visible_locations(conn, scope=SCOPE)
    assert list(table["location_id"]) == ["a", "b"]


def test_latest_activity_date_follows_scope(conn):
    assert latest_activity_date(conn, scope=SCOPE) == date(2026, 3, 16)
    assert latest_activity_date(conn, scope=Scope(allowed=frozenset({"a"}))) == date(2026, 3, 8)


def test_indication_mix_with_network_adds_the_selection_pooled(conn):
    table = indication_mix(conn, scope=SCOPE, locations=None, with_network=True, **PERIOD)
    assert sorted(r for r in _records(table) if r[0] == "ALL") == [
        ("ALL", "anxiety", 1),
        ("ALL", "depression", 3),
        ("ALL", "ptsd", 1),
    ]


def test_funnel_with_network_pools_the_selected_locations_only(conn):
    both = funnel_by_location(conn, scope=SCOPE, locations=None, with_network=True, **PERIOD)
    assert [r for r in _records(both) if r[0] == "ALL"] == [
        ("ALL", "Requests", 5),
        ("ALL", "Contacted", 4),
        ("ALL", "Consult completed", 3),
        ("ALL", "First infusion", 2),
        ("ALL", "Series completed", 1),
    ]
    one = funnel_by_location(conn, scope=SCOPE, locations=["b"], with_network=True, **PERIOD)
    assert [r[2] for r in _records(one) if r[0] == "ALL"] == [2, 1, 1, 1, 1]
