"""Demo data for a group of infusion clinics, written through the importer like any contract file.

    python -m data.generate --db URL [--locations N] [--years Y] [--seed S] [--today YYYY-MM-DD]

The same arguments always give the same data: every random stream is derived from the seed (and
the location), never from the clock or from dict ordering.
"""

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import demo_bookings, demo_consultations
from data.demo_bookings import Drift, schedule_patients
from data.demo_consultations import Requests, simulate_requests
from data.demo_sites import TIMEZONE, Site, Timeline, build_sites, rng_for
from data.load import ImportSummary, import_frames
from queries.db import default_url, open_database
from queries.vocabulary import WEEKDAYS

Progress = Callable[[float, str], None]

# Occupying bookings one consultation request brings in the long run (contact, consult,
# conversion, series and boosters); measured on generated data, used to size demand to rooms.
BOOKINGS_PER_REQUEST = 2.6
# The first site's patients start missing infusions in the last weeks (more than one in five
# bookings held), so the Overview's "Needs attention" has something to show.
DRIFTING_SITE = 0
DRIFT_WEEKS = 6
DRIFT_NO_SHOW = 0.22
# The demo group's own targets (location_id, metric, min, max, weeks): the simulated clinics
# answer night requests the next morning and fill about two rooms in three, below the industry
# defaults of docs/metrics.md, and their weekly figures swing more than a real group's.
DEMO_TARGETS = (
    ("*", "no_show_rate_pct", None, 12.0, 2),
    ("*", "contacted_within_1h_pct", 35.0, None, 3),
    ("*", "median_response_minutes", None, 120.0, 3),
    ("*", "utilization_pct", 45.0, 90.0, 3),
)
# A site that opened during the demo years is still filling its rooms: its own row wins over `*`.
NEW_SITE_TARGET = ("utilization_pct", 10.0, 90.0, 3)
USERS = (
    ("admin@example.org", "admin", 0),
    ("manager@example.org", "manager", 2),  # manages the first two locations
)


