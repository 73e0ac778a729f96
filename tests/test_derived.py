"""refresh_after_import keeps derived columns and daily aggregates equal to a plain recomputation.

The reference below is written independently in Python from the raw rows; every check compares
the whole of the derived data, so a stale day or a wrong sequence anywhere fails.
"""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from data import store
from data.generate import generate_frames
from data.load import import_frames
from queries import derived
from queries.derived import refresh_after_import
from queries.schema import bookings, consultations, daily_location_stats
from tests.builders import add_booking, add_consultation, add_location, refresh_all
from tests.week_reexport import week_reexport

COUNTS = (
    "consult_requests",
    "contacted_within_1h",
    "consults_completed",
    "consults_converted",
    "infusions_scheduled",
    "infusions_completed",
    "no_shows",
    "late_cancellations",
    "cancellations",
    "new_patients",
    "booster_infusions",
    "series_completions",
    "booked_minutes",
)
HELD_A_ROOM = {"scheduled", "completed", "no_show", "late_cancel"}


def reference(conn) -> tuple[dict, dict, dict]:
    """Booking -> (completed_seq, initial_seq), request -> converted, (loc, day) -> counts."""
    booking_rows = conn.execute(select(bookings)).mappings().all()
    consult_rows = conn.execute(select(consultations)).mappings().all()

    completed = defaultdict(list)
    for b in booking_rows:
        if b["status"] == "completed":
            completed[b["patient_ref"]].append(b)
    sequences = {b["booking_id"]: (None, None) for b in booking_rows}
    for rows in completed.values():
        rows.sort(key=lambda b: (b["starts_at"], b["booking_id"]))
        initials = [b["booking_id"] for b in rows if b["kind"] == "initial"]
        for position, b in enumerate(rows, start=1):
            initial = initials.index(b["booking_id"]) + 1 if b["kind"] == "initial" else None
            sequences[b["booking_id"]] = (position, initial)

    converted = {}
    for c in consult_rows:
        window = c["consult_at"] and (c["consult_at"], c["consult_at"] + timedelta(days=30))
        converted[c["request_id"]] = bool(
            c["consult_status"] == "completed"
            and window
            and any(
                window[0] <= b["starts_at"] <= window[1]
                for b in completed.get(c["patient_ref"], [])
            )
        )

    days: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0) | {"response_seconds": []})
    for c in consult_rows:
        day = days[(c["location_id"], c["received_date"])]
        day["consult_requests"] += 1
        if c["first_contact_at"] is not None:
            elapsed = c["first_contact_at"] - c["received_at"]
            day["response_seconds"].append(int(elapsed.total_seconds()))
        if c["response_minutes"] is not None and c["response_minutes"] <= 60:
            day["contacted_within_1h"] += 1
        if c["consult_status"] == "completed" and c["consult_date"] is not None:
            day = days[(c["location_id"], c["consult_date"])]
            day["consults_completed"] += 1
            day["consults_converted"] += converted[c["request_id"]]
    for b in booking_rows:
        day = days[(b["location_id"], b["start_date"])]
        status = b["status"]
        if status in HELD_A_ROOM:
            day["infusions_scheduled"] += 1
            day["booked_minutes"] += b["duration_minutes"]
        key = {
            "completed": "infusions_completed",
            "no_show": "no_shows",
            "late_cancel": "late_cancellations",
            "cancelled": "cancellations",
        }.get(status)
        if key:
            day[key] += 1
        seq, initial_seq = sequences[b["booking_id"]]
        day["new_patients"] += seq == 1
        day["series_completions"] += initial_seq == 6
        day["booster_infusions"] += status == "completed" and b["kind"] == "booster"
    for day in days.values():
        day["response_seconds"] = sorted(day["response_seconds"])
    return sequences, converted, dict(days)


def stored(conn) -> tuple[dict, dict, dict]:
    sequences = {
        r.booking_id: (r.completed_seq, r.initial_seq)
        for r in conn.execute(
            select(bookings.c.booking_id, bookings.c.completed_seq, bookings.c.initial_seq)
        )
    }
    converted = {
        r.request_id: bool(r.converted)
        for r in conn.execute(select(consultations.c.request_id, consultations.c.converted))
    }
    days = {
        (r["location_id"], r["day"]): {name: r[name] for name in COUNTS}
        | {"response_seconds": _seconds(r["response_seconds"])}
        for r in conn.execute(select(daily_location_stats)).mappings()
    }
    return sequences, converted, days


def _seconds(text: str | None) -> list[int]:
    """A day's stored response times (comma-separated, in any order), sorted."""
    return sorted(int(value) for value in text.split(",")) if text is not None else []


