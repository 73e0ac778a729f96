"""Exports imported through a mapping, on SQLite and PostgreSQL: the same as the contract import
of the same rows, refused whole with errors in the export's words, and recognised by headers."""

import hashlib
import hmac
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.load import ImportRefused, import_files, import_mapped, main
from data.mapping import MappingRefused
from data.mapping_files import read_mapping
from data.mapping_store import EXAMPLES, find_mapping, recognised, save_mapping
from data.patient_ref import MissingKey
from queries import schema

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "data" / "examples"
KEY = "a-deployment-key-for-tests"
LOCATIONS = (
    "location_id,name,city,state,timezone\n"
    "arlington,Arlington,Arlington,VA,America/New_York\n"
    "bethesda,Bethesda,Bethesda,MD,America/New_York\n"
)


def _ref(patient_id: str) -> str:
    return hmac.new(KEY.encode(), patient_id.encode(), hashlib.sha256).hexdigest()[:32]


# data/examples/appointments.csv as a contract file, written by hand: 12-hour times read,
# durations from Start to End, kinds by the appointment type, statuses by the value map.
BOOKINGS = f"""booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status,booked_at
A-20451,arlington,{_ref("P-10234")},initial,2026-11-23 09:00,90,completed,2026-11-16 14:12
A-20452,arlington,{_ref("P-10877")},initial,2026-11-23 11:00,90,no_show,2026-11-17 09:40
A-20453,bethesda,{_ref("P-11020")},booster,2026-11-24 10:00,90,completed,2026-11-10 16:05
A-20454,arlington,{_ref("P-10234")},initial,2026-11-25 09:00,90,completed,2026-11-16 14:14
A-20455,bethesda,{_ref("P-11391")},initial,2026-11-25 13:00,90,late_cancel,2026-11-18 11:20
A-20456,arlington,{_ref("P-11502")},other,2026-11-26 14:00,120,cancelled,2026-11-19 08:55
A-20457,arlington,{_ref("P-10877")},initial,2026-11-27 11:00,90,cancelled,2026-11-17 09:45
A-20458,bethesda,{_ref("P-11020")},booster,2026-12-08 10:00,90,scheduled,2026-11-24 11:02
"""
# data/examples/callrail-calls.csv as a contract file: answered calls are first contacts.
CONSULTATIONS = "\n".join(
    [
        "request_id,location_id,received_at,channel,first_contact_at,consult_status",
        "CAL8154748ae6bd4e278a7cddd38a662f4f,arlington"
        ",2026-11-23 09:14:02,phone,2026-11-23 09:14:02,pending",
        "CAL2a9e1c0d7b3f4e6a8c5d2b1e0f9a8c7d,arlington,2026-11-23 11:40:51,phone,,pending",
        "CAL5f0e4d3c2b1a49876543210fedcba987,arlington"
        ",2026-11-23 16:02:17,referral,2026-11-23 16:02:17,pending",
        "CAL9b8a7c6d5e4f43210a1b2c3d4e5f6a7b,arlington"
        ",2026-11-24 08:55:39,phone,2026-11-24 08:55:39,pending",
        "CAL0c1d2e3f4a5b46789c0d1e2f3a4b5c6d,arlington,2026-11-24 13:21:08,phone,,pending",
        "CAL7e6d5c4b3a2f41098e7d6c5b4a3f2e1d,arlington"
        ",2026-11-25 10:07:44,phone,2026-11-25 10:07:44,pending",
        "CAL3a4b5c6d7e8f49012a3b4c5d6e7f8a9b,arlington"
        ",2026-11-26 15:33:25,phone,2026-11-26 15:33:25,pending",
        "CAL6f5e4d3c2b1a40987f6e5d4c3b2a1f0e,arlington,2026-11-27 09:48:13,referral,,pending",
        "",
    ]
)


