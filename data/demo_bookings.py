"""Demo infusion bookings of one site: each converted patient's series, rebookings and boosters.

Patients are served first come, first served in consult order; every occupying booking takes the
next free room slot of its day (see `demo_sites`), so rooms and opening hours hold by construction.
This is the one per-booking loop of the generator, kept lean: plain lists and `random.Random`.
"""

import math
import random
from dataclasses import dataclass

import numpy as np

from data.demo_sites import Site, Timeline
from queries.vocabulary import BOOKING_STATUSES, SERIES_LENGTH

KINDS = np.array(["initial", "booster"])
INITIAL, BOOSTER = 0, 1
STATUSES = np.array(BOOKING_STATUSES)
SCHEDULED, COMPLETED, NO_SHOW, LATE_CANCEL, CANCELLED = range(5)
P_CANCELLED = 0.065
P_LATE_CANCEL = 0.03
P_NO_SHOW = 0.07
P_DROP_AFTER_INFUSION = 0.035  # stops the series after a completed infusion
P_GIVE_UP_AFTER_MISS = 0.2  # does not rebook after a no-show or late cancellation
P_BOOSTERS = 0.65  # of patients who finished their series
MEAN_EXTRA_BOOSTERS = 10.0
# Chance of taking a free slot on a given weekday (Mon..Sun): busier early in the week.
WEEKDAY_TAKE = (1.0, 1.0, 1.0, 0.95, 0.35, 0.25, 0.25)
INITIAL_DURATIONS = (100, 105, 110, 110, 115, 120)
BOOSTER_DURATIONS = (90, 95, 95, 100, 105, 110)
DAY = 1440


@dataclass
class Bookings:
    """One site's bookings; times are local minutes after the timeline's first midnight."""

    patient: np.ndarray  # index into the patients passed in
    kind: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    status: np.ndarray
    booked: np.ndarray


@dataclass(frozen=True)
class Drift:
    """From day index `first_day` on, patients miss a booking with chance `p_no_show`."""

    first_day: int
    p_no_show: float


def schedule_patients(
    site: Site,
    timeline: Timeline,
    consults: np.ndarray,
    rnd: random.Random,
    drift: Drift | None = None,
) -> Bookings:
    """Bookings of the patients whose completed consults (local minutes, sorted) are `consults`;
    with a `drift`, no-shows grow from its first day."""
    horizon = timeline.horizon_index
    now = timeline.today_index * DAY
    free = site.slot_count.tolist()
    capacity = site.slot_count.tolist()
    slot_order = site.slot_order
    first_weekday = timeline.first_day.weekday()
    take = [WEEKDAY_TAKE[(d + first_weekday) % 7] for d in range(len(free))]
    r = rnd.random

    def pick(first: int, last: int) -> int:
        """A day in first..last with a free slot, weighted by weekday; else the next one after."""
        last = min(last, horizon - 1)
        total = 0.0
        for day in range(first, last + 1):
            if free[day] > 0:
                total += take[day]
        if total > 0:
            u = r() * total
            chosen = first
            for day in range(first, last + 1):
                if free[day] > 0:
                    chosen = day
                    u -= take[day]
                    if u < 0:
                        break
            return chosen
        day = max(first, last + 1)
        while day < horizon and (free[day] <= 0 or r() > take[day]):
            day += 1
        return day

    out_patient: list[int] = []
    out_kind: list[int] = []
    out_start: list[int] = []
    out_duration: list[int] = []
    out_status: list[int] = []
    out_booked: list[int] = []

    for patient, consult in enumerate(consults.tolist()):
        kind = INITIAL
        completed_initials = 0
        boosters_left = 0
        booster_gap = 21 + int(r() * 22)
        durations = INITIAL_DURATIONS
        day = pick(consult // DAY + 2, consult // DAY + 9)
        booked = consult + 30 + int(r() * 30)
        while True:
            if day >= horizon:
                break
            start = day * DAY + slot_order[day][capacity[day] - free[day]]
            if booked > start - 60:
                booked = start - 60
            duration = durations[int(r() * len(durations))]
            if start >= now:
                if booked <= now:
                    free[day] -= 1
                    out_patient.append(patient)
                    out_kind.append(kind)
                    out_start.append(start)
                    out_duration.append(duration)
                    out_status.append(SCHEDULED)
                    out_booked.append(booked)
                break
            p_no_show = P_NO_SHOW if drift is None or day < drift.first_day else drift.p_no_show
            u = r()
            if u < P_CANCELLED:
                status = CANCELLED
            elif u < P_CANCELLED + P_LATE_CANCEL:
                status = LATE_CANCEL
            elif u < P_CANCELLED + P_LATE_CANCEL + p_no_show:
                status = NO_SHOW
            else:
                status = COMPLETED
            if status != CANCELLED:
                # A cancelled booking was freed in time, so its slot stays free.
                free[day] -= 1
            out_patient.append(patient)
            out_kind.append(kind)
            out_start.append(start)
            out_duration.append(duration)
            out_status.append(status)
            out_booked.append(booked)

            if status == CANCELLED:
                # The patient rebooked when cancelling, some time before the freed slot.
                booked += int((start - booked) * (0.3 + 0.6 * r()))
                day = pick(day + 1, day + 3)
                continue
            if status != COMPLETED:
                if r() < P_GIVE_UP_AFTER_MISS:
                    break
                booked = start + 120 + int(r() * 480)
                day = pick(day + 1, day + 4)
                continue
            booked = start + duration + int(r() * 20)
            if kind == INITIAL:
                completed_initials += 1
                if completed_initials < SERIES_LENGTH:
                    if r() < P_DROP_AFTER_INFUSION:
                        break
                    day = pick(day + 2, day + 4)
                    continue
                if r() >= P_BOOSTERS:
                    break
                kind = BOOSTER
                durations = BOOSTER_DURATIONS
                boosters_left = 1 + int(-math.log(1.0 - r()) * MEAN_EXTRA_BOOSTERS)
            else:
                boosters_left -= 1
                if boosters_left == 0:
                    break
            day = pick(day + booster_gap - 3, day + booster_gap + 3)

    return Bookings(
        np.asarray(out_patient, np.int64),
        np.asarray(out_kind, np.int8),
        np.asarray(out_start, np.int64),
        np.asarray(out_duration, np.int16),
        np.asarray(out_status, np.int8),
        np.asarray(out_booked, np.int64),
    )
