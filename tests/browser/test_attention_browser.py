"""The "Needs attention" panel in Chromium: its link opens that location's view.

The data: tests/builders.py `two_clinics_one_missing_infusions` (rock misses 15 % of its bookings
two weeks running; pike none), with `*` utilization 40-90 %, so only rock needs attention.
"""

import os

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.streamlit_server import free_port, launch, serve, wait_settled
from tests.builders import two_clinics_one_missing_infusions

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('attention') / 'attention.sqlite'}"
    two_clinics_one_missing_infusions(url, [["*", "utilization_pct", 40, 90, 2]])
    env = {**os.environ, "DATABASE_URL": url, "DASHBOARD_AUTH": "off"}
    with serve(free_port(), env=env) as base:
        yield base


def test_the_panel_link_opens_that_locations_view(base_url):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(base_url)
        wait_settled(page)
        # Both locations are shown at first.
        assert page.get_by_text("All 2 locations").is_visible()
        link = page.get_by_role("link", name="Open Rock")
        with context.expect_page() as opened:
            link.click()
        view = opened.value
        view.wait_for_load_state()
        wait_settled(view)
        assert "location=rock" in view.url
        assert "start=2026-01-26" in view.url and "end=2026-04-19" in view.url
        assert view.get_by_text("1 of 2 locations").is_visible()
        # rock's own Overview: its week of 13 Apr has 3 no-shows of 20 held.
        card = view.get_by_test_id("stMetric").filter(has_text="No-show rate")
        assert card.get_by_test_id("stMetricValue").inner_text().strip() == "15.0%"
        browser.close()
