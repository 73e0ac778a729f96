"""Who may see what: the users list -> Viewer/Scope, the demo database, and the access mode."""

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert

from data.load import import_files, import_frames
from queries.access import (
    AccessMode,
    EmailTrust,
    access_mode,
    cookie_secret_problem,
    is_demo_database,
    is_loopback,
    verified_email,
    viewer_for_email,
)
from queries.schema import user_locations, users
from tests.conftest import TWO_WEEKS

ROOT = Path(__file__).resolve().parents[1]

USERS = (
    "email,role,locations\n"
    "Director@Clinic.example,admin,\n"
    "arl.manager@clinic.example,manager,arlington\n"
    "both@clinic.example,manager,arlington rockville\n"
)


def import_users(engine, tmp_path: Path, text: str = USERS) -> None:
    path = tmp_path / "users.csv"
    path.write_text(text)
    import_files(engine, [TWO_WEEKS / "locations.csv", path])


def store_users(engine) -> None:
    """The users list of `USERS`, stored as the importer stores it (e-mails lower-case)."""
    with engine.begin() as conn:
        conn.execute(
            insert(users),
            [
                {"email": "director@clinic.example", "role": "admin"},
                {"email": "arl.manager@clinic.example", "role": "manager"},
                {"email": "both@clinic.example", "role": "manager"},
            ],
        )
        conn.execute(
            insert(user_locations),
            [
                {"email": "arl.manager@clinic.example", "location_id": "arlington"},
                {"email": "both@clinic.example", "location_id": "arlington"},
                {"email": "both@clinic.example", "location_id": "rockville"},
            ],
        )


def test_users_file_through_the_importer_grants_access(engine, tmp_path):
    import_users(engine, tmp_path)
    with engine.connect() as conn:
        assert viewer_for_email(conn, email="Director@Clinic.example").is_admin
        manager = viewer_for_email(conn, email="both@clinic.example")
    assert manager.scope.allowed == frozenset({"arlington", "rockville"})


def test_admin_sees_every_location_whatever_the_case_of_the_email(engine):
    store_users(engine)
    with engine.connect() as conn:
        viewer = viewer_for_email(conn, email="  director@CLINIC.example ")
    assert viewer.email == "director@clinic.example"
    assert viewer.is_admin and viewer.has_access
    assert viewer.scope.every_location


def test_manager_sees_only_their_listed_locations(engine):
    store_users(engine)
    with engine.connect() as conn:
        one = viewer_for_email(conn, email="arl.manager@clinic.example")
        two = viewer_for_email(conn, email="Both@clinic.example")
    assert one.role == "manager" and not one.is_admin
    assert one.scope.allowed == frozenset({"arlington"})
    assert two.scope.allowed == frozenset({"arlington", "rockville"})
    assert one.scope.narrow(["arlington", "rockville"]) == ["arlington"]


@pytest.mark.parametrize("email", ["stranger@elsewhere.example", "", "   ", None])
def test_anyone_not_listed_sees_no_location(engine, email):
    store_users(engine)
    with engine.connect() as conn:
        viewer = viewer_for_email(conn, email=email)
    assert viewer.role is None and not viewer.is_admin
    assert viewer.scope.allowed == frozenset()
    assert not viewer.has_access
    assert viewer.scope.narrow(["arlington"]) == []


def test_a_new_users_file_replaces_the_old_list(engine, tmp_path):
    import_users(engine, tmp_path)
    import_users(engine, tmp_path, "email,role,locations\nnew@clinic.example,admin,\n")
    with engine.connect() as conn:
        assert not viewer_for_email(conn, email="director@clinic.example").has_access
        assert viewer_for_email(conn, email="new@clinic.example").is_admin


def test_empty_database_is_not_a_demo(engine):
    with engine.connect() as conn:
        assert not is_demo_database(conn)


def test_database_with_only_generator_imports_is_a_demo(engine):
    frame = pd.read_csv(TWO_WEEKS / "locations.csv", dtype=str, keep_default_na=False)
    import_frames(engine, {"locations": frame}, source="generator")
    with engine.connect() as conn:
        assert is_demo_database(conn)


def test_one_real_import_makes_the_database_not_a_demo(engine):
    frame = pd.read_csv(TWO_WEEKS / "locations.csv", dtype=str, keep_default_na=False)
    import_frames(engine, {"locations": frame}, source="generator")
    import_files(engine, [TWO_WEEKS / "closures.csv", TWO_WEEKS / "locations.csv"])
    with engine.connect() as conn:
        assert not is_demo_database(conn)


