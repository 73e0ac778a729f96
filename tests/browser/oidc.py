"""Sign-in for browser tests: a mock OpenID provider on loopback and the app configured for it.

The provider is `oidc-provider-mock`: its authorize page takes any subject, which it also
returns as the `email` claim, so typing an address signs in as that address; `sign_in` first
sets that subject's claims so that the provider also says the address is verified.
"""

import json
import os
import secrets
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Page
from sqlalchemy import insert

from data.load import import_files
from queries.db import open_database
from queries.schema import user_locations, users
from tests.browser.streamlit_server import free_port, serve, wait_settled
from tests.conftest import TWO_WEEKS

ADMIN = "director@clinic.example"
MANAGER = "arl.manager@clinic.example"
EXPECTED = TWO_WEEKS / "expected-weekly-metrics.csv"


def clinic_with_users(path: Path) -> str:
    """A SQLite database at `path` holding the hand-checked two-weeks fixture (rockville,
    arlington; imported from files, so it is not a demo and sign-in is required) and a users
    list: `ADMIN` and arlington's `MANAGER`. Returns its URL."""
    url = f"sqlite:///{path}"
    engine = open_database(url)
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if p != EXPECTED])
    # The users list as the importer stores it (lower-case e-mails, one row per location).
    with engine.begin() as conn:
        conn.execute(
            insert(users),
            [{"email": ADMIN, "role": "admin"}, {"email": MANAGER, "role": "manager"}],
        )
        conn.execute(insert(user_locations), [{"email": MANAGER, "location_id": "arlington"}])
    engine.dispose()
    return url


@contextmanager
def oidc_provider() -> Iterator[str]:
    """A mock OpenID provider on a free loopback port; yields its issuer URL."""
    # The mock refuses plain http unless told this is a test.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


def write_secrets(path: Path, *, issuer: str, port: int) -> Path:
    """A secrets.toml whose `[auth]` section points at `issuer`, for an app on `port`."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "dashboard"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
    return path


@contextmanager
def signin_dashboard(database_url: str, *, issuer: str, folder: Path) -> Iterator[str]:
    """The app on a free port, sign-in configured for `issuer`; yields its base URL.

    Streamlit reads secrets from the files in its `secrets.files` option, given here on the
    command line, so the test never touches the project's own `.streamlit/secrets.toml`.
    """
    port = free_port()
    secrets_file = write_secrets(folder / "secrets.toml", issuer=issuer, port=port)
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_AUTH"}
    env |= {"DATABASE_URL": database_url, "AUTHLIB_INSECURE_TRANSPORT": "1"}
    with serve(port, env=env, options=("--secrets.files", str(secrets_file))) as base:
        yield base


def _set_claims(issuer: str, subject: str, claims: dict[str, object]) -> None:
    """The claims the mock provider returns for `subject` (its `PUT /users/<sub>`)."""
    request = urllib.request.Request(
        f"{issuer}/users/{urllib.parse.quote(subject)}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204


def sign_in(page: Page, base: str, email: str, *, verified: bool | None = True) -> None:
    """Open the app, press Sign in, and authorise as `email` at the mock provider; returns once
    the provider has sent the browser back to the app (which then starts its run).

    The provider sends `email_verified` as `verified`, and none at all for None (the mock's own
    default, as some providers do)."""
    page.goto(base)
    wait_settled(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name=sub]", timeout=30_000)
    if verified is not None:
        issuer = urlsplit(page.url)._replace(path="", query="", fragment="").geturl()
        _set_claims(issuer, email, {"email": email, "email_verified": verified})
    page.fill("input[name=sub]", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
