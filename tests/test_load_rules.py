"""Every contract rule with a bad file: each bad row is reported, and the database is unchanged."""

import pytest

from data.load import ImportRefused, RowError, import_files
from tests.conftest import TWO_WEEKS
from tests.test_load_fixture import snapshot, write

BOOKINGS = "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status,booked_at\n"
CONSULTATIONS = (
    "request_id,location_id,received_at,channel,indication,first_contact_at,consult_at,"
    "consult_status,patient_ref\n"
)
CAPACITY = "location_id,weekday,open_time,close_time,rooms,effective_from,effective_to\n"
LOCATIONS = "location_id,name,city,state,timezone,opened_on,closed_on\n"
USERS = "email,role,locations\n"

# (file name, file text, every expected error as (line, column, value, words in the reason))
CASES = {
    "required_column_missing": (
        "bookings.csv",
        "booking_id,location_id,kind,starts_at,duration_minutes,status\n"
        "b1,rockville,initial,2026-03-06 09:00,100,completed\n",
        [(1, "patient_ref", "", "required column is missing")],
    ),
    "required_value_empty": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,,initial,2026-03-06 09:00,100,completed,\n"
        "b2,rockville,p1,initial,2026-03-06 11:00,100,completed,\n"
        "b3,rockville, ,initial,2026-03-06 13:00,100,completed,\n",
        [
            (2, "patient_ref", "", "required value is empty"),
            (4, "patient_ref", " ", "required value is empty"),
        ],
    ),
    "codes_outside_the_list": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,p1,first,2026-03-06 09:00,100,done,\n"
        "b2,rockville,p1,initial,2026-03-06 11:00,100,Completed,\n",
        [
            (2, "kind", "first", "not one of initial, booster, other"),
            (2, "status", "done", "not one of scheduled"),
        ],
    ),
    "duration_outside_1_to_720_or_not_integer": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,p1,initial,2026-03-06 09:00,0,completed,\n"
        "b2,rockville,p1,initial,2026-03-06 11:00,721,completed,\n"
        "b3,rockville,p1,initial,2026-03-06 13:00,1.5,completed,\n"
        "b4,rockville,p1,initial,2026-03-06 14:00,720,completed,\n",
        [
            (2, "duration_minutes", "0", "between 1 and 720"),
            (3, "duration_minutes", "721", "between 1 and 720"),
            (4, "duration_minutes", "1.5", "not an integer"),
        ],
    ),
    "duplicate_id_within_a_file": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,p1,initial,2026-03-06 09:00,100,completed,\n"
        "b2,rockville,p1,initial,2026-03-06 11:00,100,completed,\n"
        "b1,rockville,p2,initial,2026-03-06 13:00,100,completed,\n",
        [(4, "booking_id", "b1", "duplicate booking_id (first on line 2)")],
    ),
    "unknown_location": (
        "bookings.csv",
        BOOKINGS + "b1,nowhere,p1,initial,2026-03-06 09:00,100,completed,\n",
        [(2, "location_id", "nowhere", "unknown location")],
    ),
    "bad_timestamps": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,p1,initial,2026-03-06 9:00,100,completed,\n"
        "b2,rockville,p1,initial,03/06/2026 09:00,100,completed,\n"
        "b3,rockville,p1,initial,2026-02-30 09:00,100,completed,\n"
        "b4,rockville,p1,initial,2026-03-06 09:00,100,completed,yesterday\n",
        [
            (2, "starts_at", "2026-03-06 9:00", "not a timestamp"),
            (3, "starts_at", "03/06/2026 09:00", "not a timestamp"),
            (4, "starts_at", "2026-02-30 09:00", "not a timestamp"),
            (5, "booked_at", "yesterday", "not a timestamp"),
        ],
    ),
    "spring_forward_gap_time": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,p1,initial,2026-03-08 02:30,100,scheduled,\n"
        "b2,rockville,p1,initial,2026-03-08 03:30,100,scheduled,\n",
        [(2, "starts_at", "2026-03-08 02:30", "does not exist")],
    ),
    "booked_after_start": (
        "bookings.csv",
        BOOKINGS + "b1,rockville,p1,initial,2026-03-06 09:00,100,completed,2026-03-06 09:01\n"
        "b2,rockville,p1,initial,2026-03-06 11:00,100,completed,2026-03-06 11:00\n"
        # 10:30 EST is 15:30 UTC: booked at 15:00 UTC is before the start despite reading later.
        "b3,rockville,p1,initial,2026-03-06 10:30,100,completed,2026-03-06T15:00Z\n"
        "b4,rockville,p1,initial,2026-03-06 10:30,100,completed,2026-03-06T16:00Z\n",
        [
            (2, "booked_at", "2026-03-06 09:01", "after starts_at"),
            (5, "booked_at", "2026-03-06T16:00Z", "after starts_at"),
        ],
    ),
    "patient_identifier_column": (
        "bookings.csv",
        "booking_id,location_id,Patient_Ref,kind,starts_at,duration_minutes,status, DOB \n"
        "b1,rockville,p1,initial,2026-03-06 09:00,100,completed,1970-01-01\n",
        [(1, " DOB ", "", "patient identifier")],
    ),
    "patient_identifier_columns_in_consultations": (
        "consultations.csv",
        "Email,request_id,location_id,received_at,channel,consult_status,phone\n"
        "a@b.example,c1,rockville,2026-03-02 09:00,web,pending,555\n",
        [(1, "Email", "", "patient identifier"), (1, "phone", "", "patient identifier")],
    ),
    "first_contact_before_received_and_bad_codes": (
        "consultations.csv",
        CONSULTATIONS + "c1,rockville,2026-03-02 09:00,web,,2026-03-02 08:59,,pending,\n"
        "c2,rockville,2026-03-02 09:00,fax,sadness,,,maybe,\n"
        "c3,rockville,2026-03-02 09:00,WEB,Depression,2026-03-02 09:00,,Pending,\n",
        [
            (2, "first_contact_at", "2026-03-02 08:59", "before received_at"),
            (3, "channel", "fax", "not one of web, phone, referral, walk_in, other"),
            (3, "indication", "sadness", "not one of depression"),
            (3, "consult_status", "maybe", "not one of pending"),
        ],
    ),
    "capacity_values": (
        "capacity.csv",
        CAPACITY + "rockville,mon,08:00,16:00,101,2026-01-01,\n"
        "rockville,tue,8am,16:00,2,2026-01-01,\n"
        "rockville,wed,16:00,16:00,2,2026-01-01,\n"
        "rockville,funday,08:00,16:00,2,2026-01-01,\n"
        "rockville,thu,08:00,16:00,-1,2026-01-01,2025-12-31\n"
        "rockville,fri,08:00,24:00,two,2026-01-01,\n",
        [
            (2, "rooms", "101", "between 0 and 100"),
            (3, "open_time", "8am", "not a time of day"),
            (4, "close_time", "16:00", "not later than open_time"),
            (5, "weekday", "funday", "not one of mon"),
            (6, "rooms", "-1", "between 0 and 100"),
            (6, "effective_to", "2025-12-31", "before effective_from"),
            (7, "close_time", "24:00", "not a time of day"),
            (7, "rooms", "two", "not an integer"),
        ],
    ),
    "capacity_overlapping_ranges": (
        "capacity.csv",
        CAPACITY + "rockville,mon,08:00,16:00,3,2024-01-01,\n"
        "rockville,mon,08:00,12:00,2,2026-01-01,2026-06-30\n"
        "rockville,tue,08:00,16:00,3,2024-01-01,2025-12-31\n"
        "rockville,TUE,08:00,16:00,3,2026-01-01,\n"
        "arlington,mon,08:00,16:00,3,2024-01-01,\n",
        [(3, "effective_from", "2026-01-01", "overlaps line 2")],
    ),
    "closures_duplicates_and_dates": (
        "closures.csv",
        "location_id,date,reason\n"
        "rockville,2026-03-11,snow\n"
        "rockville,2026-3-12,ice\n"
        "rockville,2026-03-11,again\n",
        [
            (3, "date", "2026-3-12", "not a date"),
            (4, "date", "2026-03-11", "duplicate location_id+date (first on line 2)"),
        ],
    ),
    "location_values": (
        "locations.csv",
        LOCATIONS + "Rock Ville,R,Rockville,MD,,,\n"
        "bethesda,Bethesda,Bethesda,Maryland,Mars/Olympus,2026-01-01,2025-01-01\n"
        "silver-spring,,Silver Spring,MD,America/New_York,2026-02-30,\n",
        [
            (2, "location_id", "Rock Ville", "not a slug"),
            (3, "state", "Maryland", "not two letters"),
            (3, "timezone", "Mars/Olympus", "not an IANA time zone"),
            (3, "closed_on", "2025-01-01", "before opened_on"),
            (4, "name", "", "required value is empty"),
            (4, "opened_on", "2026-02-30", "not a date"),
        ],
    ),
    "users_values": (
        "users.csv",
        USERS + "boss@clinic.example,admin,\n"
        "not-an-email,admin,\n"
        "BOSS@Clinic.example,manager,rockville\n"
        "m@clinic.example,owner,rockville\n"
        "n@clinic.example,manager,\n"
        "o@clinic.example,manager,rockville nowhere\n",
        [
            (3, "email", "not-an-email", "not an e-mail address"),
            (4, "email", "BOSS@Clinic.example", "duplicate email (first on line 2)"),
            (5, "role", "owner", "not one of admin, manager"),
            (6, "locations", "", "a manager needs at least one location"),
            (7, "locations", "rockville nowhere", "unknown location(s): nowhere"),
        ],
    ),
}


