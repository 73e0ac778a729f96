"""Pooled weekly trends in Chromium: drawn within the margins they ask for.

When the Streamlit theme's automargin finds a margin too small for a chart's labels or legend,
plotly grows it and draws the whole chart a second time, and the Overview draws its four pooled
trends anew on every filter change. `charts.POOLED_TREND_MARGIN` leaves that room beforehand.
"""

from datetime import date

import pytest
from playwright.sync_api import sync_playwright

from dashboard.charts import MAX_LOCATIONS
from data.generate import generate_database
from queries.db import open_database
from tests.browser.streamlit_server import dashboard_server, launch, wait_for_charts, wait_settled

pytestmark = pytest.mark.browser
DATA_TODAY = date(2026, 3, 18)
OVERVIEW_CHARTS = 4
# Plotly's own figures for each chart: the margins it was given and the ones it drew with.
MARGINS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
    const given = gd._fullLayout.margin, drawn = gd._fullLayout._size;
    return {
        title: gd._fullLayout.title.text,
        given: [given.l, given.r, given.t, given.b].map(Math.round),
        drawn: [drawn.l, drawn.r, drawn.t, drawn.b].map(Math.round),
    };
})"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("pooled") / "demo.sqlite"
    engine = open_database(f"sqlite:///{path}")
    generate_database(engine, locations=MAX_LOCATIONS + 2, years=0.5, today=DATA_TODAY)
    engine.dispose()
    with dashboard_server(f"sqlite:///{path}") as base:
        yield base


@pytest.fixture
def page(base_url):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        # measure_browser's window: two charts side by side.
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


@pytest.mark.parametrize("period", ["Last 4 weeks", "Last 26 weeks"])
def test_pooled_trends_are_drawn_in_the_margins_they_ask_for(page, base_url, period):
    page.goto(base_url + "/")
    wait_for_charts(page, OVERVIEW_CHARTS)
    wait_settled(page)
    before = page.url
    page.get_by_test_id("stSelectbox").filter(has_text="Period").click()
    page.get_by_role("option", name=period).click()
    page.wait_for_function("url => window.location.href !== url", arg=before)
    wait_settled(page)
    wait_for_charts(page, OVERVIEW_CHARTS)
    assert page.get_by_text(f"all {MAX_LOCATIONS + 2} selected locations together").is_visible()

    charts = page.evaluate(MARGINS)
    assert len(charts) == OVERVIEW_CHARTS
    for chart in charts:
        assert chart["drawn"] == chart["given"], chart["title"]
