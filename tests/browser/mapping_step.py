"""Drive the Import page's mapping step in Chromium (the browser test and the screenshot use it).

The app is served on a database holding the locations `arlington` and `bethesda`, sign-in off
(so the visitor is an admin) and a patient_ref key set, as a deployment would have it.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from data.load import import_files
from queries.db import open_database
from tests.browser.streamlit_server import ROOT, free_port, serve, wait_settled

EXPORT = ROOT / "data" / "examples" / "appointments.csv"
LOCATIONS = (
    "location_id,name,city,state\narlington,Arlington,Arlington,VA\nbethesda,Bethesda,Bethesda,MD\n"
)
KEY = "a-deployment-key-for-browser-tests"


@contextmanager
def import_server(folder: Path) -> Iterator[tuple[str, str]]:
    """The app on a fresh SQLite database in `folder` with two locations: (base URL, db URL)."""
    (folder / "locations.csv").write_text(LOCATIONS)
    url = f"sqlite:///{folder / 'clinic.sqlite'}"
    engine = open_database(url)
    import_files(engine, [folder / "locations.csv"])
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "DASHBOARD_AUTH": "off", "PATIENT_REF_KEY": KEY}
    with serve(free_port(), env=env) as base:
        yield base, url


def upload_export(page: Page, base: str, export: Path = EXPORT) -> None:
    """Open the Import page and upload `export`, which opens the mapping step."""
    page.goto(f"{base}/import_files")
    wait_settled(page)
    page.locator("input[type='file']").set_input_files(str(export))
    # The step's heading, or the notice of a recognised mapping (not the page's intro text).
    opened = page.get_by_role("heading", name="Map the export's columns").or_(
        page.get_by_text(re.compile("^Recognised by its columns"))
    )
    expect(opened).to_be_visible(timeout=60_000)
    wait_settled(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`.

    A click that lands while a rerun redraws the box opens nothing (seen under load), so the
    box is clicked on a settled page, and again if its list does not open.
    """
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        wait_settled(page)
        page.get_by_test_id("stSelectbox").filter(has_text=label).click()
        try:
            wanted.click(timeout=15_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    wait_settled(page)
