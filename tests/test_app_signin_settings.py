"""Sign-in settings that are only safe when set right (AppTest): a weak cookie secret, an
unverified e-mail, DASHBOARD_AUTH=off on a reachable address, and a database error before
sign-in each get a plain page, never data and never the driver's text."""

import logging
from pathlib import Path

import pytest
from sqlalchemy import insert
from streamlit import config
from streamlit.testing.v1 import AppTest

from data.load import import_files
from queries.db import open_database
from queries.schema import users
from tests.conftest import TWO_WEEKS

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")
ADMIN = "director@clinic.example"
GOOD_SECRET = "Zq4-Vt8_mW2pLr7yKc9XbN3dHs6JfGa1-test"
ISSUER = "http://127.0.0.1:9"


def _auth(cookie_secret: str = GOOD_SECRET) -> dict[str, str]:
    return {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": cookie_secret,
        "client_id": "dashboard",
        "client_secret": "test-secret",
        "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
    }


@pytest.fixture(scope="module")
def clinic_url(tmp_path_factory) -> str:
    """Clinic data imported from files (not a demo) and one admin."""
    url = f"sqlite:///{tmp_path_factory.mktemp('signin') / 'clinic.sqlite'}"
    engine = open_database(url)
    import_files(engine, [TWO_WEEKS / f"{kind}.csv" for kind in ("locations", "capacity")])
    with engine.begin() as conn:
        conn.execute(insert(users), [{"email": ADMIN, "role": "admin"}])
    engine.dispose()
    return url


@pytest.fixture
def app(clinic_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", clinic_url)
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    monkeypatch.delenv("DASHBOARD_PROXY_ADDRESS", raising=False)
    return AppTest.from_file(APP, default_timeout=60)


@pytest.fixture
def listen_on():
    """Set Streamlit's `server.address` for the test, as `--server.address` would."""
    before = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", before)


def _shows_no_data(at: AppTest) -> None:
    assert not at.exception
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe
    assert "Arlington" not in " ".join(str(element.value) for element in at.markdown)


def _sign_in_button(at: AppTest) -> bool:
    return any(button.label == "Sign in" for button in at.button)


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("replace-with-a-long-random-string", "still the example's value"),
        ("short-but-random-9f3k", "shorter than 32 characters"),
    ],
)
def test_a_weak_cookie_secret_shows_the_setup_page_not_sign_in(app, secret, reason):
    app.secrets["auth"] = _auth(secret)
    app.user = {"is_logged_in": False}
    app.run()
    _shows_no_data(app)
    assert not _sign_in_button(app)
    assert reason in app.error[0].value
    assert "token_urlsafe" in app.markdown[0].value


def test_a_strong_cookie_secret_offers_sign_in(app):
    app.secrets["auth"] = _auth()
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception and not app.error
    assert _sign_in_button(app)


def test_a_listed_user_whose_provider_does_not_say_verified_has_no_access(app):
    app.secrets["auth"] = _auth()
    app.user = {"is_logged_in": True, "email": ADMIN, "iss": ISSUER}
    app.run()
    _shows_no_data(app)
    assert "has no access" in app.info[0].value


@pytest.mark.parametrize(
    "signin",
    [{"trust_unverified_issuers": [ISSUER]}, {"trust_unverified_domains": ["clinic.example"]}],
    ids=["issuer", "domain"],
)
def test_an_admin_can_trust_a_provider_that_does_not_send_email_verified(app, signin):
    app.secrets["auth"] = _auth()
    app.secrets["signin"] = signin
    app.user = {"is_logged_in": True, "email": ADMIN, "iss": ISSUER}
    app.run()
    assert not app.exception and not app.info
    assert app.metric  # the Overview's cards: the admin is in


def test_a_verified_email_signs_in(app):
    app.secrets["auth"] = _auth()
    app.user = {"is_logged_in": True, "email": ADMIN, "email_verified": True, "iss": ISSUER}
    app.run()
    assert not app.exception and not app.info
    assert app.metric


@pytest.mark.parametrize("address", [None, "0.0.0.0", "192.168.1.20"])
def test_auth_off_on_a_reachable_address_shows_the_setup_message(
    app, monkeypatch, listen_on, address
):
    monkeypatch.setenv("DASHBOARD_AUTH", "off")
    listen_on(address)
    app.run()
    _shows_no_data(app)
    assert "DASHBOARD_AUTH=off is set, but this server listens on" in app.error[0].value
    assert "--server.address 127.0.0.1" in app.markdown[0].value


def test_auth_off_behind_a_proxy_on_a_reachable_address_shows_the_setup_message(
    app, monkeypatch, listen_on
):
    # scripts/serve: the replica listens on loopback, its proxy on every interface.
    monkeypatch.setenv("DASHBOARD_AUTH", "off")
    monkeypatch.setenv("DASHBOARD_PROXY_ADDRESS", "0.0.0.0")
    listen_on("127.0.0.1")
    app.run()
    _shows_no_data(app)
    assert "listens on 0.0.0.0" in app.error[0].value


def test_auth_off_on_loopback_runs_open_with_a_banner(app, monkeypatch, listen_on):
    monkeypatch.setenv("DASHBOARD_AUTH", "off")
    listen_on("127.0.0.1")
    app.run()
    assert not app.exception and not app.error
    assert "Sign-in is off" in app.warning[0].value
    assert app.metric


def test_a_database_error_before_sign_in_is_plain_and_logged(monkeypatch, caplog):
    url = "postgresql+psycopg://clinic_reader@127.0.0.1:9/clinic_records"
    monkeypatch.setenv("DATABASE_URL", url)
    with caplog.at_level(logging.ERROR, logger="dashboard"):
        at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    shown = " ".join(error.value for error in at.error)
    assert "cannot be reached right now" in shown
    for detail in ("clinic_reader", "127.0.0.1", "clinic_records", "5432", ":9", "psycopg"):
        assert detail not in shown
    assert "127.0.0.1" in caplog.text and "port 9" in caplog.text
