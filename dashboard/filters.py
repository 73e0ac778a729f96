"""The shared sidebar: locations, whole weeks, week start; read from and written to the URL.

The link carries `?location=a&location=b&start=YYYY-MM-DD&end=YYYY-MM-DD` (no `location` means
every location) and `week_start=sun` when weeks start on Sunday (dashboard/selection.py writes it).
Parsing is pure, so it is tested without a browser; `sidebar()` draws the widgets and keeps the
link in step with them.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

import streamlit as st

from dashboard.loaders import Allowed, Query
from dashboard.selection import (
    DEFAULT_PRESET,
    PRESETS,
    Selection,
    preset_range,
    to_params,
)
from queries.calendar_table import FIRST_DAY, LAST_DAY, latest_complete_week
from queries.calendar_table import week_start as week_start_of
from queries.page_filters import longest_start
from queries.vocabulary import WEEK_STARTS

CUSTOM = "Custom"
# With more locations than this the sidebar offers an "All locations" toggle, and while it is on
# the location picker is not drawn (one chip per location made every rerun slower).
MANY_LOCATIONS = 7


def matching_preset(start: date, end: date, latest_week: date) -> str:
    for preset in PRESETS:
        if preset_range(preset, latest_week) == (start, end):
            return preset
    return CUSTOM


# Notices name a value from the link at most this long, then "…".
LINK_TEXT_CHARACTERS = 40
# Unknown locations named one by one up to this many; beyond it, only their number.
NAMED_UNKNOWN = 3
# The characters Markdown, or Streamlit's `:icon:` and `:color[...]` directives, read as markup
# inside a line (the text never starts a line, so `#`, `-` and `1.` cannot start a block).
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>|~:$&^])")


def link_text(value: str) -> str:
    """A value from the link as literal Markdown text: one line, at most
    `LINK_TEXT_CHARACTERS` characters and "…", every markup character escaped."""
    text = "".join(char if char.isprintable() else " " for char in value)
    if len(text) > LINK_TEXT_CHARACTERS:
        text = text[:LINK_TEXT_CHARACTERS] + "…"
    return _MARKUP.sub(r"\\\1", text)


def capped_start(start: date, end: date, week_start: str) -> date:
    """`start`, or the first day of the last five years to `end` if the selection is longer."""
    return max(start, longest_start(end, week_start))


def _parse_day(text: str, name: str, notices: list[str]) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        notices.append(f"The link's {name} date “{link_text(text)}” is not a date like 2026-03-02.")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        notices.append(f"The link's {name} date {day} is outside the years 2000-2099.")
        return None
    return day


def parse_params(
    params: Mapping[str, Sequence[str]],
    *,
    known_locations: Sequence[str],
    last_activity: date | None,
    today: date,
) -> tuple[Selection, list[str]]:
    """The selection a link asks for, and a notice for each part of it that cannot be honoured.

    `params` maps each key to all its values. Unknown location ids are dropped; a bad or reversed
    date range falls back to the default (the last 12 complete weeks).
    """
    notices: list[str] = []
    week_values = list(params.get("week_start", []))
    week_start = "mon"
    if week_values:
        if week_values[-1] in WEEK_STARTS:
            week_start = week_values[-1]
        else:
            notices.append(
                f"The link's week start “{link_text(week_values[-1])}” is not mon or sun; "
                "weeks start on Monday."
            )

    requested = list(dict.fromkeys(params.get("location", [])))
    known = set(known_locations)
    unknown = [loc for loc in requested if loc not in known]
    if len(unknown) > NAMED_UNKNOWN:
        notices.append(f"{len(unknown):,} unknown locations in the link, left out.")
    elif unknown:
        notices.append(
            "Unknown location in the link, left out: "
            + ", ".join(link_text(loc) for loc in unknown)
            + "."
        )
    chosen = [loc for loc in known_locations if loc in requested]
    if requested and not chosen:
        notices.append("None of the link's locations exist; showing every location.")
    locations = tuple(chosen or known_locations)

    latest_week = latest_complete_week(last_activity, today, week_start)
    start, end = preset_range(DEFAULT_PRESET, latest_week)
    given = {name: params.get(name, [])[-1:] for name in ("start", "end")}
    parsed = {
        name: _parse_day(values[0], name, notices) if values else None
        for name, values in given.items()
    }
    if any(given.values()) and all(parsed[name] or not given[name] for name in given):
        new_start, new_end = parsed["start"] or start, parsed["end"] or end
        if new_start <= new_end:
            start, end = new_start, new_end
        else:
            notices.append(
                f"The link's start {new_start} is after its end {new_end}; "
                "showing the last 12 weeks."
            )
    elif any(given.values()):
        notices.append("Showing the last 12 weeks instead.")
    if (capped := capped_start(start, end, week_start)) > start:
        notices.append(
            f"The link's {start} to {end} is longer than five years, the longest selection; "
            f"showing the five years from {capped}."
        )
        start = capped
    return Selection(locations, start, end, week_start, latest_week), notices


def location_link(selection: Selection, known_locations: Sequence[str], location_id: str) -> str:
    """The address (a query string) of `selection` narrowed to one location: a link to its view."""
    one = replace(selection, locations=(location_id,))
    return "?" + urlencode(to_params(one, known_locations), doseq=True)


def _current_query_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _on_preset_change() -> None:
    # Switching to Custom starts the date picker at the range the preset was showing.
    if st.session_state["f_preset"] == CUSTOM:
        st.session_state["f_range"] = st.session_state["f_shown_range"]


def _on_all_change(known: list[str]) -> None:
    # Either way the selection is every location: turning the toggle off shows it in the picker.
    st.session_state["f_locations"] = list(known)


def sidebar(
    *, locations: Mapping[str, str], last_activity: date | None, today: date
) -> tuple[Selection, list[str]]:
    """Draw the shared filters in the sidebar; returns the selection and notices about the link.

    `locations` maps id to display name. The link is read once, when a session starts; from
    then on the widgets lead and the link follows them.
    """
    known = list(locations)
    notices: list[str] = []
    state = st.session_state
    if "f_link_read" not in state:
        chosen, notices = parse_params(
            _current_query_params(), known_locations=known, last_activity=last_activity, today=today
        )
        state["f_link_read"] = True
        state["f_all"] = set(chosen.locations) == set(known)
        state["f_locations"] = list(chosen.locations)
        state["f_week_start"] = chosen.week_start
        state["f_preset"] = matching_preset(chosen.start, chosen.end, chosen.latest_week)
        state["f_range"] = (chosen.start, chosen.end)
        state["f_shown_range"] = (chosen.start, chosen.end)
    # Options can change after an import: keep only ids that still exist. While the multiselect
    # is not drawn, Streamlit may forget its value: every location is what it held then.
    state["f_locations"] = [loc for loc in state.get("f_locations", known) if loc in locations]

    with st.sidebar:
        every = len(known) > MANY_LOCATIONS and st.toggle(
            "All locations", key="f_all", on_change=_on_all_change, args=(known,)
        )
        if every:
            # 200 chips were the heaviest part of the page: no multiselect while all are shown.
            state["f_locations"] = list(known)
        else:
            st.multiselect(
                "Locations",
                options=known,
                format_func=lambda loc: locations[loc],
                key="f_locations",
                placeholder="Choose locations",
                # One row that scrolls: 200 chips wrapped filled the sidebar.
                # The dropdown's "Select all" brings every location back.
                wrap=False,
            )
        chosen_count = len(state["f_locations"])
        st.caption(
            f"All {len(known)} locations" if chosen_count == len(known) and known
            else f"{chosen_count} of {len(known)} locations"
        )  # fmt: skip
        preset = st.selectbox(
            "Period", [*PRESETS, CUSTOM], key="f_preset", on_change=_on_preset_change
        )
        week_start = st.radio(
            "Weeks start on",
            list(WEEK_STARTS),
            format_func=WEEK_STARTS.get,
            key="f_week_start",
            horizontal=True,
        )
        latest_week = latest_complete_week(last_activity, today, week_start)
        if preset == CUSTOM:
            picked = st.date_input(
                "From - to", key="f_range", min_value=FIRST_DAY, max_value=LAST_DAY
            )
            # While a range is being picked the widget holds only its first day.
            start, end = picked if len(picked) == 2 else state["f_shown_range"]
        else:
            start, end = preset_range(preset, latest_week)
        if (capped := capped_start(start, end, week_start)) > start:
            st.warning(
                f"A selection covers at most five years: showing {capped:%d %b %Y} to "
                f"{end:%d %b %Y}.",
                icon=":material/date_range:",
            )
            start = capped
        state["f_shown_range"] = (start, end)
        first, last = week_start_of(start, week_start), week_start_of(end, week_start)
        st.caption(
            f"Weeks from {first:%a %d %b %Y} to {last + timedelta(days=6):%a %d %b %Y}. "
            f"Latest complete week: {latest_week:%d %b %Y}."
        )

    selection = Selection(tuple(state["f_locations"]), start, end, week_start, latest_week)
    wanted = to_params(selection, known)
    as_lists = {key: value if isinstance(value, list) else [value] for key, value in wanted.items()}
    if as_lists != _current_query_params():
        st.query_params.from_dict(wanted)
    return selection, notices


@dataclass(frozen=True)
class Context:
    """What a page needs besides the selection: where to read, who reads, names and colours."""

    url: str
    allowed: Allowed
    selection: Selection
    names: Mapping[str, str]
    colours: Mapping[str, str]

    @property
    def query(self) -> Query:
        """The cached loaders' key for this selection (dashboard/loaders.py)."""
        sel = self.selection
        return Query(self.url, self.allowed, sel.locations, sel.start, sel.end, sel.week_start)


def set_context(context: Context) -> None:
    st.session_state["page_context"] = context


def context() -> Context:
    """The context `main.py` set for this run, for the page it is running."""
    return st.session_state["page_context"]
