"""The Overview's "Needs attention" panel, the cards' targets and the Capacity band (AppTest).

The data (tests/builders.py, `two_clinics_one_missing_infusions`): rock misses 3 of 20 bookings
(15 %) in W1 (2026-04-06) and W2, pike none; 50 % utilization at both. W2 is the latest complete
week, so the default period is the 12 weeks 2026-01-26 .. 2026-04-19. With `*` utilization
40-90 % and the no-show rate's default (at most 8 %, two weeks), rock needs attention since W1.
"""

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from dashboard import attention_panel
from tests.builders import two_clinics_one_missing_infusions as build

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    # Open as an admin without a sign-in provider: DASHBOARD_AUTH=off on a loopback address.
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("DASHBOARD_AUTH", "off")

    def make(targets: list[list]) -> AppTest:
        url = f"sqlite:///{tmp_path / 'attention.sqlite'}"
        build(url, targets)
        monkeypatch.setenv("DATABASE_URL", url)
        return AppTest.from_file(APP, default_timeout=60)

    yield make
    config.set_option("server.address", before)


def test_the_panel_lists_who_needs_attention_first_with_a_link_to_its_view(app):
    at = app([["*", "utilization_pct", 40, 90, 2]])
    at.run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "Needs attention"
    tables = [m.value for m in at.markdown if m.value.startswith("| Location |")]
    assert tables == [
        "| Location | Metric | This week | Target | Outside since | |\n"
        "|---|---|---|---|---|---|\n"
        "| Rock | No\\-show rate | 15.0% | at most 8% | 06 Apr 2026 | "
        "[Open Rock](?location=rock&start=2026-01-26&end=2026-04-19) |"
    ]
    captions = [c.value for c in at.caption]
    assert any("back inside for a whole week" in text for text in captions)
    # No requests at all: the response figures are not judged, and the page says why.
    expander = at.expander[0]
    assert expander.label == "Not judged in the week of 13 Apr (4)"
    assert "Pike, contacted within 1 h: 0 requests, fewer than 10" in expander.markdown[0].value


def test_more_rows_than_a_markdown_table_holds_go_into_a_scrollable_table(app, monkeypatch):
    # A network's worth of rows: here the threshold is lowered, so rock's one row is "many".
    monkeypatch.setattr(attention_panel, "MARKDOWN_ROWS", 0)
    at = app([["*", "utilization_pct", 40, 90, 2]])
    at.run()
    assert not at.exception and not at.error
    assert not [m for m in at.markdown if m.value.startswith("| Location |")]
    assert "1 figures outside their targets at 1 locations." in at.caption[0].value
    (table,) = [d.value for d in at.dataframe if "Outside since" in d.value.columns]
    assert list(table.columns) == [
        "Location",
        "Metric",
        "This week",
        "Target",
        "Outside since",
        "Open",
    ]
    assert table.astype(str).values.tolist() == [
        [
            "Rock", "No-show rate", "15.0%", "at most 8%", "2026-04-06",
            "?location=rock&start=2026-01-26&end=2026-04-19",
        ]
    ]  # fmt: skip


def test_cards_show_the_target_of_their_pooled_figure(app):
    at = app([["*", "utilization_pct", 40, 90, 2]])
    at.run()
    captions = [c.value for c in at.caption]
    # W2 pooled: 3 no-shows of 40 held = 7.5 %, inside at most 8 %; utilization 50 %.
    assert any(text.endswith("Target: at most 8%") for text in captions)
    assert any(text.endswith("Target: 40-90%") for text in captions)


def test_a_card_says_when_its_pooled_figure_is_outside_and_when_targets_differ(app):
    # pike's own no-show target: at most 5 %; rock keeps at most 8 %: the cards cannot say one.
    at = app(
        [
            ["*", "utilization_pct", 55, 90, 2],
            ["pike", "no_show_rate_pct", None, 5, 2],
        ]
    )
    at.run()
    captions = [c.value for c in at.caption]
    assert any(text.endswith("Target: 55-90% · **outside**") for text in captions)
    assert any(text.endswith("Target: differs by location") for text in captions)


def test_nothing_needs_attention_says_so(app):
    at = app([["*", "utilization_pct", 40, 90, 2], ["*", "no_show_rate_pct", None, 20, 2]])
    at.run()
    assert [s.value for s in at.success] == [
        "Nothing needs attention in the week of 13 Apr 2026: every location is within its "
        "targets, or has not been outside one for long enough."
    ]


def test_the_capacity_band_starts_at_the_locations_utilization_target(app):
    at = app([["*", "utilization_pct", 62.5, 85, 2]])
    at.run()
    at.switch_page("app_pages/capacity.py").run()
    assert not at.exception
    assert at.slider[0].value == (62.5, 85.0)