def generate_frames(
    *,
    locations: int = 6,
    years: float = 3,
    seed: int = 42,
    today: date,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Contract-format frames (locations, capacity, closures, users, targets, consultations,
    bookings).

    Timestamps are naive local wall-clock datetime64 values; dates and times of day are text.
    """
    if locations < 1 or years <= 0:
        raise ValueError("need at least one location and a positive number of years")
    timeline = Timeline.ending(today, years)
    sites = build_sites(timeline, locations, seed)
    requests: list[Requests] = []
    schedules: list[demo_bookings.Bookings] = []
    patient_ids: list[np.ndarray] = []
    next_patient = 0
    for number, site in enumerate(sites):
        if progress is not None:
            progress(0.8 * number / len(sites), f"simulating {site.name}")
        site_requests, schedule = _simulate_site(site, timeline, seed)
        # Patients are numbered across sites; the consult and its bookings share the number.
        has_patient = site_requests.status != demo_consultations.PENDING
        ids = np.full(len(site_requests), -1, np.int64)
        ids[has_patient] = next_patient + np.arange(int(has_patient.sum()))
        next_patient += int(has_patient.sum())
        schedule.patient = ids[schedule.patient]
        requests.append(site_requests)
        schedules.append(schedule)
        patient_ids.append(ids)
    if progress is not None:
        progress(0.8, "assembling tables")
    refs = _patient_refs(next_patient, seed)
    frames = {
        "locations": _locations_frame(sites),
        "capacity": _capacity_frame(sites, timeline),
        "closures": _closures_frame(sites, timeline),
        "users": _users_frame(sites),
        "targets": _targets_frame(sites),
        "consultations": _consultations_frame(sites, timeline, requests, patient_ids, refs),
        "bookings": _bookings_frame(sites, timeline, schedules, refs),
    }
    if progress is not None:
        progress(1.0, "tables ready")
    return frames


def _simulate_site(
    site: Site, timeline: Timeline, seed: int
) -> tuple[Requests, demo_bookings.Bookings]:
    """One site's requests and bookings; a booking's `patient` is the index of its request."""
    rng = rng_for(seed, 6, site.index)
    growth = float(rng.uniform(0.04, 0.12))
    fill = float(rng.uniform(0.72, 0.9))
    open_days = site.slot_count[site.opened_index : timeline.today_index]
    base = fill * float(open_days.mean()) / BOOKINGS_PER_REQUEST if len(open_days) else 0.0
    requests = simulate_requests(site, timeline, rng, base, growth)
    converted = np.flatnonzero(requests.converts)
    converted = converted[np.argsort(requests.consult[converted], kind="stable")]
    rnd = random.Random(int(rng_for(seed, 7, site.index).integers(2**62)))
    drift = None
    if site.index == DRIFTING_SITE:
        drift = Drift(timeline.today_index - 7 * DRIFT_WEEKS, DRIFT_NO_SHOW)
    schedule = schedule_patients(site, timeline, requests.consult[converted] // 60, rnd, drift)
    schedule.patient = converted[schedule.patient]
    return requests, schedule


def generate_database(
    engine: Engine,
    *,
    locations: int = 6,
    years: float = 3,
    seed: int = 42,
    today: date,
    progress: Progress | None = None,
) -> ImportSummary:
    """Generate the demo data and store it through the importer (same validation as files)."""

    def generating(fraction: float, text: str) -> None:
        if progress is not None:
            progress(0.25 * fraction, text)

    def importing(fraction: float, text: str) -> None:
        if progress is not None:
            progress(0.25 + 0.75 * fraction, text)

    frames = generate_frames(
        locations=locations, years=years, seed=seed, today=today, progress=generating
    )
    summary = import_frames(engine, frames, source="generator", progress=importing)
    if progress is not None:
        progress(1.0, "done")
    return summary


def _patient_refs(count: int, seed: int) -> np.ndarray:
    """Pseudonymous refs "P" + 12 hex digits: a keyed bijection of 0..count-1, so never repeated."""
    mask = (1 << 48) - 1
    key = int(rng_for(seed, 8).integers(1 << 48))
    x = np.arange(count, dtype=np.uint64)
    x = (x * np.uint64(0x9E3779B97F4B) + np.uint64(key)) & np.uint64(mask)
    x ^= x >> np.uint64(21)
    x = (x * np.uint64(0x5DEECE66D)) & np.uint64(mask)
    x ^= x >> np.uint64(19)
    return np.array([f"P{v:012x}" for v in x.tolist()], dtype=object)


def _transition_days(timeline: Timeline) -> np.ndarray:
    """Local dates on which the clocks change (their wall-clock times may not exist)."""
    zone = ZoneInfo(TIMEZONE)
    days = []
    for n in range(timeline.n_days + 1):
        day = timeline.day(n)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        if midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset():
            days.append(np.datetime64(day, "D"))
    return np.array(days, dtype="datetime64[D]")


def _wall_clock(timeline: Timeline, seconds: np.ndarray, changes: np.ndarray) -> pd.Series:
    """Local seconds after the first midnight as wall-clock datetimes (-1 = missing).

    Night-time events that fall in the spring-forward gap move to the first valid minute after
    it, because that wall-clock time does not exist (the importer would rightly refuse it).
    """
    first = np.datetime64(timeline.first_day, "s")
    values = np.where(seconds >= 0, first + seconds.astype("timedelta64[s]"), np.datetime64("NaT"))
    wall = pd.Series(values.astype("datetime64[s]"))
    on_change = np.isin(wall.to_numpy().astype("datetime64[D]"), changes)
    if on_change.any():
        moved = wall[on_change].dt.tz_localize(
            TIMEZONE, ambiguous=np.ones(int(on_change.sum()), bool), nonexistent="shift_forward"
        )
        wall[on_change] = moved.dt.tz_localize(None)
    return wall


def _text(values: Sequence[object] | np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="str")


def _locations_frame(sites: list[Site]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "location_id": _text([s.location_id for s in sites]),
            "name": _text([s.name for s in sites]),
            "city": _text([s.city for s in sites]),
            "state": _text([s.state for s in sites]),
            "timezone": _text([TIMEZONE] * len(sites)),
            "opened_on": _text([s.opened_on.isoformat() for s in sites]),
            "closed_on": _text([None] * len(sites)),
        }
    )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _capacity_frame(sites: list[Site], timeline: Timeline) -> pd.DataFrame:
    rows = []
    for site in sites:
        for template in site.templates:
            end = None if template.end is None else timeline.day(template.end).isoformat()
            for weekday, hours in enumerate(template.week):
                if hours is None:
                    continue
                rows.append(
                    (
                        site.location_id,
                        WEEKDAYS[weekday],
                        _hhmm(hours.open_min),
                        _hhmm(hours.close_min),
                        hours.rooms,
                        timeline.day(template.start).isoformat(),
                        end,
                    )
                )
    columns = ["location_id", "weekday", "open_time", "close_time", "rooms"]
    columns += ["effective_from", "effective_to"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column != "rooms":
            frame[column] = _text(frame[column].tolist())
    return frame


def _closures_frame(sites: list[Site], timeline: Timeline) -> pd.DataFrame:
    rows = [
        (site.location_id, timeline.day(day).isoformat(), reason)
        for site in sites
        for day, reason in site.closures
    ]
    frame = pd.DataFrame(rows, columns=["location_id", "date", "reason"])
    return frame.astype("str")


def _users_frame(sites: list[Site]) -> pd.DataFrame:
    rows = [
        (email, role, " ".join(s.location_id for s in sites[:count]) or None)
        for email, role, count in USERS
    ]
    return pd.DataFrame(rows, columns=["email", "role", "locations"]).astype("str")


def _targets_frame(sites: list[Site]) -> pd.DataFrame:
    rows = list(DEMO_TARGETS)
    rows += [(s.location_id, *NEW_SITE_TARGET) for s in sites if s.opened_index > 0]
    return pd.DataFrame(rows, columns=["location_id", "metric", "min", "max", "weeks"])


def _consultations_frame(
    sites: list[Site],
    timeline: Timeline,
    requests: list[Requests],
    patient_ids: list[np.ndarray],
    refs: np.ndarray,
) -> pd.DataFrame:
    changes = _transition_days(timeline)
    ids = np.concatenate(patient_ids) if patient_ids else np.zeros(0, np.int64)
    count = len(ids)
    location = np.repeat([s.location_id for s in sites], [len(r) for r in requests])
    refs_or_none = np.full(count, None, dtype=object)
    refs_or_none[ids >= 0] = refs[ids[ids >= 0]]
    return pd.DataFrame(
        {
            "request_id": _text([f"C{n:07d}" for n in range(1, count + 1)]),
            "location_id": _text(location),
            "received_at": _wall_clock(timeline, _joined(requests, "received"), changes),
            "channel": _text(demo_consultations.CHANNELS[_joined(requests, "channel")]),
            "indication": _text(demo_consultations.INDICATIONS[_joined(requests, "indication")]),
            "first_contact_at": _wall_clock(timeline, _joined(requests, "first_contact"), changes),
            "consult_at": _wall_clock(timeline, _joined(requests, "consult"), changes),
            "consult_status": _text(demo_consultations.STATUSES[_joined(requests, "status")]),
            "patient_ref": _text(refs_or_none),
        }
    )


def _joined(parts: list, name: str) -> np.ndarray:
    arrays = [getattr(part, name) for part in parts]
    return np.concatenate(arrays) if arrays else np.zeros(0, np.int64)


def _bookings_frame(
    sites: list[Site],
    timeline: Timeline,
    schedules: list[demo_bookings.Bookings],
    refs: np.ndarray,
) -> pd.DataFrame:
    changes = _transition_days(timeline)
    # Number bookings in time order within each location, as a scheduling system would.
    for schedule in schedules:
        order = np.lexsort((schedule.patient, schedule.start))
        for name in ("patient", "kind", "start", "duration", "status", "booked"):
            setattr(schedule, name, getattr(schedule, name)[order])
    patient = _joined(schedules, "patient")
    count = len(patient)
    location = np.repeat([s.location_id for s in sites], [len(b.patient) for b in schedules])
    return pd.DataFrame(
        {
            "booking_id": _text([f"B{n:08d}" for n in range(1, count + 1)]),
            "location_id": _text(location),
            "patient_ref": _text(refs[patient] if count else []),
            "kind": _text(demo_bookings.KINDS[_joined(schedules, "kind")]),
            "starts_at": _wall_clock(timeline, _joined(schedules, "start") * 60, changes),
            "duration_minutes": _joined(schedules, "duration").astype(np.int64),
            "status": _text(demo_bookings.STATUSES[_joined(schedules, "status")]),
            "booked_at": _wall_clock(timeline, _joined(schedules, "booked") * 60, changes),
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.generate", description="Generate demo clinic data into a database."
    )
    parser.add_argument(
        "--db", default=None, help="database URL (default: DATABASE_URL, else data/clinic.sqlite)"
    )
    parser.add_argument("--locations", type=int, default=6)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    if args.locations < 1 or args.years <= 0:
        parser.error("--locations must be at least 1 and --years positive")
    url = args.db or default_url()
    today = args.today or date.today()
    started = time.perf_counter()
    engine = open_database(url)
    summary = generate_database(
        engine, locations=args.locations, years=args.years, seed=args.seed, today=today
    )
    engine.dispose()
    print(summary)
    print(
        f"generated {args.locations} location(s), {args.years:g} year(s) to {today}, "
        f"seed {args.seed}, in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
