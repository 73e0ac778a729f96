"""Many locations: the sidebar's "All locations" toggle, and the trend charts pool the chosen
locations into one line and say so (AppTest).

The data: the demo generator, 9 locations (more than the 7 colours of the palette) over about ten
weeks ending 2026-03-18, in a SQLite file.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data.generate import generate_database
from queries.db import open_database
from queries.schema import locations

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")
LOCATIONS = 9
TREND_TITLES = [
    "Are consultation requests growing?",
    "Are no-shows rising?",
    "How many infusions did we complete?",
    "How full are the rooms?",
]
POOLED_HINT = "Choose 7 or fewer locations to see each one."


@pytest.fixture(scope="session")
def nine_locations(tmp_path_factory) -> tuple[str, dict[str, str]]:
    path = tmp_path_factory.mktemp("many") / "nine.sqlite"
    engine = open_database(f"sqlite:///{path}")
    generate_database(engine, locations=LOCATIONS, years=0.2, today=date(2026, 3, 18))
    with engine.connect() as conn:
        names = dict(conn.execute(select(locations.c.location_id, locations.c.name)).all())
    engine.dispose()
    return f"sqlite:///{path}", names


@pytest.fixture
def app(nine_locations, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", nine_locations[0])
    return AppTest.from_file(APP, default_timeout=60)


def _trend_lines(at: AppTest) -> dict[str, list[str]]:
    """Trace names of each Overview trend chart, by its title."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {
        spec["layout"]["title"]["text"]: [trace["name"] for trace in spec["data"]]
        for spec in specs
        if spec["layout"]["title"]["text"] in TREND_TITLES
    }


def _pick(at: AppTest, ids: list[str]) -> None:
    """Turn "All locations" off and choose `ids` in the picker."""
    at.toggle(key="f_all").set_value(False).run()
    at.multiselect(key="f_locations").set_value(ids).run()


def test_without_locations_in_the_link_all_locations_is_on_and_the_picker_not_drawn(app):
    app.run()
    assert not app.exception
    assert app.toggle(key="f_all").value is True
    assert not app.multiselect
    assert "location" not in app.query_params
    assert f"All {LOCATIONS} locations" in [caption.value for caption in app.sidebar.caption]


def test_turning_all_locations_off_shows_the_picker_with_every_location(app, nine_locations):
    app.run()
    app.toggle(key="f_all").set_value(False).run()
    assert not app.exception
    assert sorted(app.multiselect(key="f_locations").value) == sorted(nine_locations[1])
    assert "location" not in app.query_params

    two = sorted(nine_locations[1])[:2]
    app.multiselect(key="f_locations").set_value(two).run()
    assert app.query_params["location"] == two
    assert "2 of 9 locations" in [caption.value for caption in app.sidebar.caption]

    # On again: every location, the picker gone and no location in the link.
    app.toggle(key="f_all").set_value(True).run()
    assert not app.exception
    assert not app.multiselect
    assert "location" not in app.query_params
    assert f"All {LOCATIONS} locations" in [caption.value for caption in app.sidebar.caption]


def test_a_link_with_locations_turns_all_locations_off_and_fills_the_picker(app, nine_locations):
    two = sorted(nine_locations[1])[-2:]
    app.query_params["location"] = two
    app.run()
    assert not app.exception
    assert app.toggle(key="f_all").value is False
    assert app.multiselect(key="f_locations").value == two
    assert app.query_params["location"] == two
    assert "2 of 9 locations" in [caption.value for caption in app.sidebar.caption]


def test_every_location_selected_draws_one_pooled_line_per_chart_and_says_so(app, nine_locations):
    app.run()
    assert not app.exception
    lines = _trend_lines(app)
    assert sorted(lines) == sorted(TREND_TITLES)
    assert all(names == ["All selected"] for names in lines.values()), lines
    notes = [caption.value for caption in app.caption if POOLED_HINT in caption.value]
    assert len(notes) == 1
    assert f"all {LOCATIONS} selected locations" in notes[0]
    assert f"All {LOCATIONS} locations" in [caption.value for caption in app.sidebar.caption]


def test_eight_locations_are_still_pooled(app, nine_locations):
    app.run()
    eight = sorted(nine_locations[1])[:8]
    _pick(app, eight)
    assert not app.exception
    assert all(names == ["All selected"] for names in _trend_lines(app).values())
    assert any("all 8 selected locations" in caption.value for caption in app.caption)


def test_seven_locations_get_a_line_each(app, nine_locations):
    ids = sorted(nine_locations[1])[:7]
    app.run()
    _pick(app, ids)
    assert not app.exception
    each = sorted(nine_locations[1][loc] for loc in ids)
    lines = _trend_lines(app)
    # Counts leave out the pooled total (it would flatten the locations); rates show it in black.
    assert sorted(lines["Are consultation requests growing?"]) == each
    assert sorted(lines["How many infusions did we complete?"]) == each
    assert sorted(lines["Are no-shows rising?"]) == sorted([*each, "All selected"])
    assert sorted(lines["How full are the rooms?"]) == sorted([*each, "All selected"])
    assert not [caption for caption in app.caption if POOLED_HINT in caption.value]
    assert "7 of 9 locations" in [caption.value for caption in app.sidebar.caption]


def test_chosen_locations_never_share_a_colour(app, nine_locations):
    # The first and the eighth of nine: by place among all nine they took the same colour.
    everyone = sorted(nine_locations[1])
    ids = [everyone[0], everyone[7], everyone[8]]
    app.run()
    _pick(app, ids)
    assert not app.exception
    spec = next(
        json.loads(chart.proto.spec)
        for chart in app.get("plotly_chart")
        if "requests growing" in json.loads(chart.proto.spec)["layout"]["title"]["text"]
    )
    colours = {trace["name"]: trace["line"]["color"] for trace in spec["data"]}
    assert sorted(colours) == sorted(nine_locations[1][loc] for loc in ids)
    assert len(set(colours.values())) == 3


def _trace_names(at: AppTest) -> set[str]:
    return {
        trace.get("name")
        for chart in at.get("plotly_chart")
        for trace in json.loads(chart.proto.spec)["data"]
    }


@pytest.mark.parametrize("page", ["consultations", "infusions", "capacity"])
def test_other_pages_pool_their_per_location_charts_too(app, nine_locations, page):
    names = set(nine_locations[1].values())
    app.run()
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception
    shown = _trace_names(app)
    assert "All selected" in shown
    assert not shown & names
    assert any(POOLED_HINT in caption.value for caption in app.caption)

    three = sorted(nine_locations[1])[:3]
    _pick(app, three)
    assert not app.exception
    assert {nine_locations[1][loc] for loc in three} <= _trace_names(app)
    assert not [caption for caption in app.caption if POOLED_HINT in caption.value]
