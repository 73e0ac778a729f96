"""Demo locations: the site catalog, weekly opening templates, closures and per-day room slots.

Days are counted from the timeline's first day (a Monday); times of day are local minutes after
midnight. Infusion rooms are cut into fixed 120-minute slots so that any booking of 90-120 minutes
placed at a slot start fits its room: filling slots can never overbook a location.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

TIMEZONE = "America/New_York"
SLOT_MINUTES = 120
FUTURE_DAYS = 28
# Consults are booked a few days ahead, so per-day arrays reach beyond the booking horizon.
TAIL_DAYS = 30

FIRST_SIX = [
    ("dupont-circle", "Dupont Circle", "Washington", "DC"),
    ("capitol-hill", "Capitol Hill", "Washington", "DC"),
    ("bethesda", "Bethesda", "Bethesda", "MD"),
    ("rockville", "Rockville", "Rockville", "MD"),
    ("arlington", "Arlington", "Arlington", "VA"),
    ("alexandria", "Alexandria", "Alexandria", "VA"),
]
MORE_CITIES = [
    ("Silver Spring", "MD"),
    ("Fairfax", "VA"),
    ("Columbia", "MD"),
    ("Reston", "VA"),
    ("Baltimore", "MD"),
    ("Gaithersburg", "MD"),
    ("Falls Church", "VA"),
    ("Annapolis", "MD"),
    ("McLean", "VA"),
    ("Frederick", "MD"),
    ("Leesburg", "VA"),
    ("Bowie", "MD"),
    ("Manassas", "VA"),
    ("Laurel", "MD"),
    ("Woodbridge", "VA"),
    ("Towson", "MD"),
    ("Herndon", "VA"),
    ("Germantown", "MD"),
    ("Fredericksburg", "VA"),
    ("Ellicott City", "MD"),
    ("Richmond", "VA"),
    ("Waldorf", "MD"),
    ("Charlottesville", "VA"),
    ("Hagerstown", "MD"),
    ("Norfolk", "VA"),
    ("Virginia Beach", "VA"),
    ("Wilmington", "DE"),
    ("Newark", "DE"),
    ("Dover", "DE"),
    ("Philadelphia", "PA"),
    ("Lancaster", "PA"),
    ("Harrisburg", "PA"),
    ("Pittsburgh", "PA"),
    ("Raleigh", "NC"),
    ("Durham", "NC"),
    ("Charlotte", "NC"),
    ("Greensboro", "NC"),
    ("Wilmington", "NC"),
    ("Richmond Hill", "GA"),
    ("Atlanta", "GA"),
]
BRANCHES = ["North", "South", "East", "West", "Downtown", "Midtown", "Uptown", "Park"]


@dataclass(frozen=True)
class Timeline:
    """The simulated period: `first_day` (a Monday) up to `today`, plus future and tail days."""

    first_day: date
    today: date

    @classmethod
    def ending(cls, today: date, years: float) -> "Timeline":
        back = today - timedelta(days=round(years * 365.25))
        return cls(first_day=back - timedelta(days=back.weekday()), today=today)

    @property
    def today_index(self) -> int:
        return (self.today - self.first_day).days

    @property
    def horizon_index(self) -> int:
        """First day index no booking reaches: four weeks after today."""
        return self.today_index + FUTURE_DAYS

    @property
    def n_days(self) -> int:
        return self.horizon_index + TAIL_DAYS

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)


@dataclass(frozen=True)
class Hours:
    """One weekday's opening: local minutes after midnight and rooms staffed."""

    open_min: int
    close_min: int
    rooms: int


@dataclass(frozen=True)
class Template:
    """A version of a weekly opening template; `week[weekday]` is None when closed that day."""

    start: int  # first day index it applies
    end: int | None  # last day index (inclusive), None = open-ended
    week: tuple[Hours | None, ...]


