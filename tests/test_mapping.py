"""Column mappings without a database: refusals, value maps, rules, durations, the keyed hash."""

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from data.mapping import (
    Condition,
    ExportMapping,
    MappingRefused,
    Match,
    Source,
    apply,
    check,
    identifying,
    problems,
)
from data.mapping_files import parse_mapping, to_toml
from data.mapping_proposal import propose
from data.mapping_store import EXAMPLES
from data.patient_ref import MissingKey, keyed_ref, settings_key

KEY = b"a-test-key-of-24-chars!!"
HEADERS = ("Appt", "Patient ID", "Patient Name", "Mobile Phone", "DOB", "Type", "Start", "End")
HEADERS += ("Status",)


def _bookings(**changed: Source) -> ExportMapping:
    fields = {
        "booking_id": Source(column="Appt"),
        "location_id": Source(value="rockville"),
        "patient_ref": Source(hash="Patient ID"),
        "kind": Source(column="Type", rules=(Match("booster", "booster"),), otherwise="initial"),
        "starts_at": Source(column="Start", format="%d.%m.%Y %H:%M"),
        "duration_minutes": Source(minutes_between=("Start", "End"), format="%d.%m.%Y %H:%M"),
        "status": Source(column="Status", values={"Arrived": "completed", "No Show": "no_show"}),
    }
    fields.update(changed)
    return ExportMapping("test", "bookings", HEADERS, {k: v for k, v in fields.items() if v})


def _export(*rows: tuple) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(list(rows), columns=list(HEADERS), dtype=object)
    return frame, np.arange(len(frame)) + 2


def test_identifying_columns_are_recognised_by_their_names():
    for header in ("Patient Name", "customer_name", "First Name", "Name", "Mobile Phone"):
        assert identifying(header) is not None, header
    for header in ("customer_phone_number", "E-mail", "Email Address", "Home Address", "DOB"):
        assert identifying(header) is not None, header
    for header in ("Date of Birth", "zip", "SSN", "Social Security Number"):
        assert identifying(header) is not None, header
    for header in ("Location Name", "Appointment Type", "Provider Name", "Social Media", "id"):
        assert identifying(header) is None, header


def test_a_complete_mapping_has_no_problems():
    assert problems(_bookings()) == []


def test_an_unmapped_required_field_is_refused_with_its_name():
    with pytest.raises(MappingRefused) as refused:
        check(_bookings(status=None))
    assert refused.value.problems == [
        "required field 'status' is not mapped: choose a source column, a fixed value or a rule "
        "for it"
    ]


def test_a_mapping_reading_an_identifying_column_is_refused():
    found = problems(_bookings(patient_ref=Source(hash="Mobile Phone")))
    assert found == [
        "patient_ref: source column 'Mobile Phone' holds a phone number of a patient, which is "
        "never stored; such columns are dropped by every mapping"
    ]
    found = problems(_bookings(booking_id=Source(column="Patient Name")))
    assert found == [
        "booking_id: source column 'Patient Name' holds a name of a patient, which is never "
        "stored; such columns are dropped by every mapping"
    ]


def test_patient_ref_copied_from_a_column_is_refused():
    found = problems(_bookings(patient_ref=Source(column="Patient ID")))
    assert len(found) == 1
    assert found[0].startswith("patient_ref: made only by `hash")


def test_a_value_outside_the_contract_codes_is_refused_in_the_mapping():
    found = problems(_bookings(status=Source(column="Status", values={"Arrived": "done"})))
    assert found == [
        "status: 'done' is not one of scheduled, completed, no_show, late_cancel, cancelled"
    ]


def test_rows_are_mapped_to_contract_rows():
    frame, lines = _export(
        ("A1", "77", "Ann", "5", "", "Infusion", "02.03.2026 09:00", "02.03.2026 10:40", "arrived"),
        ("A2", "78", "", "", "", "Booster IV", "03.03.2026 14:15", "03.03.2026 15:45", "No Show"),
    )  # fmt: skip
    mapped = apply(_bookings(), frame, lines, source="export.csv", key=KEY)
    assert mapped.errors == []
    assert mapped.rows.to_dict("records") == [
        {
            "booking_id": "A1",
            "location_id": "rockville",
            "patient_ref": hmac.new(KEY, b"77", hashlib.sha256).hexdigest()[:32],
            "kind": "initial",
            "starts_at": "2026-03-02 09:00:00",
            "duration_minutes": "100",
            "status": "completed",
        },
        {
            "booking_id": "A2",
            "location_id": "rockville",
            "patient_ref": hmac.new(KEY, b"78", hashlib.sha256).hexdigest()[:32],
            "kind": "booster",
            "starts_at": "2026-03-03 14:15:00",
            "duration_minutes": "90",
            "status": "no_show",
        },
    ]
    assert "Patient Name" not in mapped.rows.columns


def test_an_unmapped_source_value_is_an_error_naming_file_line_and_source_column():
    frame, lines = _export(
        ("A1", "77", "", "", "", "Infusion", "02.03.2026 09:00", "02.03.2026 10:40", "Arrived"),
        ("A2", "78", "", "", "", "Infusion", "2.3.26 9am", "02.03.2026 10:40", "Rescheduled"),
    )
    mapped = apply(_bookings(), frame, lines, source="export.csv", key=KEY)
    assert [str(e) for e in mapped.errors] == [
        "export.csv:3: column 'Start' = '2.3.26 9am': not a date and time in the format "
        "%d.%m.%Y %H:%M",
        "export.csv:3: column 'Status' = 'Rescheduled': not in the mapping's values for status: "
        "add this value to its value map",
    ]