@pytest.fixture
def with_locations(engine):
    import_files(engine, [TWO_WEEKS / "locations.csv"])
    return engine


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_reports_every_bad_row_and_stores_nothing(with_locations, tmp_path, case):
    name, text, expected = CASES[case]
    path = write(tmp_path, name, text)
    before = snapshot(with_locations)
    with pytest.raises(ImportRefused) as refused:
        import_files(with_locations, [path])
    found = [(e.file, e.line, e.column, e.value) for e in refused.value.errors]
    assert found == [(str(path), line, column, value) for line, column, value, _ in expected]
    for error, (*_, words) in zip(refused.value.errors, expected, strict=True):
        assert words in error.reason
    assert snapshot(with_locations) == before


def test_refusal_message_has_one_line_per_error():
    error = RowError("b.csv", 3, "status", "done", "not one of scheduled")
    refusal = ImportRefused([error, RowError("b.csv", 4, "kind", "", "required value is empty")])
    assert str(refusal).splitlines() == [
        "b.csv:3: column 'status' = 'done': not one of scheduled",
        "b.csv:4: column 'kind' = '': required value is empty",
    ]


def test_line_numbers_are_physical_lines_with_quoted_line_breaks(with_locations, tmp_path):
    text = (
        'location_id,date,reason\nrockville,2026-03-11,"snow\nand ice"\n\nrockville,11 March,wind\n'
    )
    path = write(tmp_path, "closures.csv", text)
    with pytest.raises(ImportRefused) as refused:
        import_files(with_locations, [path])
    assert [(e.line, e.column, e.value) for e in refused.value.errors] == [(5, "date", "11 March")]


