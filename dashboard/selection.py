"""The shared selection and the link that carries it, without Streamlit: the sidebar
(dashboard/filters.py) and the weekly e-mail (reports/) read and write the same link.

The link carries `?location=a&location=b&start=YYYY-MM-DD&end=YYYY-MM-DD` (no `location` means
every location the reader may see) and `week_start=sun` when weeks start on Sunday.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from queries.calendar_table import week_start as week_start_of
from queries.metric_definitions import conversion_final_from

PRESETS = {"Last 4 weeks": 4, "Last 12 weeks": 12, "Last 26 weeks": 26, "Last 52 weeks": 52}
DEFAULT_PRESET = "Last 12 weeks"


@dataclass(frozen=True)
class Selection:
    """What every page shows: these locations, the whole weeks from `start` to `end`."""

    locations: tuple[str, ...]
    start: date
    end: date
    week_start: str = "mon"
    # The start of the latest week that is over: KPI cards show it, presets end with it.
    latest_week: date = field(default=date(2000, 1, 3), compare=False)

    @property
    def first_week(self) -> date:
        return week_start_of(self.start, self.week_start)

    @property
    def last_week(self) -> date:
        return week_start_of(self.end, self.week_start)

    def still_rising(self, week: date) -> bool:
        """Whether the consult conversion of the week starting `week` can still rise: its
        window is not closed by the end of the latest complete week, which the data reaches."""
        return conversion_final_from(week) > self.latest_week + timedelta(days=7)


def preset_range(preset: str, latest_week: date) -> tuple[date, date]:
    """First and last day of the preset's weeks, ending with the week starting `latest_week`."""
    weeks = PRESETS[preset]
    return latest_week - timedelta(days=7 * (weeks - 1)), latest_week + timedelta(days=6)


def to_params(selection: Selection, known_locations: Sequence[str]) -> dict[str, str | list[str]]:
    """The link's query parameters for `selection` (every location = no `location` parameter)."""
    params: dict[str, str | list[str]] = {}
    if selection.locations and set(selection.locations) != set(known_locations):
        params["location"] = list(selection.locations)
    params["start"] = selection.start.isoformat()
    params["end"] = selection.end.isoformat()
    if selection.week_start != "mon":
        params["week_start"] = selection.week_start
    return params


def link(base_url: str, selection: Selection, known_locations: Sequence[str]) -> str:
    """The dashboard address at `base_url` that opens `selection`, as the sidebar writes it."""
    query = urlencode(to_params(selection, known_locations), doseq=True)
    return f"{base_url.rstrip('?')}?{query}"
