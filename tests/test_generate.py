"""The demo-data generator: determinism, and the invariants of its output checked independently.

The checks below recompute everything from the contract frames alone (capacity rows, closures,
timestamps), never from the generator's internal slot arrays.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from data.demo_sites import site_names
from data.generate import generate_database, generate_frames
from queries.db import make_engine
from queries.schema import bookings, capacity, closures, consultations, locations, users

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 3, 18)
OCCUPYING = ["scheduled", "completed", "no_show", "late_cancel"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    # 18 months back from March 2026: two Januaries, a July, and four clock changes.
    return generate_frames(locations=4, years=1.5, seed=7, today=TODAY)


def daily_capacity(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """(location_id, date) -> open/close minute and rooms, from the capacity and closure rows."""
    cap = frames["capacity"].copy()
    cap["weekday"] = cap["weekday"].map(WEEKDAYS.index)
    cap["start"] = pd.to_datetime(cap["effective_from"])
    cap["end"] = pd.to_datetime(cap["effective_to"]).fillna(pd.Timestamp("2100-01-01"))
    cap["open"] = cap["open_time"].map(lambda t: int(t[:2]) * 60 + int(t[3:]))
    cap["close"] = cap["close_time"].map(lambda t: int(t[:2]) * 60 + int(t[3:]))
    days = pd.DataFrame({"date": pd.date_range("2024-01-01", TODAY + timedelta(days=60))})
    days["weekday"] = days["date"].dt.day_of_week
    daily = days.merge(cap, on="weekday")
    daily = daily[(daily["date"] >= daily["start"]) & (daily["date"] <= daily["end"])]
    assert not daily.duplicated(["location_id", "date"]).any(), "overlapping capacity rows"
    opened = frames["locations"].set_index("location_id")["opened_on"].map(pd.Timestamp)
    daily = daily[daily["date"] >= daily["location_id"].map(opened)]
    shut = frames["closures"].assign(date=lambda c: pd.to_datetime(c["date"]))
    daily = daily.merge(shut[["location_id", "date"]], how="left", indicator=True)
    daily = daily[daily["_merge"] == "left_only"]
    return daily[["location_id", "date", "open", "close", "rooms"]]


def with_day(bookings_frame: pd.DataFrame) -> pd.DataFrame:
    b = bookings_frame.copy()
    b["date"] = b["starts_at"].dt.normalize()
    b["minute"] = b["starts_at"].dt.hour * 60 + b["starts_at"].dt.minute
    b["end"] = b["starts_at"] + pd.to_timedelta(b["duration_minutes"], unit="min")
    return b


def digest(frames: dict[str, pd.DataFrame]) -> str:
    text = "".join(name + frame.to_csv(index=False) for name, frame in sorted(frames.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_seed_gives_identical_frames_and_another_seed_does_not():
    first = generate_frames(locations=3, years=0.5, seed=11, today=TODAY)
    again = generate_frames(locations=3, years=0.5, seed=11, today=TODAY)
    other = generate_frames(locations=3, years=0.5, seed=12, today=TODAY)
    assert first.keys() == again.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["bookings"].equals(other["bookings"])
    assert not first["consultations"].equals(other["consultations"])


def test_frames_do_not_depend_on_the_process_hash_seed():
    script = (
        "from datetime import date; from tests.test_generate import digest; "
        "from data.generate import generate_frames; "
        "print(digest(generate_frames(locations=3, years=0.5, seed=11, today=date(2026, 3, 18))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    here = digest(generate_frames(locations=3, years=0.5, seed=11, today=TODAY))
    assert done.stdout.strip() == here


def test_frames_use_the_contract_columns(frames):
    assert list(frames["bookings"].columns) == [
        "booking_id",
        "location_id",
        "patient_ref",
        "kind",
        "starts_at",
        "duration_minutes",
        "status",
        "booked_at",
    ]
    assert list(frames["consultations"].columns) == [
        "request_id",
        "location_id",
        "received_at",
        "channel",
        "indication",
        "first_contact_at",
        "consult_at",
        "consult_status",
        "patient_ref",
    ]
    assert set(frames["users"]["role"]) == {"admin", "manager"}


def test_ids_are_unique(frames):
    assert frames["locations"]["location_id"].is_unique
    assert frames["consultations"]["request_id"].is_unique
    assert frames["bookings"]["booking_id"].is_unique
    assert not frames["closures"].duplicated(["location_id", "date"]).any()


def test_patient_refs_are_pseudonymous_hex_codes(frames):
    refs = pd.concat([frames["bookings"]["patient_ref"], frames["consultations"]["patient_ref"]])
    assert refs.dropna().str.fullmatch(r"P[0-9a-f]{12}").all()
    # One consultation request per patient in the demo: refs never collide across requests.
    assert frames["consultations"]["patient_ref"].dropna().is_unique


def test_no_room_is_overbooked_at_any_minute(frames):
    b = with_day(frames["bookings"])
    b = b[b["status"].isin(OCCUPYING)]
    starts = b[["location_id", "starts_at", "date"]].assign(delta=1)
    ends = b[["location_id", "end", "date"]].rename(columns={"end": "starts_at"}).assign(delta=-1)
    events = pd.concat([starts, ends]).sort_values(["location_id", "starts_at", "delta"])
    events["in_use"] = events.groupby("location_id")["delta"].cumsum()
    at_starts = events[events["delta"] == 1].merge(
        daily_capacity(frames), on=["location_id", "date"]
    )
    assert len(at_starts) == len(b)
    assert (at_starts["in_use"] <= at_starts["rooms"]).all()
    # Not vacuous: some moments use every room.
    assert (at_starts["in_use"] == at_starts["rooms"]).any()


def test_bookings_stay_inside_opening_hours_and_off_closures(frames):
    b = with_day(frames["bookings"])
    placed = b.merge(daily_capacity(frames), on=["location_id", "date"], how="left")
    assert placed["rooms"].notna().all(), "a booking on a closed day or before opened_on"
    assert (placed["rooms"] > 0).all()
    assert (placed["minute"] >= placed["open"]).all()
    assert (placed["minute"] + placed["duration_minutes"] <= placed["close"]).all()
    assert placed["duration_minutes"].between(90, 120).all()


def test_no_show_share_of_past_occupying_bookings_is_realistic(frames):
    b = frames["bookings"]
    past = b[(b["starts_at"] < pd.Timestamp(TODAY)) & b["status"].isin(OCCUPYING)]
    share = (past["status"] == "no_show").mean()
    assert 0.05 <= share <= 0.09
    statuses = b["status"].value_counts(normalize=True)
    assert 0.02 <= statuses["late_cancel"] <= 0.04
    assert 0.05 <= statuses["cancelled"] <= 0.08


def test_a_series_has_at_most_six_completed_initials(frames):
    b = frames["bookings"]
    completed_initials = b[(b["kind"] == "initial") & (b["status"] == "completed")]
    per_patient = completed_initials.groupby("patient_ref").size()
    assert per_patient.max() == 6
    assert (per_patient < 6).any(), "some patients drop out before six"


def test_boosters_come_only_after_a_completed_series(frames):
    b = frames["bookings"].sort_values(["starts_at", "booking_id"])
    done = b[(b["kind"] == "initial") & (b["status"] == "completed")].copy()
    done["number"] = done.groupby("patient_ref").cumcount() + 1
    sixth = done[done["number"] == 6].set_index("patient_ref")["starts_at"]
    first_booster = b[b["kind"] == "booster"].groupby("patient_ref")["starts_at"].min()
    assert len(first_booster) > 0
    assert first_booster.index.isin(sixth.index).all()
    gaps = (first_booster - sixth.reindex(first_booster.index)).dt.days
    assert (gaps > 0).all()
    assert 21 <= gaps.median() <= 42, "boosters come every three to six weeks"


def test_future_bookings_are_scheduled_and_past_ones_are_not(frames):
    b = frames["bookings"]
    future = b["starts_at"] >= pd.Timestamp(TODAY)
    assert future.any()
    assert (b.loc[future, "status"] == "scheduled").all()
    assert (b.loc[~future, "status"] != "scheduled").all()
    assert b["starts_at"].max() < pd.Timestamp(TODAY + timedelta(days=28))
    assert (b["booked_at"] <= b["starts_at"]).all()
    assert (b["booked_at"] <= pd.Timestamp(TODAY)).all(), "nothing is booked in the future"


def test_every_patient_with_bookings_came_through_a_completed_consult(frames):
    c = frames["consultations"]
    b = frames["bookings"]
    consulted = c[c["consult_status"] == "completed"].set_index("patient_ref")
    first = b.groupby("patient_ref").agg(start=("starts_at", "min"), loc=("location_id", "first"))
    assert first.index.isin(consulted.index).all()
    assert (first["loc"] == consulted.loc[first.index, "location_id"]).all()
    assert (first["start"] > consulted.loc[first.index, "consult_at"]).all()


def test_consultation_times_are_in_order_and_statuses_fit_the_date(frames):
    c = frames["consultations"]
    now = pd.Timestamp(TODAY)
    assert (c["received_at"] < now).all()
    contacted = c["first_contact_at"].notna()
    assert (c.loc[contacted, "first_contact_at"] >= c.loc[contacted, "received_at"]).all()
    assert (c.loc[contacted, "first_contact_at"] < now).all()
    held = c["consult_at"].notna()
    assert (c.loc[held, "consult_at"] > c.loc[held, "first_contact_at"]).all()
    assert (c.loc[~held, "consult_status"] == "pending").all()
    assert (c.loc[held & (c["consult_at"] >= now), "consult_status"] == "scheduled").all()
    past = c.loc[held & (c["consult_at"] < now), "consult_status"]
    assert set(past) == {"completed", "no_show", "cancelled"}
    assert (~contacted).mean() < 0.1, "only some requests are never contacted"


def test_no_timestamp_falls_in_the_spring_forward_gap(frames):
    for name, column in [
        ("consultations", "received_at"),
        ("consultations", "first_contact_at"),
        ("consultations", "consult_at"),
        ("bookings", "starts_at"),
        ("bookings", "booked_at"),
    ]:
        values = frames[name][column].dropna()
        placed = values.dt.tz_localize(
            "America/New_York", ambiguous=np.ones(len(values), bool), nonexistent="NaT"
        )
        assert placed.notna().all(), (name, column)


def test_first_contact_is_quick_in_opening_hours_and_next_morning_at_night(frames):
    c = frames["consultations"].dropna(subset=["first_contact_at"])
    minutes = (c["first_contact_at"] - c["received_at"]).dt.total_seconds() / 60
    hour = c["received_at"].dt.hour
    day_median = minutes[(hour >= 10) & (hour < 15)].median()
    night = c[(hour >= 0) & (hour < 4)]
    assert day_median < 60
    assert (night["first_contact_at"].dt.hour >= 7).all()
    assert (night["first_contact_at"].dt.normalize() >= night["received_at"].dt.normalize()).all()


def test_request_mix_by_channel_and_indication(frames):
    c = frames["consultations"]
    channels = c["channel"].value_counts(normalize=True)
    assert 0.45 <= channels["web"] <= 0.55
    assert 0.25 <= channels["phone"] <= 0.35
    assert 0.11 <= channels["referral"] <= 0.19
    assert c["indication"].value_counts().index[0] == "depression"
    daytime = c["received_at"].dt.hour.between(8, 19).mean()
    assert daytime > 0.7


def test_about_35_to_50_percent_of_completed_consults_convert(frames):
    c = frames["consultations"]
    b = frames["bookings"]
    old = c[(c["consult_status"] == "completed") & (c["consult_at"] < pd.Timestamp("2026-01-15"))]
    done = b[b["status"] == "completed"].merge(old[["patient_ref", "consult_at"]], on="patient_ref")
    within = done[done["starts_at"] <= done["consult_at"] + pd.Timedelta(days=30)]
    share = old["patient_ref"].isin(within["patient_ref"]).mean()
    assert 0.35 <= share <= 0.5


def test_weekday_pattern_and_january_peak(frames):
    b = frames["bookings"]
    b = b[b["status"].isin(OCCUPYING)]
    per_weekday = b["starts_at"].dt.day_of_week.value_counts()
    assert per_weekday[[0, 1, 2, 3]].min() > per_weekday[4] > per_weekday.get(5, 0)
    c = frames["consultations"]
    month = c["received_at"].dt.month
    per_day_jan = (month == 1).sum() / 62  # two Januaries in the period
    per_day_jul = (month == 7).sum() / 31
    assert per_day_jan > 1.2 * per_day_jul


def test_utilization_of_established_locations_is_believable(frames):
    daily = daily_capacity(frames)
    start = frames["bookings"]["starts_at"].min().normalize() + pd.Timedelta(days=28)
    past = daily[(daily["date"] >= start) & (daily["date"] < pd.Timestamp(TODAY))]
    available = (past["rooms"] * (past["close"] - past["open"])).groupby(past["location_id"]).sum()
    b = frames["bookings"]
    b = b[b["status"].isin(OCCUPYING) & (b["starts_at"] >= start)]
    b = b[b["starts_at"] < pd.Timestamp(TODAY)]
    booked = b.groupby("location_id")["duration_minutes"].sum()
    opened = frames["locations"].set_index("location_id")["opened_on"].map(pd.Timestamp)
    established = opened[opened < start].index
    utilization = 100 * booked[established] / available[established]
    assert utilization.between(55, 90).all(), utilization.to_dict()


def test_one_location_opens_late_and_ramps_up(frames):
    opened = frames["locations"].set_index("location_id")["opened_on"].map(pd.Timestamp)
    first_day = frames["bookings"]["starts_at"].min().normalize()
    late = opened[opened > first_day]
    assert len(late) == 1
    location, day = late.index[0], late.iloc[0]
    b = frames["bookings"]
    mine = b[(b["location_id"] == location) & (b["starts_at"] < pd.Timestamp(TODAY))]
    assert mine["starts_at"].min() >= day
    early = (mine["starts_at"] < day + pd.Timedelta(days=56)).sum()
    late_weeks = (mine["starts_at"] >= pd.Timestamp(TODAY) - pd.Timedelta(days=56)).sum()
    assert late_weeks > 1.5 * early


def test_capacity_changes_rooms_once_with_a_closed_range(frames):
    cap = frames["capacity"]
    assert cap["rooms"].between(1, 6).all()
    ended = cap[cap["effective_to"].notna()]
    assert len(ended) > 0
    for row in ended.itertuples():
        after = cap[
            (cap["location_id"] == row.location_id)
            & (cap["weekday"] == row.weekday)
            & (
                cap["effective_from"]
                == (date.fromisoformat(row.effective_to) + timedelta(1)).isoformat()
            )
        ]
        assert len(after) == 1
    weekday_rooms = cap[cap["weekday"] == "mon"].groupby("location_id")["rooms"].nunique()
    assert (weekday_rooms > 1).any(), "rooms change at some location"
    assert (cap["open_time"] < cap["close_time"]).all()


def test_holidays_close_every_location_that_would_be_open(frames):
    shut = frames["closures"]
    thanksgiving = shut[shut["date"] == "2025-11-27"]
    christmas = shut[shut["date"] == "2025-12-25"]
    assert set(thanksgiving["location_id"]) == set(frames["locations"]["location_id"])
    assert set(christmas["location_id"]) == set(frames["locations"]["location_id"])
    assert set(thanksgiving["reason"]) == {"Thanksgiving"}
    assert (shut["date"] == "2025-07-04").any()


def test_two_hundred_locations_get_unique_valid_slugs():
    names = site_names(200)
    slugs = [slug for slug, *_ in names]
    assert len(set(slugs)) == 200
    assert all(re.fullmatch(r"[a-z0-9-]{1,40}", slug) for slug in slugs)
    assert [n[0] for n in names[:6]] == [
        "dupont-circle",
        "capitol-hill",
        "bethesda",
        "rockville",
        "arlington",
        "alexandria",
    ]
    assert len({(name, state) for _, name, _, state in names}) == 200


def test_generate_database_stores_every_table_through_the_importer(engine):
    seen: list[float] = []
    generate_database(
        engine,
        locations=2,
        years=0.25,
        seed=3,
        today=TODAY,
        progress=lambda fraction, _text: seen.append(fraction),
    )
    expected = generate_frames(locations=2, years=0.25, seed=3, today=TODAY)
    with engine.connect() as conn:
        for table, name in [
            (locations, "locations"),
            (capacity, "capacity"),
            (closures, "closures"),
            (users, "users"),
            (consultations, "consultations"),
            (bookings, "bookings"),
        ]:
            stored = conn.scalar(select(func.count()).select_from(table))
            assert stored == len(expected[name]), name
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert 0 <= seen[0] < 0.5


def test_cli_writes_the_database_and_says_what_it_wrote(tmp_path, _sqlite_template):
    path = tmp_path / "cli.sqlite"
    shutil.copy(_sqlite_template, path)  # already migrated: the CLI's upgrade has nothing to do
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "data.generate",
            "--db",
            f"sqlite:///{path}",
            "--locations",
            "1",
            "--years",
            "0.2",
            "--today",
            "2026-03-18",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "bookings" in done.stdout
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(locations)) == 1
        assert conn.scalar(select(func.count()).select_from(bookings)) > 0
    engine.dispose()
