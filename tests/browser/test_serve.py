"""`scripts/serve` with two replicas behind HAProxy: every request of a browser session reaches
the replica that holds its websocket, through sign-in, a download and an upload.

HAProxy names the replica that answered in the `X-Dashboard-Replica` header and the browser's
replica in the `dashboard_replica` cookie. Streamlit keeps downloads and uploads in the memory of
the session's process, so a request sent to the other replica would fail as well.
"""

import csv
import io
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.browser.oidc import (
    ADMIN,
    EXPECTED,
    MANAGER,
    clinic_with_users,
    oidc_provider,
    sign_in,
    write_secrets,
)
from tests.browser.streamlit_server import (
    download,
    free_port,
    launch,
    scripts_serve,
    wait_settled,
)
from tests.conftest import TWO_WEEKS

pytestmark = pytest.mark.browser
LINK = "/?location=arlington&location=rockville&start=2026-03-02&end=2026-03-15"
REPLICA_HEADER = "x-dashboard-replica"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    url = clinic_with_users(folder / "clinic.sqlite")
    port = free_port()
    with oidc_provider() as issuer:
        secrets_file = write_secrets(folder / "secrets.toml", issuer=issuer, port=port)
        env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_AUTH"}
        env |= {"DATABASE_URL": url, "AUTHLIB_INSECURE_TRANSPORT": "1"}
        options = ["--secrets.files", str(secrets_file)]
        with scripts_serve(
            port, replicas=2, env=env, options=options, log=folder / "serve.log"
        ) as pids:
            assert len(pids) == 2
            yield f"http://127.0.0.1:{port}", pids
    # SIGTERM to scripts/serve stopped every process it started.
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} still runs"


@contextmanager
def session(browser, base: str) -> Iterator[tuple[BrowserContext, Page, list[tuple[str, str]]]]:
    """A fresh browser context; yields it, its page and (url, replica) for every response of
    the app (the mock provider's responses carry no replica)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    answered: list[tuple[str, str]] = []
    page.on(
        "response",
        lambda r: r.url.startswith(base) and answered.append((r.url, r.headers[REPLICA_HEADER])),
    )
    try:
        yield context, page, answered
    finally:
        context.close()


def _replica_cookie(context: BrowserContext) -> str:
    (cookie,) = [c for c in context.cookies() if c["name"] == "dashboard_replica"]
    return cookie["value"]


def test_sessions_download_and_upload_through_their_own_replica(proxy):
    base, _ = proxy
    with sync_playwright() as playwright:
        browser = launch(playwright)
        with (
            session(browser, base) as (manager_context, manager, manager_answers),
            session(browser, base) as (admin_context, admin, admin_answers),
        ):
            sign_in(manager, base, MANAGER)
            manager.goto(base + LINK)
            wait_settled(manager)
            rows = list(csv.reader(io.StringIO(download(manager, "Weekly metrics (CSV)").decode())))
            assert rows[0] == EXPECTED.read_text().splitlines()[0].split(",")
            assert {row[1] for row in rows[1:]} == {"arlington", "ALL"}

            # The manager's websocket is open on one replica, so the admin's first request goes
            # to the other (fewest connections).
            sign_in(admin, base, ADMIN)
            admin.get_by_role("link", name="Import").click()
            wait_settled(admin)
            admin.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
                str(TWO_WEEKS / "locations.csv")
            )
            expect(admin.get_by_text("locations.csv")).to_be_visible(timeout=30_000)
            import_button = admin.get_by_role("button", name="Import", exact=True)
            expect(import_button).to_be_enabled(timeout=30_000)
            import_button.click()
            expect(admin.get_by_text("Applied: locations.csv (2 rows)")).to_be_visible(
                timeout=60_000
            )

            manager_replica = _replica_cookie(manager_context)
            admin_replica = _replica_cookie(admin_context)
            assert {manager_replica, admin_replica} == {"replica1", "replica2"}
            for answers, replica, kind in (
                (manager_answers, manager_replica, "/media/"),
                (admin_answers, admin_replica, "/_stcore/upload_file/"),
            ):
                assert {served for _, served in answers} == {replica}
                assert any(kind in url for url, _ in answers), f"no {kind} request seen"
        browser.close()


def test_the_proxy_refuses_the_replicas_script_health_check(proxy):
    # It runs the app on a replica; scripts/serve calls it on loopback, visitors may not.
    base, _ = proxy
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/_stcore/script-health-check", timeout=10)
    assert refused.value.code == 403
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as answer:
        assert answer.status == 200