def assert_matches_reference(conn) -> None:
    expected, actual = reference(conn), stored(conn)
    assert actual[0] == expected[0], "completed_seq / initial_seq"
    assert actual[1] == expected[1], "converted"
    assert actual[2] == expected[2], "daily_location_stats"


def replace_booking(conn, booking_id: str, location_id: str, patient: str, starts: str, **kw):
    """What a re-import's upsert does to a stored booking: new values, derived columns left stale.

    Returns the old (patient_ref, location_id).
    """
    where = bookings.c.booking_id == booking_id
    old = conn.execute(select(bookings).where(where)).one()
    conn.execute(delete(bookings).where(where))
    add_booking(conn, booking_id, location_id, patient, starts, **kw)
    conn.execute(
        update(bookings)
        .where(where)
        .values(completed_seq=old.completed_seq, initial_seq=old.initial_seq)
    )
    return old.patient_ref, old.location_id


def replace_consultation(conn, request_id: str, location_id: str, received: str, **kw):
    """Like `replace_booking`, for a consultation (`converted` left stale)."""
    where = consultations.c.request_id == request_id
    old = conn.execute(select(consultations).where(where)).one()
    conn.execute(delete(consultations).where(where))
    add_consultation(conn, request_id, location_id, received, **kw)
    conn.execute(update(consultations).where(where).values(converted=old.converted))
    return old.patient_ref, old.location_id


def test_refresh_after_insert_and_after_updates_matches_reference(engine):
    with engine.begin() as conn:
        for location_id in ("aaa", "bbb"):
            add_location(conn, location_id)
        add_location(conn, "la", timezone="America/Los_Angeles")
        add_consultation(
            conn,
            "c1",
            "aaa",
            "2026-04-01 09:00",
            first_contact="2026-04-01 09:30",
            consult_at="2026-04-03 10:00",
            status="completed",
            patient_ref="p1",
        )
        for n in range(7):
            add_booking(conn, f"b{n}", "aaa", "p1", f"2026-04-{6 + n:02} 09:00")
        add_booking(conn, "x1", "bbb", "p2", "2026-04-07 09:00", status="no_show", kind="booster")
        refresh_all(conn)
        assert_matches_reference(conn)
        assert conn.scalar(select(bookings.c.initial_seq).where(bookings.c.booking_id == "b5")) == 6

        # New rows: p1 treated earlier in Los Angeles, which moves p1's first booking and sixth
        # initial away from "aaa" although nothing was imported there.
        add_booking(conn, "la1", "la", "p1", "2026-04-04 09:00")
        refresh_after_import(conn, patient_refs=["p1"], location_ids=["la"])
        assert_matches_reference(conn)
        assert conn.scalar(select(bookings.c.initial_seq).where(bookings.c.booking_id == "b4")) == 6

        # An update moving a booking to another location, date and status.
        old = replace_booking(conn, "b2", "bbb", "p1", "2026-05-20 09:00", status="no_show")
        refresh_after_import(conn, patient_refs={"p1", old[0]}, location_ids={"bbb", old[1]})
        assert_matches_reference(conn)

        # An update handing a booking to another patient and cancelling it.
        old = replace_booking(conn, "la1", "la", "p2", "2026-04-04 09:00", status="cancelled")
        refresh_after_import(conn, patient_refs={"p2", old[0]}, location_ids={"la", old[1]})
        assert_matches_reference(conn)

        # A consult losing its patient link is no longer a conversion.
        replace_consultation(
            conn, "c1", "aaa", "2026-04-01 09:00", consult_at="2026-04-03 10:00", status="completed"
        )
        assert conn.scalar(select(consultations.c.converted)) == 1
        refresh_after_import(conn, patient_refs=["p1"], location_ids=["aaa"])
        assert_matches_reference(conn)
        assert conn.scalar(select(consultations.c.converted)) == 0


@pytest.mark.parametrize(
    ("booking_at", "status", "converts"),
    [
        ("2026-03-10 23:29:59", "completed", False),  # a second before the consult
        ("2026-03-10 23:30:00", "completed", True),  # at the consult
        ("2026-03-11 00:10:00", "completed", True),  # the next day
        ("2026-04-09 23:30:00", "completed", True),  # exactly 30 days after
        ("2026-04-09 23:30:01", "completed", False),  # a second too late
        ("2026-03-20 10:00:00", "cancelled", False),  # in the window, not completed
    ],
)
def test_conversion_counts_a_completed_booking_0_to_30_days_after_the_consult(
    engine, booking_at, status, converts
):
    with engine.begin() as conn:
        add_location(conn, "aaa")
        add_consultation(
            conn,
            "c1",
            "aaa",
            "2026-03-09 09:00",
            consult_at="2026-03-10 23:30",
            status="completed",
            patient_ref="p1",
        )
        add_booking(conn, "b1", "aaa", "p1", booking_at, status=status)
        add_booking(conn, "other", "aaa", "p2", "2026-03-11 09:00")  # another patient's
        refresh_all(conn)
        assert bool(conn.scalar(select(consultations.c.converted))) is converts
        assert_matches_reference(conn)


