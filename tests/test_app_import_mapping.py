"""The Import page's mapping step as Streamlit runs it (AppTest): an export that is no contract
file is mapped, previewed as contract rows with its errors, imported, and recognised next time."""

import hashlib
import hmac
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data.load import import_files
from data.mapping_store import saved_mapping
from queries import schema
from queries.db import open_database
from tests.test_app_import_page import ADMIN, AUTH

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "main.py")
EXPORT = (ROOT / "data" / "examples" / "appointments.csv").read_bytes()
KEY = "a-deployment-key-for-tests"
LOCATIONS = (
    "location_id,name,city,state\narlington,Arlington,Arlington,VA\nbethesda,Bethesda,Bethesda,MD\n"
)


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    (tmp_path / "locations.csv").write_text(LOCATIONS)
    url = f"sqlite:///{tmp_path / 'clinic.sqlite'}"
    (tmp_path / "users.csv").write_text(f"email,role,locations\n{ADMIN},admin,\n")
    engine = open_database(url)
    import_files(engine, [tmp_path / "locations.csv", tmp_path / "users.csv"])
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    monkeypatch.setenv("PATIENT_REF_KEY", KEY)
    return url


def _bookings(url: str) -> int:
    engine = open_database(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(schema.bookings))
    engine.dispose()
    return count


def _upload(name: str, content: bytes) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH  # a signed-in admin
    at.user = {"is_logged_in": True, "email": ADMIN, "email_verified": True}
    at.run()
    at.switch_page("app_pages/import_files.py").run()
    at.file_uploader(key="import_uploads").set_value((name, content, "text/csv")).run()
    assert not at.exception
    return at


def test_an_export_is_mapped_previewed_imported_and_recognised_next_time(url):
    at = _upload("week-48.csv", EXPORT)
    # Proposed by names and values; the one appointment type that says nothing is left open.
    assert at.selectbox(key="map_bookings_status").value == "Status"
    assert at.selectbox(key="map_bookings_status_v_Late Canceled").value == "late_cancel"
    assert at.selectbox(key="map_bookings_status_v_Clinician Canceled").value == "cancelled"
    assert at.selectbox(key="map_bookings_patient_ref").value == "Patient ID"
    assert "Patient Name" not in at.selectbox(key="map_bookings_patient_ref").options
    assert any("'Spravato Monitoring' is not mapped" in w.value for w in at.warning)
    assert at.button(key="map_import").disabled

    at.selectbox(key="map_bookings_kind_v_Spravato Monitoring").set_value("other").run()
    preview = at.dataframe[0].value
    first = preview.iloc[0].to_dict()
    assert first == {
        "booking_id": "A-20451",
        "location_id": "arlington",
        "patient_ref": hmac.new(KEY.encode(), b"P-10234", hashlib.sha256).hexdigest()[:32],
        "kind": "initial",
        "starts_at": "2026-11-23 09:00:00",
        "duration_minutes": "90",
        "status": "completed",
        "booked_at": "2026-11-16 14:12:00",
    }
    assert preview["status"].tolist()[:3] == ["completed", "no_show", "completed"]
    assert _bookings(url) == 0  # nothing stored by the preview

    at.button(key="map_import").click().run()
    assert [s.value for s in at.success][-1] == "Applied: week-48.csv (8 rows)"
    assert _bookings(url) == 8

    again = _upload("week-49.csv", EXPORT)
    assert "mapping **week-48** (bookings)" in again.success[0].value
    assert not again.button(key="map_import").disabled


def test_an_unmapped_status_in_a_recognised_export_is_shown_before_anything_is_stored(url):
    at = _upload("week-48.csv", EXPORT)
    at.selectbox(key="map_bookings_kind_v_Spravato Monitoring").set_value("other").run()
    at.button(key="map_import").click().run()
    changed = EXPORT.replace(b",No Show,", b",Rescheduled,")
    again = _upload("week-49.csv", changed)
    errors = again.dataframe[-1].value
    assert errors.to_dict("records") == [
        {
            "file": "week-49.csv",
            "line": 3,
            "column": "Status",
            "value": "Rescheduled",
            "reason": "not in the mapping's values for status: add this value to its value map",
        }
    ]
    assert again.button(key="map_import").disabled
    assert _bookings(url) == 8

    # The saved mapping opens in the editor with the new value listed, to be mapped.
    again.toggle(key="map_change").set_value(True).run()
    assert again.selectbox(key="map_bookings_status_v_No Show").value == "no_show"
    again.selectbox(key="map_bookings_status_v_Rescheduled").set_value("cancelled").run()
    assert not again.button(key="map_import").disabled
    again.button(key="map_import").click().run()
    assert [s.value for s in again.success][-1] == "Applied: week-49.csv (8 rows)"
    engine = open_database(url)
    saved = saved_mapping(engine, "week-48").fields["status"].values
    engine.dispose()
    assert saved == {
        "Checked Out": "completed",
        "Arrived": "completed",
        "Late Canceled": "late_cancel",
        "Canceled": "cancelled",
        "Rescheduled": "cancelled",
        "Clinician Canceled": "cancelled",
        "Scheduled": "scheduled",
        "No Show": "no_show",
    }