def test_a_source_that_merely_starts_with_generator_is_not_a_demo(engine):
    frame = pd.read_csv(TWO_WEEKS / "locations.csv", dtype=str, keep_default_na=False)
    import_frames(engine, {"locations": frame}, source="generators-of-real-data")
    with engine.connect() as conn:
        assert not is_demo_database(conn)


@pytest.mark.parametrize(
    ("auth_configured", "setting", "demo", "loopback", "expected"),
    [
        (True, None, False, False, AccessMode.SIGN_IN),
        # configured sign-in is never switched off
        (True, "off", True, True, AccessMode.SIGN_IN),
        (False, None, True, False, AccessMode.DEMO),
        (False, None, False, True, AccessMode.SETUP),
        (False, "on", False, True, AccessMode.SETUP),
        (False, " OFF ", False, True, AccessMode.OPEN),
        (False, "off", True, True, AccessMode.OPEN),
        (False, "0", False, True, AccessMode.SETUP),  # only the explicit word opens the app
        # off, but reachable from the network: the setup message, even on the demo database
        (False, "off", False, False, AccessMode.SETUP),
        (False, "off", True, False, AccessMode.SETUP),
    ],
)
def test_access_mode(auth_configured, setting, demo, loopback, expected):
    mode = access_mode(
        auth_configured=auth_configured, auth_setting=setting, demo=demo, loopback=loopback
    )
    assert mode is expected
    # The same from a function that reads the database, called only where the mode depends on
    # it: not with sign-in, not with DASHBOARD_AUTH=off.
    asked = []

    def read() -> bool:
        asked.append(True)
        return demo

    mode = access_mode(
        auth_configured=auth_configured, auth_setting=setting, demo=read, loopback=loopback
    )
    assert mode is expected
    decided_without_it = auth_configured or (setting or "").strip().lower() == "off"
    assert asked == ([] if decided_without_it else [True])


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (None, False),  # Streamlit's default: every interface
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("dashboard.example.org", False),
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
    ],
)
def test_only_a_loopback_address_counts_as_this_machine_alone(address, expected):
    assert is_loopback(address) is expected


def _example_cookie_secret() -> str:
    example = ROOT / ".streamlit" / "secrets.toml.example"
    return tomllib.loads(example.read_text())["auth"]["cookie_secret"]


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("x" * 31, "shorter than 32"),
        ("correct horse battery staple!", "shorter than 32"),
        ("ab" * 40, "does not look random"),
    ],
)
def test_a_weak_cookie_secret_is_refused_with_its_reason(secret, reason):
    assert reason in cookie_secret_problem(secret)


def test_the_examples_cookie_secret_is_refused_whatever_its_length():
    assert "example" in cookie_secret_problem(_example_cookie_secret())


def test_a_long_random_cookie_secret_is_accepted():
    assert cookie_secret_problem("Zq4-Vt8_mW2pLr7yKc9XbN3dHs6JfGa1") is None  # 32 characters


TRUST = EmailTrust.from_settings(
    {
        "trust_unverified_issuers": ["https://login.clinic.example"],
        "trust_unverified_domains": ["@Clinic.Example"],
    }
)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "a@x.example", "email_verified": True}, "a@x.example"),
        ({"email": "a@x.example", "email_verified": "true"}, "a@x.example"),
        ({"email": "a@x.example", "email_verified": False}, None),
        ({"email": "a@x.example", "email_verified": "false"}, None),
        ({"email": "a@x.example"}, None),  # the claim missing is not a yes
        ({"email": "a@x.example", "iss": "https://login.clinic.example"}, "a@x.example"),
        ({"email": "a@x.example", "iss": "https://login.clinic.example.evil"}, None),
        ({"email": "m@clinic.example"}, "m@clinic.example"),
        ({"email": "m@sub.clinic.example"}, None),  # a domain is trusted exactly
        ({"email": "m@clinic.example", "email_verified": False}, None),  # an explicit no wins
        ({"email_verified": True}, None),
    ],
)
def test_only_a_verified_or_explicitly_trusted_email_is_used(claims, expected):
    assert verified_email(claims, TRUST) == expected


def test_no_trust_settings_trust_nobody_without_the_claim():
    assert verified_email({"email": "m@clinic.example"}, EmailTrust.from_settings({})) is None