def test_a_column_the_mapping_reads_missing_from_the_file_is_reported_on_the_header():
    frame, lines = _export()
    mapped = apply(_bookings(), frame.drop(columns=["Status"]), lines, source="x.csv", key=KEY)
    assert [str(e) for e in mapped.errors] == [
        "x.csv:1: column 'Status' = '': column is missing from the file (the mapping reads it)"
    ]


def test_only_if_keeps_a_value_on_the_rows_that_hold_the_condition():
    mapping = ExportMapping(
        "calls",
        "consultations",
        ("id", "start_time", "answered"),
        {
            "request_id": Source(column="id"),
            "location_id": Source(value="rockville"),
            "received_at": Source(column="start_time"),
            "channel": Source(value="phone"),
            "first_contact_at": Source(
                column="start_time", only_if=Condition("answered", ("true",))
            ),
            "consult_status": Source(value="pending"),
        },
    )
    frame = pd.DataFrame(
        {"id": ["c1", "c2"], "start_time": ["2026-03-02T09:00", "2026-03-02T10:00"]}
        | {"answered": ["TRUE", "false"]}
    )
    rows = apply(check(mapping), frame, np.array([2, 3]), source="calls.csv").rows
    assert rows["first_contact_at"].tolist()[0] == "2026-03-02T09:00"
    assert pd.isna(rows["first_contact_at"].tolist()[1])


def test_keyed_hash_is_hmac_sha256_of_the_id():
    # RFC 4231-style known answer (the HMAC-SHA256 example of the key "key").
    text = "The quick brown fox jumps over the lazy dog"
    assert keyed_ref(text, b"key") == "f7bc83f430538424b13298e6aa6fb143"
    assert keyed_ref("P-1", KEY) == keyed_ref("P-1", KEY)
    assert keyed_ref("P-1", KEY) != keyed_ref("P-1", KEY + b"x")


def test_the_key_comes_from_the_environment_or_secrets_and_is_required(monkeypatch, tmp_path):
    monkeypatch.delenv("PATIENT_REF_KEY", raising=False)
    missing = tmp_path / "secrets.toml"
    with pytest.raises(MissingKey, match="PATIENT_REF_KEY"):
        settings_key(missing)
    missing.write_text('patient_ref_key = "short"\n')
    with pytest.raises(MissingKey, match="shorter than 16"):
        settings_key(missing)
    missing.write_text('patient_ref_key = "from-the-secrets-file"\n')
    assert settings_key(missing) == b"from-the-secrets-file"
    monkeypatch.setenv("PATIENT_REF_KEY", "from-the-environment!")
    assert settings_key(missing) == b"from-the-environment!"


def test_mappings_written_as_toml_read_back_the_same():
    mapping = _bookings(
        booking_id=Source(column='Appt "no." \\ \x7f é'),
        status=Source(column="Status", values={"Arrived": "completed", "Ño Show": "no_show"}),
    )
    assert parse_mapping(to_toml(mapping)) == mapping


@pytest.mark.parametrize("name", ["appointments", "callrail-calls"])
def test_the_shipped_examples_are_usable_and_drop_patient_details(name):
    mapping = check(parse_mapping((EXAMPLES / f"{name}.toml").read_text()))
    assert mapping.name == name
    dropped = {"appointments": ["Patient Name", "Patient Phone", "Date of Birth"]}
    assert mapping.dropped() == dropped.get(
        name, ["customer_name", "customer_phone_number", "customer_city"]
    )


def test_a_proposal_reads_names_and_values_and_leaves_unclear_values_open():
    frame = pd.read_csv(EXAMPLES.parent / "examples" / "appointments.csv", dtype=str)
    locations = {"arlington": "Arlington", "bethesda": "Bethesda", "rockville": "Rockville"}
    proposal = propose("bookings", frame, name="appointments", locations=locations)
    clock = "%m/%d/%Y %I:%M %p"
    assert proposal.fields == {
        "booking_id": Source(column="Appointment ID"),
        "location_id": Source(
            column="Location", values={"Arlington": "arlington", "Bethesda": "bethesda"}
        ),
        "patient_ref": Source(hash="Patient ID"),
        "kind": Source(
            column="Appointment Type",
            values={
                "Ketamine Infusion": "initial",
                "Ketamine Infusion - Booster": "booster",
                "Spravato Monitoring": "",
            },
        ),
        "starts_at": Source(column="Start", format=clock),
        "duration_minutes": Source(minutes_between=("Start", "End"), format=clock),
        "status": Source(
            column="Status",
            values={
                "Checked Out": "completed",
                "No Show": "no_show",
                "Arrived": "completed",
                "Late Canceled": "late_cancel",
                "Canceled": "cancelled",
                "Clinician Canceled": "cancelled",
                "Scheduled": "scheduled",
            },
        ),
        "booked_at": Source(column="Created", format=clock),
    }
    assert problems(proposal) == [
        "kind: source value 'Spravato Monitoring' is not mapped to a value"
    ]


def test_a_date_format_with_a_bad_directive_is_refused_in_the_mapping():
    found = problems(_bookings(starts_at=Source(column="Start", format="%d.%m.%Y %Q")))
    assert found == [
        "starts_at: format '%d.%m.%Y %Q' cannot be read: 'Q' is a bad directive in format "
        "'%d.%m.%Y %Q'"
    ]