def test_a_refused_file_leaves_the_others_applied(engine, tmp_path):
    bad = write(
        tmp_path, "bookings.csv", BOOKINGS + "b1,rockville,p1,initial,soon,100,completed,\n"
    )
    with pytest.raises(ImportRefused) as refused:
        import_files(engine, [bad, TWO_WEEKS / "locations.csv", TWO_WEEKS / "consultations.csv"])
    assert [f.kind for f in refused.value.summary.files] == ["locations", "consultations"]
    assert refused.value.refused == [str(bad)]
    tables = snapshot(engine)
    assert (len(tables["locations"]), len(tables["consultations"]), len(tables["bookings"])) == (
        2,
        6,
        0,
    )


def test_a_file_name_that_is_not_a_contract_kind_is_a_usage_error(engine, tmp_path):
    path = write(tmp_path, "2026-03_bookings.csv", BOOKINGS)
    with pytest.raises(ValueError, match="not a contract file"):
        import_files(engine, [path])


def test_xlsx_errors_name_the_spreadsheet_row(with_locations, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "closures"
    sheet.append(["location_id", "date", "reason"])
    sheet.append(["rockville", "2026-03-11", None])
    sheet.append([None, None, None])
    sheet.append(["nowhere", "2026-03-12", "x"])
    path = tmp_path / "closures.xlsx"
    workbook.save(path)
    with pytest.raises(ImportRefused) as refused:
        import_files(with_locations, [path])
    assert [(e.line, e.column, e.value) for e in refused.value.errors] == [
        (4, "location_id", "nowhere")
    ]
