"""Sign-in in the browser, against a mock OpenID provider: who sees what, and sign-out.

The database holds the hand-checked two-weeks fixture (rockville, arlington; imported from files,
so it is not a demo and sign-in is required) and a users list: an admin and arlington's manager.
"""

import csv
import io
import json

import openpyxl
import pytest
from playwright.sync_api import expect, sync_playwright

from queries.audit import read_log
from queries.db import open_database
from queries.scope import EVERYTHING
from tests.browser.oidc import (
    ADMIN,
    EXPECTED,
    MANAGER,
    clinic_with_users,
    oidc_provider,
    sign_in,
    signin_dashboard,
)
from tests.browser.streamlit_server import CLICKS, download, launch, wait_settled

pytestmark = pytest.mark.browser
STRANGER = "stranger@elsewhere.example"
# A link asking for both locations and the fixture's two weeks.
LINK = "/?location=arlington&location=rockville&start=2026-03-02&end=2026-03-15"


@pytest.fixture(scope="module")
def clinic_url(tmp_path_factory) -> str:
    return clinic_with_users(tmp_path_factory.mktemp("signin") / "clinic.sqlite")


@pytest.fixture(scope="module")
def app(clinic_url, tmp_path_factory):
    with (
        oidc_provider() as issuer,
        signin_dashboard(
            clinic_url, issuer=issuer, folder=tmp_path_factory.mktemp("secrets")
        ) as base,
    ):
        yield base


@pytest.fixture(scope="module")
def browser(app):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # A fresh context per test: no identity cookie carries over from the test before.
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def _body(page) -> str:
    return page.locator("body").inner_text()


def _assert_no_clinic_data(page) -> None:
    text = _body(page)
    for name in ("Rockville", "Arlington", "Overview", "Weekly metrics"):
        assert name not in text
    assert page.locator("[data-testid='stDownloadButton']").count() == 0


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_anonymous_visitor_sees_the_sign_in_page_and_no_data(app, page):
    page.goto(app + LINK)
    wait_settled(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    _assert_no_clinic_data(page)


def test_signed_in_stranger_sees_no_access_and_no_data(app, page):
    sign_in(page, app, STRANGER)
    expect(page.get_by_text("has no access")).to_be_visible()
    page.goto(app + LINK)
    wait_settled(page)
    assert STRANGER in _body(page)
    _assert_no_clinic_data(page)


def test_listed_admin_whose_provider_does_not_say_verified_sees_no_access(app, page):
    sign_in(page, app, ADMIN, verified=None)  # the provider sends no email_verified claim
    expect(page.get_by_text("has no access")).to_be_visible()
    page.goto(app + LINK)
    wait_settled(page)
    _assert_no_clinic_data(page)
    assert "Audit log" not in _body(page)


def test_manager_link_for_another_location_shows_only_their_own(app, page, clinic_url):
    sign_in(page, app, MANAGER)
    page.goto(app + LINK)
    wait_settled(page)
    text = _body(page)
    assert "left out: rockville" in text  # the notice
    assert "Rockville" not in text  # the location's name appears nowhere
    assert "Audit log" not in text and "Import" not in text  # admin pages are not listed

    clicks_before = CLICKS.copy()
    rows = _csv_rows(download(page, "Weekly metrics (CSV)"))
    header, body = rows[0], rows[1:]
    assert {row[1] for row in body} == {"arlington", "ALL"}
    by_key = {(row[0], row[1]): row[2:] for row in body}
    expected = {(r[0], r[1]): r[2:] for r in _csv_rows(EXPECTED.read_bytes())[1:]}
    for week in ("2026-03-02", "2026-03-09"):
        # arlington's figures are the hand-checked ones, and ALL pools arlington alone.
        assert by_key[(week, "arlington")] == expected[(week, "arlington")]
        assert by_key[(week, "ALL")] == expected[(week, "arlington")]
    assert header == _csv_rows(EXPECTED.read_bytes())[0]

    book = openpyxl.load_workbook(io.BytesIO(download(page, "Weekly metrics (Excel)")))
    sheet = book["weekly_metrics"]
    assert {cell.value for cell in sheet["B"][1:]} == {"arlington", "ALL"}
    filters = {row[0].value: row[1].value for row in book["filters"].iter_rows(min_row=2)}
    assert filters["locations"] == "arlington"

    engine = open_database(clinic_url)
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING, email=MANAGER)
    engine.dispose()
    downloads = [json.loads(d) for d in log.loc[log["action"] == "download", "detail"]]
    # One entry per file fetched, written where the file is built (not a second one on the click):
    # one click, one entry; a retried click may have fetched the file once more, never twice more.
    for label, file in (
        ("Weekly metrics (CSV)", "weekly-metrics.csv"),
        ("Weekly metrics (Excel)", "weekly-metrics.xlsx"),
    ):
        clicks = CLICKS[label] - clicks_before[label]
        assert 1 <= sum(d["file"] == file for d in downloads) <= clicks
    assert {d["file"] for d in downloads} == {"weekly-metrics.csv", "weekly-metrics.xlsx"}
    assert all(d["locations"] == ["arlington"] and d["rows"] == 4 for d in downloads)
    assert "sign_in" in set(log["action"]) and "page_view" in set(log["action"])


def test_admin_sees_every_location_and_the_audit_log(app, page):
    sign_in(page, app, ADMIN)
    page.goto(app + LINK)
    wait_settled(page)
    assert "left out" not in _body(page)
    # The whole hand-checked report, byte for byte.
    assert download(page, "Weekly metrics (CSV)") == EXPECTED.read_bytes()
    page.get_by_role("link", name="Audit log").click()
    wait_settled(page)
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()


def test_sign_out_returns_to_the_sign_in_page(app, page):
    sign_in(page, app, ADMIN)
    page.get_by_role("button", name="Sign out").click()
    # The provider asks to confirm the end of the session, then sends the browser back.
    end_session = page.get_by_role("button", name="End session")
    end_session.wait_for(timeout=30_000)
    end_session.click()
    page.wait_for_url(f"{app}/**", timeout=30_000)
    page.goto(app + LINK)
    wait_settled(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    _assert_no_clinic_data(page)
