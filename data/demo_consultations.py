"""Demo consultation requests of one site, drawn with numpy in one pass (no per-request loop).

Times are local seconds after midnight of the timeline's first day. Demand follows a weekday
pattern, a January peak and summer dip, slow growth, and a ramp for newly opened sites.
"""

from dataclasses import dataclass

import numpy as np

from data.demo_sites import Site, Timeline
from queries.vocabulary import CONSULT_STATUSES

CHANNELS = np.array(["web", "phone", "referral", "walk_in", "other"])
CHANNEL_P = [0.5, 0.3, 0.15, 0.03, 0.02]
INDICATIONS = np.array(
    ["depression", "anxiety", "ptsd", "ocd", "bipolar", "pain", "other", "unknown"]
)
INDICATION_P = [0.44, 0.17, 0.12, 0.05, 0.04, 0.07, 0.04, 0.07]
# Share of completed consults that go on to an infusion series, by indication.
CONVERSION_P = np.array([0.47, 0.4, 0.45, 0.38, 0.3, 0.42, 0.3, 0.33])
STATUSES = np.array(CONSULT_STATUSES)
PENDING, SCHEDULED, COMPLETED, NO_SHOW, CANCELLED = range(5)
# Median minutes to a first reply during opening hours, by channel.
REPLY_MEDIAN = np.array([25.0, 4.0, 90.0, 2.0, 40.0])
REQUEST_WEEKDAY = np.array([1.25, 1.15, 1.1, 1.05, 0.95, 0.6, 0.5]) / (6.6 / 7)
NEVER_CONTACTED_P = 0.04
CONSULT_BOOKED_P = 0.83
DAY = 86_400


@dataclass
class Requests:
    """One site's requests, sorted by receipt; -1 marks a missing time."""

    received: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    indication: np.ndarray  # index into INDICATIONS
    first_contact: np.ndarray
    consult: np.ndarray
    status: np.ndarray  # index into STATUSES
    converts: np.ndarray  # completed consult that starts an infusion series

    def __len__(self) -> int:
        return len(self.received)


def season(day_of_year: np.ndarray) -> np.ndarray:
    """Demand factor over the year: post-holiday January peak, summer dip, Christmas lull."""
    return (
        1
        + 0.3 * np.exp(-(((day_of_year - 18) / 22) ** 2))
        - 0.18 * np.exp(-(((day_of_year - 205) / 35) ** 2))
        - 0.3 * np.exp(-(((day_of_year - 358) / 5) ** 2))
    )


def daily_rates(site: Site, timeline: Timeline, base: float, growth: float) -> np.ndarray:
    """Expected requests per day index up to today (zero before the site opened)."""
    days = np.arange(timeline.today_index)
    first = np.datetime64(timeline.first_day, "D")
    dates = first + days
    weekday = (days + timeline.first_day.weekday()) % 7
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int) + 1
    years = (days - timeline.today_index / 2) / 365.25
    rate = base * REQUEST_WEEKDAY[weekday] * season(day_of_year) * (1 + growth) ** years
    since = days - site.opened_index
    if site.opened_index > 0:
        rate *= np.clip(0.15 + 0.85 * since / 180, 0, 1)
    else:
        # A launch campaign: without it the first months, which lack returning booster
        # patients, would look half empty.
        rate *= 1 + 0.8 * np.exp(-days / 120)
    rate[since < 0] = 0
    return rate


def next_open_day(site: Site) -> np.ndarray:
    """For each day index, the first day index at or after it when the site is open (n if none)."""
    n = len(site.rooms)
    open_days = np.flatnonzero(site.rooms > 0)
    position = np.searchsorted(open_days, np.arange(n))
    return np.append(open_days, n)[position]


def simulate_requests(
    site: Site, timeline: Timeline, rng: np.random.Generator, base: float, growth: float
) -> Requests:
    """Requests received before today at `site`, with reply, consult and outcome."""
    counts = rng.poisson(daily_rates(site, timeline, base, growth))
    day = np.repeat(np.arange(len(counts)), counts)
    n = len(day)
    daytime = rng.random(n) < 0.85
    second_of_day = np.where(
        daytime,
        np.mod(rng.normal(13.5 * 3600, 3.2 * 3600, n), DAY),
        rng.uniform(0, DAY, n),
    ).astype(np.int64)
    order = np.lexsort((second_of_day, day))
    day, second_of_day = day[order], second_of_day[order]
    received = day * DAY + second_of_day

    opens = site.open_min[day].astype(np.int64) * 60
    closes = site.close_min[day].astype(np.int64) * 60
    in_hours = (site.rooms[day] > 0) & (second_of_day >= opens) & (second_of_day < closes)
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    # Nobody walks in while the door is shut: those came through the web form.
    channel[(channel == 3) & ~in_hours] = 0
    indication = rng.choice(len(INDICATIONS), n, p=INDICATION_P)

    responsiveness = rng.uniform(0.6, 1.6)
    delay = (
        np.minimum(REPLY_MEDIAN[channel] * responsiveness * rng.lognormal(0, 0.9, n), 8 * 60) * 60
    )
    next_open = next_open_day(site)
    n_days = len(site.rooms)
    before_open = (site.rooms[day] > 0) & (second_of_day < opens)
    reply_day = np.where(before_open, day, next_open[np.minimum(day + 1, n_days - 1)])
    reply_day_clipped = np.minimum(reply_day, n_days - 1)
    next_morning = (
        reply_day_clipped * DAY
        + site.open_min[reply_day_clipped].astype(np.int64) * 60
        + (rng.exponential(40 * 60, n) * responsiveness).astype(np.int64)
    )
    contact = np.where(in_hours, received + delay.astype(np.int64), next_morning)
    now = timeline.today_index * DAY
    contacted = (rng.random(n) >= NEVER_CONTACTED_P) & (contact < now) & (reply_day < n_days)
    contact = np.where(contacted, contact, -1)

    lag = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7], n)
    consult_day = next_open[np.minimum(contact // DAY + lag, n_days - 1)]
    booked = contacted & (rng.random(n) < CONSULT_BOOKED_P) & (consult_day < n_days)
    consult_day = np.minimum(consult_day, n_days - 1)
    span = site.close_min[consult_day] - site.open_min[consult_day]
    half_hours = np.maximum(span - 60, 0) // 30 + 1
    consult_minute = site.open_min[consult_day] + 30 * (rng.random(n) * half_hours).astype(int)
    consult = np.where(booked, consult_day * DAY + consult_minute.astype(np.int64) * 60, -1)

    outcome = rng.choice([COMPLETED, NO_SHOW, CANCELLED], n, p=[0.78, 0.1, 0.12])
    status = np.where(booked, np.where(consult >= now, SCHEDULED, outcome), PENDING)
    converts = (status == COMPLETED) & (rng.random(n) < CONVERSION_P[indication])
    return Requests(received, channel, indication, contact, consult, status, converts)