@pytest.fixture
def with_locations(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PATIENT_REF_KEY", KEY)
    (tmp_path / "locations.csv").write_text(LOCATIONS)
    import_files(engine, [tmp_path / "locations.csv"])
    return engine


def _stored(engine) -> dict[str, list[tuple]]:
    tables = (schema.bookings, schema.consultations, schema.daily_location_stats)
    with engine.connect() as conn:
        return {t.name: sorted(tuple(row) for row in conn.execute(select(t)).all()) for t in tables}


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


@pytest.mark.parametrize(
    ("name", "contract", "kind"),
    [("appointments", BOOKINGS, "bookings"), ("callrail-calls", CONSULTATIONS, "consultations")],
)
def test_a_mapped_import_stores_what_the_contract_import_of_the_same_rows_stores(
    with_locations, tmp_path, name, contract, kind
):
    engine = with_locations
    mapping = read_mapping(EXAMPLES / f"{name}.toml")
    summary = import_mapped(engine, [EXPORTS / f"{name}.csv"], mapping)
    assert [(f.rows, f.inserted) for f in summary.files] == [(8, 8)]
    mapped = _stored(engine)
    # The contract file of the same rows replaces every row by itself: nothing may change.
    (tmp_path / f"{kind}.csv").write_text(contract)
    again = import_files(engine, [tmp_path / f"{kind}.csv"])
    assert [(f.rows, f.inserted, f.updated) for f in again.files] == [(8, 0, 8)]
    assert _stored(engine) == mapped
    assert len(mapped[kind]) == 8


def test_an_unmapped_status_value_refuses_the_file_and_stores_nothing(with_locations, tmp_path):
    engine = with_locations
    text = (EXPORTS / "appointments.csv").read_text().replace(",No Show,", ",Rescheduled,")
    export = tmp_path / "export.csv"
    export.write_text(text)
    with pytest.raises(ImportRefused) as refused:
        import_mapped(engine, [export], read_mapping(EXAMPLES / "appointments.toml"))
    assert [str(e) for e in refused.value.errors] == [
        f"{export}:3: column 'Status' = 'Rescheduled': not in the mapping's values for status: "
        "add this value to its value map"
    ]
    assert refused.value.refused == [str(export)]
    assert _count(engine, schema.bookings) == 0


def test_contract_errors_of_mapped_rows_name_the_source_column(with_locations, tmp_path):
    engine = with_locations
    text = (EXPORTS / "appointments.csv").read_text().replace(",Bethesda,", ",Potomac,", 1)
    text = text.replace(
        "11/23/2026 11:00 AM,11/23/2026 12:30 PM", "11/23/2026 11:00 AM,11/23/2026 11:00 AM"
    )
    export = tmp_path / "export.csv"
    export.write_text(text)
    mapping = read_mapping(EXAMPLES / "appointments.toml")
    mapping.fields["location_id"].values["Potomac"] = "potomac"
    with pytest.raises(ImportRefused) as refused:
        import_mapped(engine, [export], mapping)
    assert [str(e) for e in refused.value.errors] == [
        f"{export}:3: column 'Start to End' = '0': as duration_minutes: must be between 1 and 720",
        f"{export}:4: column 'Location' = 'potomac': as location_id: unknown location "
        "(not in locations)",
    ]
    assert _count(engine, schema.bookings) == 0


def test_a_mapping_missing_a_required_field_is_refused_before_anything_is_read(with_locations):
    mapping = read_mapping(EXAMPLES / "appointments.toml")
    del mapping.fields["status"]
    with pytest.raises(MappingRefused, match="required field 'status' is not mapped"):
        import_mapped(with_locations, [EXPORTS / "appointments.csv"], mapping)


def test_hashing_patient_ids_needs_the_deployments_key(with_locations, monkeypatch):
    monkeypatch.delenv("PATIENT_REF_KEY")
    monkeypatch.setattr("data.patient_ref.SECRETS_FILE", Path("/nonexistent/secrets.toml"))
    mapping = read_mapping(EXAMPLES / "appointments.toml")
    with pytest.raises(MissingKey, match="PATIENT_REF_KEY"):
        import_mapped(with_locations, [EXPORTS / "appointments.csv"], mapping)
    assert _count(with_locations, schema.bookings) == 0


def test_a_saved_mapping_is_recognised_by_its_set_of_headers(engine):
    mapping = read_mapping(EXAMPLES / "appointments.toml")
    save_mapping(engine, mapping, saved_by="admin@example.org")
    shuffled = [h.upper() + " " for h in reversed(mapping.headers)]
    assert recognised(engine, shuffled) == mapping
    assert recognised(engine, [*mapping.headers, "Notes"]) is None
    assert recognised(engine, mapping.headers[1:]) is None
    assert find_mapping(engine, "appointments") == mapping


def test_cli_imports_an_export_through_a_mapping_file_and_saves_the_mapping(
    with_locations, db_url, tmp_path, capsys
):
    copy = tmp_path / "weekly.toml"
    shutil.copy(EXAMPLES / "callrail-calls.toml", copy)
    export = str(EXPORTS / "callrail-calls.csv")
    assert main(["--db", db_url, "--mapping", str(copy), export]) == 0
    assert capsys.readouterr().out == f"{export}: 8 rows (8 inserted, 0 updated)\n"
    assert recognised(with_locations, read_mapping(copy).headers) == read_mapping(copy)
    assert main(["--db", db_url, "--mapping", "nothing-such", export]) == 2
    assert "no mapping named 'nothing-such'" in capsys.readouterr().err


def test_an_xlsx_export_with_typed_date_cells_maps_like_its_csv(with_locations, tmp_path):
    engine = with_locations
    mapping = read_mapping(EXAMPLES / "appointments.toml")
    import_mapped(engine, [EXPORTS / "appointments.csv"], mapping)
    from_csv = _stored(engine)
    frame = pd.read_csv(EXPORTS / "appointments.csv", dtype=str)
    for column in ("Start", "End", "Created"):  # cells a spreadsheet holds as dates
        frame[column] = pd.to_datetime(frame[column], format="%m/%d/%Y %I:%M %p")
    frame["Status"] = frame["Status"].replace({"Arrived": "arrived"})  # codes in any case
    frame.to_excel(tmp_path / "export.xlsx", index=False, sheet_name="Appointments")
    again = import_mapped(engine, [tmp_path / "export.xlsx"], mapping)
    assert [(f.rows, f.inserted, f.updated) for f in again.files] == [(8, 0, 8)]
    assert _stored(engine) == from_csv