@dataclass
class Site:
    """A simulated location and everything per day that the other simulation modules read."""

    index: int
    location_id: str
    name: str
    city: str
    state: str
    opened_on: date
    opened_index: int  # first day index with capacity
    templates: list[Template]
    closures: list[tuple[int, str]] = field(default_factory=list)
    # Per day index (numpy arrays of length timeline.n_days): opening minutes, 0 rooms when closed.
    open_min: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    close_min: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    rooms: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    slot_count: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    # Per day index: slot start minutes in the order the clinic fills them (shared lists).
    slot_order: list[list[int]] = field(default_factory=list)


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """An independent, reproducible stream for one purpose (and location) of one seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def site_names(count: int) -> list[tuple[str, str, str, str]]:
    """(location_id, name, city, state) for `count` locations: the six D.C.-area ones first."""
    names = FIRST_SIX[:count]
    for extra in range(max(0, count - len(FIRST_SIX))):
        city, state = MORE_CITIES[extra % len(MORE_CITIES)]
        round_ = extra // len(MORE_CITIES)
        if round_ == 0:
            name = city
        else:
            branch = BRANCHES[(round_ - 1) % len(BRANCHES)]
            repeat = (round_ - 1) // len(BRANCHES)
            name = f"{city} {branch}" + (f" {repeat + 1}" if repeat else "")
        names.append((slugify(f"{name}-{state}"), name, city, state))
    return names


def _week(rng: np.random.Generator, rooms: int) -> tuple[Hours | None, ...]:
    """A plausible weekly template: long weekdays, maybe a short Friday, Saturday, rarely Sunday."""
    open_min = int(rng.choice([450, 480, 480, 510, 540]))
    span = int(rng.choice([540, 600, 630, 660]))
    weekday = Hours(open_min, open_min + span, rooms)
    friday = Hours(open_min, open_min + span - 120, rooms) if rng.random() < 0.4 else weekday
    saturday = None
    if rng.random() < 0.75:
        saturday = Hours(540, 540 + int(rng.choice([240, 300])), max(1, rooms - 2))
    sunday = Hours(600, 840, 1) if rng.random() < 0.1 else None
    return (weekday, weekday, weekday, weekday, friday, saturday, sunday)


def _with_rooms(week: tuple[Hours | None, ...], rooms: int) -> tuple[Hours | None, ...]:
    """The same week with `rooms` on weekdays (weekends keep their smaller staffing)."""
    return tuple(
        Hours(h.open_min, h.close_min, rooms) if h is not None and n < 5 else h
        for n, h in enumerate(week)
    )


def build_sites(timeline: Timeline, count: int, seed: int) -> list[Site]:
    """Locations with templates, opening dates and closures, and their per-day slot arrays."""
    names = site_names(count)
    late_openers = _late_openers(count, seed)
    sites = []
    for index, (location_id, name, city, state) in enumerate(names):
        rng = rng_for(seed, 1, index)
        rooms = int(rng.choice([2, 3, 4, 4, 5, 5, 6]))
        if index in late_openers:
            fraction = float(rng.uniform(0.45, 0.7))
            opened_index = int(fraction * timeline.today_index)
            opened_index -= opened_index % 7  # new clinics open on a Monday
            opened_on = timeline.day(opened_index)
            rooms = min(rooms, 4)
        else:
            opened_index = 0
            opened_on = timeline.first_day - timedelta(days=int(rng.integers(365, 6 * 365)))
        week = _week(rng, rooms)
        templates = [Template(opened_index, None, week)]
        # Established sites sometimes add (or give up) a room; site 0 always does, so every
        # demo data set has at least one versioned template.
        if opened_index == 0 and (index == 0 or rng.random() < 0.35):
            change = int(rng.uniform(0.3, 0.7) * timeline.today_index)
            change = max(change - change % 7, 7)
            new_rooms = rooms + 1 if rooms < 6 else rooms - 1
            templates = [
                Template(opened_index, change - 1, week),
                Template(change, None, _with_rooms(week, new_rooms)),
            ]
        sites.append(
            Site(index, location_id, name, city, state, opened_on, opened_index, templates)
        )
    storms = _storm_days(timeline, seed)
    for site in sites:
        site.closures = _closures(site, timeline, storms, rng_for(seed, 2, site.index))
        _fill_days(site, timeline, rng_for(seed, 3, site.index))
    return sites


def _late_openers(count: int, seed: int) -> set[int]:
    """One of the first six (the last one present) opens late; beyond six, about one in seven."""
    late = {min(count, len(FIRST_SIX)) - 1} if count >= 2 else set()
    rng = rng_for(seed, 4)
    extra = rng.random(max(0, count - len(FIRST_SIX)))
    late.update(len(FIRST_SIX) + int(n) for n in np.flatnonzero(extra < 0.15))
    return late


def template_on(site: Site, day: int) -> Template | None:
    for template in site.templates:
        if template.start <= day and (template.end is None or day <= template.end):
            return template
    return None


def hours_on(site: Site, timeline: Timeline, day: int) -> Hours | None:
    """Opening of `site` on day index `day` by its template alone (closures not applied)."""
    template = template_on(site, day)
    return None if template is None else template.week[timeline.day(day).weekday()]


def us_holidays(year: int) -> list[tuple[date, str]]:
    """The federal holidays the clinics close for, on their actual dates."""

    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    last_may = date(year, 5, 31)
    return [
        (date(year, 1, 1), "New Year's Day"),
        (last_may - timedelta(days=last_may.weekday()), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (nth_weekday(9, 0, 1), "Labor Day"),
        (nth_weekday(11, 3, 4), "Thanksgiving"),
        (date(year, 12, 25), "Christmas Day"),
    ]


def _storm_days(timeline: Timeline, seed: int) -> list[int]:
    """Past winter-storm days shared by the region (each site decides whether it closed)."""
    rng = rng_for(seed, 5)
    days = []
    for year in range(timeline.first_day.year, timeline.today.year + 1):
        winter_start = (date(year, 12, 1) - timeline.first_day).days
        for _ in range(int(rng.integers(0, 4))):
            day = winter_start + int(rng.integers(0, 90))
            if 0 <= day < timeline.today_index:
                days.append(day)
    return sorted(set(days))


def _closures(
    site: Site, timeline: Timeline, storms: list[int], rng: np.random.Generator
) -> list[tuple[int, str]]:
    """Holidays and weather days on which the site would otherwise have been open."""
    wanted: dict[int, str] = {}
    for year in range(timeline.first_day.year, timeline.day(timeline.n_days).year + 1):
        for day, reason in us_holidays(year):
            wanted[(day - timeline.first_day).days] = reason
    for day in storms:
        if rng.random() < 0.6:
            wanted.setdefault(day, "winter weather")
    for _ in range(int(rng.poisson(timeline.today_index / 900))):
        wanted.setdefault(int(rng.integers(0, max(1, timeline.today_index))), "power outage")
    return sorted(
        (day, reason)
        for day, reason in wanted.items()
        if site.opened_index <= day < timeline.horizon_index
        and hours_on(site, timeline, day) is not None
    )


def _slot_orders(hours: Hours, rng: np.random.Generator, variants: int = 3) -> list[list[int]]:
    """Slot start minutes in filling order: mornings first, shuffled a little, a few variants."""
    span = hours.close_min - hours.open_min
    per_room = span // SLOT_MINUTES
    spare = span - per_room * SLOT_MINUTES
    starts, keys = [], []
    for room in range(hours.rooms):
        # Staggered starts (when the day has spare minutes) so nurses do not start all at once.
        offset = min(15 * (room % 3), spare)
        for slot in range(per_room):
            starts.append(hours.open_min + offset + slot * SLOT_MINUTES)
            keys.append(slot)
    orders = []
    for _ in range(variants):
        noisy = np.asarray(keys, float) + rng.uniform(0, 2.5, len(keys))
        orders.append([starts[i] for i in np.argsort(noisy, kind="stable")])
    return orders


def _fill_days(site: Site, timeline: Timeline, rng: np.random.Generator) -> None:
    n = timeline.n_days
    site.open_min = np.zeros(n, np.int32)
    site.close_min = np.zeros(n, np.int32)
    site.rooms = np.zeros(n, np.int32)
    site.slot_count = np.zeros(n, np.int32)
    site.slot_order = [[] for _ in range(n)]
    closed = {day for day, _ in site.closures}
    cache: dict[Hours, list[list[int]]] = {}
    for day in range(site.opened_index, n):
        hours = hours_on(site, timeline, day)
        if hours is None or hours.rooms == 0 or day in closed:
            continue
        if hours not in cache:
            cache[hours] = _slot_orders(hours, rng)
        orders = cache[hours]
        site.open_min[day] = hours.open_min
        site.close_min[day] = hours.close_min
        site.rooms[day] = hours.rooms
        site.slot_order[day] = orders[day % len(orders)]
        site.slot_count[day] = len(site.slot_order[day])
