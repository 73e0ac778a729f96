"""The Import page's mapping step in Chromium: map an export, preview it, import it, and have it
recognised by its columns the next time."""

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import func, select

from queries import schema
from queries.db import make_engine
from tests.browser.mapping_step import choose, import_server, upload_export
from tests.browser.streamlit_server import launch, wait_settled

pytestmark = pytest.mark.browser


def _bookings(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(schema.bookings))
    engine.dispose()
    return count


def test_an_export_goes_through_the_mapping_step_and_is_recognised_next_time(tmp_path):
    with import_server(tmp_path) as (base, url), sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        upload_export(page, base)
        expect(
            page.get_by_text("Never read or stored (patient details): Patient Name")
        ).to_be_visible(timeout=30_000)
        expect(page.get_by_text("'Spravato Monitoring' is not mapped to a value")).to_be_visible(
            timeout=30_000
        )
        import_button = page.get_by_role("button", name="Save the mapping and import")
        expect(import_button).to_be_disabled(timeout=30_000)

        choose(page, "Spravato Monitoring", "other")
        expect(page.get_by_text("No errors: the import would store every row.")).to_be_visible(
            timeout=30_000
        )
        preview = page.get_by_test_id("stDataFrame").first
        expect(preview).to_be_visible(timeout=30_000)
        assert _bookings(url) == 0

        import_button.click()
        expect(page.get_by_text("Applied: appointments.csv (8 rows)")).to_be_visible(timeout=60_000)
        assert _bookings(url) == 8

        upload_export(page, base)
        expect(
            page.get_by_text("Recognised by its columns: mapping appointments (bookings).")
        ).to_be_visible(timeout=30_000)
        wait_settled(page)
        expect(page.get_by_role("button", name="Save the mapping and import")).to_be_enabled(
            timeout=30_000
        )
        browser.close()
