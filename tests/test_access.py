"""Who may see what: the users list -> Viewer/Scope, the demo database, and the access mode."""

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert

from data.load import import_files, import_frames
from queries.access import (
    AccessMode,
    access_mode,
    is_demo_database,
    viewer_for_email,
)
from queries.schema import user_locations, users
from tests.conftest import TWO_WEEKS

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
    assert viewer.scope.allowed is None


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
    ("auth_configured", "setting", "demo", "expected"),
    [
        (True, None, False, AccessMode.SIGN_IN),
        (True, "off", True, AccessMode.SIGN_IN),  # configured sign-in is never switched off
        (False, None, True, AccessMode.DEMO),
        (False, None, False, AccessMode.SETUP),
        (False, "on", False, AccessMode.SETUP),
        (False, " OFF ", False, AccessMode.OPEN),
        (False, "off", True, AccessMode.OPEN),
        (False, "0", False, AccessMode.SETUP),  # only the explicit word opens the app
    ],
)
def test_access_mode(auth_configured, setting, demo, expected):
    mode = access_mode(auth_configured=auth_configured, auth_setting=setting, demo=demo)
    assert mode is expected