@pytest.mark.parametrize("chunk", [5000, 1])
def test_partial_refreshes_after_random_replacements_match_reference(engine, monkeypatch, chunk):
    # With a chunk of 1, refreshes touching two patients take the rebuild-everything path.
    monkeypatch.setattr(derived, "CHUNK", chunk)
    rng = random.Random(42)
    zones = {"aaa": "America/New_York", "bbb": "America/New_York", "la": "America/Los_Angeles"}
    statuses = ["completed"] * 4 + ["scheduled", "no_show", "late_cancel", "cancelled"]
    patients = [f"p{n}" for n in range(6)]

    def when() -> str:
        return f"2026-04-{rng.randint(1, 30):02} {rng.choice(['00:30', '09:00', '23:30'])}"

    def booking_values() -> tuple:
        kw = {"status": rng.choice(statuses), "kind": rng.choice(["initial"] * 3 + ["booster"])}
        return rng.choice(list(zones)), rng.choice(patients), when(), kw

    def consult(request_id: str, write=add_consultation) -> tuple[str, str | None]:
        location_id, patient = rng.choice(list(zones)), rng.choice([*patients, None])
        write(
            conn,
            request_id,
            location_id,
            when(),
            consult_at=when(),
            status=rng.choice(["completed", "completed", "scheduled"]),
            patient_ref=patient,
        )
        return location_id, patient

    with engine.begin() as conn:
        for location_id, zone in zones.items():
            add_location(conn, location_id, timezone=zone)
        for n in range(40):
            location_id, patient, starts, kw = booking_values()
            add_booking(conn, f"b{n}", location_id, patient, starts, **kw)
        for n in range(12):
            consult(f"c{n}")
        refresh_all(conn)
        assert_matches_reference(conn)

        for _ in range(25):
            if rng.random() < 0.7:
                location_id, patient, starts, kw = booking_values()
                booking_id = f"b{rng.randint(0, 45)}"  # some ids are new: an insert
                exists = conn.scalar(
                    select(bookings.c.booking_id).where(bookings.c.booking_id == booking_id)
                )
                if exists:
                    old = replace_booking(conn, booking_id, location_id, patient, starts, **kw)
                else:
                    add_booking(conn, booking_id, location_id, patient, starts, **kw)
                    old = (patient, location_id)
                touched_patients = {patient, old[0]}
                touched_locations = {location_id, old[1]}
            else:
                request_id = f"c{rng.randint(0, 11)}"
                old = conn.execute(
                    select(consultations.c.patient_ref, consultations.c.location_id).where(
                        consultations.c.request_id == request_id
                    )
                ).one()
                location_id, patient = consult(request_id, write=replace_consultation)
                touched_patients = {p for p in (patient, old.patient_ref) if p is not None}
                touched_locations = {location_id, old.location_id}
            refresh_after_import(
                conn, patient_refs=touched_patients, location_ids=touched_locations
            )
            assert_matches_reference(conn)


def test_a_weeks_reexport_refreshes_what_it_changed_as_a_full_recompute_would(engine, monkeypatch):
    today = date(2025, 3, 31)
    frames = generate_frames(locations=3, years=0.4, seed=11, today=today)
    import_frames(engine, frames)
    with engine.connect() as conn:
        before = stored(conn)
    week = week_reexport(frames, last_day=today)

    def everything(*_args, **_kwargs):
        raise AssertionError("a week's re-export refreshed everything")

    monkeypatch.setattr(store, "refresh_after_import", everything)
    import_frames(engine, week)
    monkeypatch.undo()

    with engine.begin() as conn:
        incremental = stored(conn)
        assert_matches_reference(conn)
        conn.execute(update(bookings).values(completed_seq=None, initial_seq=None))
        conn.execute(update(consultations).values(converted=False))
        conn.execute(delete(daily_location_stats))
        refresh_all(conn)
        assert stored(conn) == incremental
    # The re-export reached beyond its own rows and week: other bookings of its patients were
    # numbered again, and days weeks back counted again.
    written = set(week["bookings"]["booking_id"])
    renumbered = {key for key, value in incremental[0].items() if before[0].get(key) != value}
    assert renumbered - written
    week_days = {today - timedelta(days=n) for n in range(-1, 7)}
    recounted = {key for key, value in incremental[2].items() if before[2].get(key) != value}
    assert {day for _location, day in recounted} - week_days
    assert any(before[1][key] != value for key, value in incremental[1].items() if key in before[1])
