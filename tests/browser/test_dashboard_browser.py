"""The running app in Chromium: a shared link, a filter change, and the downloaded reports."""

import io
import subprocess
import sys
from datetime import date

import openpyxl
import pytest
from playwright.sync_api import sync_playwright

from data.generate import generate_database
from queries.catalog import visible_locations
from queries.db import open_database
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics
from tests.browser.streamlit_server import ROOT, dashboard_server, launch, wait_settled

pytestmark = pytest.mark.browser
DATA_TODAY = date(2026, 3, 18)  # a Wednesday: the latest complete Monday week starts 03-09
KPI_WEEK = date(2026, 3, 9)
START, END = date(2026, 1, 5), date(2026, 3, 15)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite"
    engine = open_database(f"sqlite:///{path}")
    generate_database(engine, locations=3, years=0.5, today=DATA_TODAY)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def two_locations(demo_url) -> list[str]:
    engine = open_database(demo_url)
    with engine.connect() as conn:
        report = weekly_metrics(conn, scope=EVERYTHING, locations=None, start=END, end=END)
    engine.dispose()
    return sorted(set(report["location_id"]) - {"ALL"})[:2]


@pytest.fixture(scope="module")
def base_url(demo_url):
    with dashboard_server(demo_url) as base:
        yield base


@pytest.fixture
def page(base_url):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1400, "height": 1000}
        )
        yield context.new_page()
        browser.close()


def _network_row(url: str, locations: list[str]) -> dict:
    engine = open_database(url)
    with engine.connect() as conn:
        report = weekly_metrics(
            conn, scope=EVERYTHING, locations=locations, start=KPI_WEEK, end=KPI_WEEK
        )
    engine.dispose()
    return report[report["location_id"] == "ALL"].iloc[0].to_dict()


def _names(url: str) -> dict[str, str]:
    engine = open_database(url)
    with engine.connect() as conn:
        table = visible_locations(conn, scope=EVERYTHING)
    engine.dispose()
    return dict(zip(table["location_id"], table["name"], strict=True))


def _card(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label)
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def _link(locations: list[str]) -> str:
    params = "&".join(f"location={loc}" for loc in locations)
    return f"/?{params}&start={START}&end={END}"


def test_shared_link_shows_the_weekly_report_figures(page, base_url, demo_url, two_locations):
    page.goto(base_url + _link(two_locations))
    wait_settled(page)
    row = _network_row(demo_url, two_locations)
    assert _card(page, "Consult requests") == f"{row['consult_requests']:,}"
    assert _card(page, "Infusions completed") == f"{row['infusions_completed']:,}"
    assert _card(page, "New patients") == f"{row['new_patients']:,}"
    assert _card(page, "Utilization") == f"{row['utilization_pct']:.1f}%"
    assert f"start={START}" in page.url and f"location={two_locations[1]}" in page.url


def test_removing_a_location_in_the_sidebar_changes_link_and_figures(
    page, base_url, demo_url, two_locations
):
    page.goto(base_url + _link(two_locations))
    wait_settled(page)
    kept, dropped = two_locations
    page.get_by_test_id("stMultiSelect").get_by_role(
        "button", name=f"Remove {_names(demo_url)[dropped]}"
    ).click()
    page.wait_for_function(
        "dropped => !window.location.search.includes('location=' + dropped)", arg=dropped
    )
    wait_settled(page)
    row = _network_row(demo_url, [kept])
    assert _card(page, "Consult requests") == f"{row['consult_requests']:,}"
    assert f"location={kept}" in page.url


def _cli_report(demo_url: str, locations: list[str], out) -> bytes:
    args = [sys.executable, "-m", "queries.weekly", "--db", demo_url]
    args += [f"--start={START}", f"--end={END}", f"--out={out}"]
    for location in locations:
        args.append(f"--location={location}")
    subprocess.run(args, cwd=ROOT, check=True)
    return out.read_bytes()


def test_downloads_equal_the_command_line_reports(
    page, base_url, demo_url, two_locations, tmp_path
):
    page.goto(base_url + _link(two_locations))
    wait_settled(page)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Weekly metrics (CSV)").click()
    assert csv_download.value.path().read_bytes() == _cli_report(
        demo_url, two_locations, tmp_path / "cli.csv"
    )

    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Weekly metrics (Excel)").click()
    served = openpyxl.load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    written = openpyxl.load_workbook(
        io.BytesIO(_cli_report(demo_url, two_locations, tmp_path / "cli.xlsx"))
    )
    assert served.sheetnames == written.sheetnames
    for name in served.sheetnames:
        rows = [list(row) for row in served[name].iter_rows(values_only=True)]
        expected = [list(row) for row in written[name].iter_rows(values_only=True)]
        if name == "filters":
            # The time each file was made differs by design; every other row is the same.
            rows = [row for row in rows if row[0] != "generated_at"]
            expected = [row for row in expected if row[0] != "generated_at"]
            assert len(rows) == len(expected) > 1
        assert rows == expected, name


def test_the_latest_complete_week_is_the_one_the_cards_show(page, base_url, two_locations):
    page.goto(base_url + _link(two_locations))
    wait_settled(page)
    assert page.get_by_text(f"Week of {KPI_WEEK:%d %b %Y}", exact=True).is_visible()
