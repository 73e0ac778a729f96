"""Importing good files: the two-weeks fixture, time zones, re-import, order, XLSX, typed frames."""

from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from data.load import import_files, import_frames
from queries import schema
from tests.conftest import TWO_WEEKS

CONTRACT_FILES = ["locations", "capacity", "closures", "bookings", "consultations"]


def fixture_paths(order=CONTRACT_FILES):
    return [TWO_WEEKS / f"{kind}.csv" for kind in order]


def snapshot(engine, *, skip=("calendar",)):
    """Every row of every table (sorted), to prove an import changed nothing.

    Capacity's surrogate `id` is left out: a re-imported template is the same rows under new ids.
    """
    tables = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name not in skip:
                columns = [c for c in table.c if (table.name, c.name) != ("capacity", "id")]
                tables[table.name] = sorted(map(repr, conn.execute(select(*columns)).all()))
    return tables


def one(engine, table, key_column, key):
    with engine.connect() as conn:
        return conn.execute(select(table).where(key_column == key)).one()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def loaded(engine):
    import_files(engine, fixture_paths())
    return engine


def test_two_weeks_fixture_imports_every_row(engine):
    summary = import_files(engine, fixture_paths())
    assert [(f.kind, f.rows, f.inserted, f.updated) for f in summary.files] == [
        ("locations", 2, 2, 0),
        ("capacity", 6, 6, 0),
        ("closures", 1, 1, 0),
        ("bookings", 10, 10, 0),
        ("consultations", 6, 6, 0),
    ]
    with engine.connect() as conn:
        imports = conn.execute(select(schema.imports.c.kind, schema.imports.c.rows)).all()
    assert sorted(imports) == sorted(
        [("locations", 2), ("capacity", 6), ("closures", 1), ("consultations", 6), ("bookings", 10)]
    )


def test_wall_clock_times_are_stored_as_utc_with_the_local_date(loaded):
    # c2: 2026-03-03 18:30 EST (UTC-5) -> 23:30 UTC the same day; first reply 08:30 EST next day.
    c2 = one(loaded, schema.consultations, schema.consultations.c.request_id, "c2")
    assert c2.received_at == datetime(2026, 3, 3, 23, 30)
    assert c2.received_date == date(2026, 3, 3)
    assert c2.response_minutes == pytest.approx(14 * 60)
    assert c2.consult_date == date(2026, 3, 6)
    # c4 came in 22:00 EST on the 7th = 03:00 UTC on the 8th; its local date stays the 7th.
    c4 = one(loaded, schema.consultations, schema.consultations.c.request_id, "c4")
    assert (c4.received_at, c4.received_date) == (datetime(2026, 3, 8, 3, 0), date(2026, 3, 7))
    assert c4.first_contact_at is None and c4.response_minutes is None
    assert c4.indication == "unknown"


def test_response_minutes_are_true_elapsed_time_across_the_spring_forward(loaded):
    # c5: 01:30 EST -> 03:30 EDT on 2026-03-08 reads as two hours but is one (06:30 -> 07:30 UTC).
    c5 = one(loaded, schema.consultations, schema.consultations.c.request_id, "c5")
    assert c5.received_at == datetime(2026, 3, 8, 6, 30)
    assert c5.first_contact_at == datetime(2026, 3, 8, 7, 30)
    assert c5.response_minutes == pytest.approx(60)


def test_bookings_store_utc_start_local_date_and_minute(loaded):
    b1 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "b1")  # 09:00 EST
    assert (b1.starts_at, b1.start_date, b1.start_minute) == (
        datetime(2026, 3, 6, 14, 0),
        date(2026, 3, 6),
        9 * 60,
    )
    b2 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "b2")  # 09:00 EDT
    assert (b2.starts_at, b2.start_minute) == (datetime(2026, 3, 9, 13, 0), 9 * 60)
    assert (b2.duration_minutes, b2.status, b2.kind) == (100, "completed", "initial")


def test_capacity_is_stored_as_minutes_and_monday_zero_weekdays(loaded):
    with loaded.connect() as conn:
        rows = conn.execute(
            select(
                schema.capacity.c.weekday,
                schema.capacity.c.open_minute,
                schema.capacity.c.close_minute,
                schema.capacity.c.rooms,
                schema.capacity.c.effective_to,
            ).where(schema.capacity.c.location_id == "rockville")
        ).all()
    assert sorted(rows) == [(0, 480, 960, 3, None), (2, 480, 960, 3, None), (4, 480, 840, 2, None)]


def test_importing_the_same_files_twice_changes_nothing(loaded):
    before = snapshot(loaded, skip=("calendar", "imports"))
    summary = import_files(loaded, fixture_paths())
    assert snapshot(loaded, skip=("calendar", "imports")) == before
    assert [f.updated for f in summary.files if f.kind in ("consultations", "bookings")] == [10, 6]


def test_reimporting_a_changed_row_updates_it(loaded, tmp_path):
    text = (TWO_WEEKS / "bookings.csv").read_text()
    changed = text.replace(
        "b3,rockville,p2,initial,2026-03-09 11:00,100,no_show",
        "b3,rockville,p2,initial,2026-03-09 11:00,100,completed",
    )
    assert changed != text
    summary = import_files(loaded, [write(tmp_path, "bookings.csv", changed)])
    assert (summary.files[0].inserted, summary.files[0].updated) == (0, 10)
    assert one(loaded, schema.bookings, schema.bookings.c.booking_id, "b3").status == "completed"


def test_files_are_applied_in_dependency_order_whatever_the_argument_order(engine):
    summary = import_files(engine, fixture_paths(list(reversed(CONTRACT_FILES))))
    assert [f.kind for f in summary.files] == CONTRACT_FILES


def test_capacity_import_replaces_the_template_of_named_locations_only(loaded, tmp_path):
    path = write(
        tmp_path,
        "capacity.csv",
        "location_id,weekday,open_time,close_time,rooms,effective_from,effective_to\n"
        "rockville,tue,10:00,12:00,1,2026-01-01,\n",
    )
    summary = import_files(loaded, [path])
    assert summary.files[0].removed == 3
    with loaded.connect() as conn:
        rows = conn.execute(select(schema.capacity.c.location_id, schema.capacity.c.weekday)).all()
    assert sorted(rows) == [("arlington", 1), ("arlington", 3), ("arlington", 5), ("rockville", 1)]


def test_users_import_replaces_the_stored_list(loaded, tmp_path):
    first = (
        "email,role,locations\n"
        "Boss@Clinic.example,admin,\n"
        "m@clinic.example,manager,rockville arlington\n"
    )
    import_files(loaded, [write(tmp_path, "users.csv", first)])
    (tmp_path / "again").mkdir()
    second = "email,role,locations\nnew@clinic.example,MANAGER,arlington\n"
    import_files(loaded, [write(tmp_path / "again", "users.csv", second)])
    with loaded.connect() as conn:
        users = conn.execute(select(schema.users)).all()
        places = conn.execute(select(schema.user_locations)).all()
    # A file without `weekly_email` leaves everyone's weekly e-mail on.
    assert users == [("new@clinic.example", "manager", True)]
    assert places == [("new@clinic.example", "arlington")]


def test_users_emails_are_stored_lower_case_and_admin_locations_ignored(loaded, tmp_path):
    text = (
        "email,role,locations\n"
        "Boss@Clinic.example,admin,nowhere\n"
        "M@x.example,manager,rockville arlington\n"
    )
    import_files(loaded, [write(tmp_path, "users.csv", text)])
    with loaded.connect() as conn:
        users = sorted(conn.execute(select(schema.users)).all())
        places = sorted(conn.execute(select(schema.user_locations)).all())
    assert users == [("boss@clinic.example", "admin", True), ("m@x.example", "manager", True)]
    assert places == [("m@x.example", "arlington"), ("m@x.example", "rockville")]


def test_bom_free_header_order_case_spaces_and_extra_columns_are_accepted(loaded, tmp_path):
    text = (
        "\ufeff Status ,NOTES,Booking_ID,location_id,patient_ref,KIND,starts_at,duration_minutes\n"
        "COMPLETED,anything,b100,rockville,p7,Initial,2026-03-16 08:00,60\n"
    )
    import_files(loaded, [write(tmp_path, "bookings.csv", text)])
    row = one(loaded, schema.bookings, schema.bookings.c.booking_id, "b100")
    assert (row.status, row.kind, row.booked_at) == ("completed", "initial", None)
    assert row.starts_at == datetime(2026, 3, 16, 12, 0)  # EDT after 2026-03-08: UTC-4


def test_ambiguous_fall_back_time_is_the_first_occurrence(loaded, tmp_path):
    # 2026-11-01 01:30 happens twice in New York; the first is EDT (UTC-4) = 05:30 UTC.
    text = (
        "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status\n"
        "b200,rockville,p1,other,2026-11-01 01:30,30,scheduled\n"
    )
    import_files(loaded, [write(tmp_path, "bookings.csv", text)])
    row = one(loaded, schema.bookings, schema.bookings.c.booking_id, "b200")
    assert (row.starts_at, row.start_date, row.start_minute) == (
        datetime(2026, 11, 1, 5, 30),
        date(2026, 11, 1),
        90,
    )


def test_timestamps_with_an_offset_are_converted_to_the_location_local_time(loaded, tmp_path):
    text = (
        "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status\n"
        "z1,rockville,p1,other,2026-03-06T14:00:00Z,30,scheduled\n"
        "z2,rockville,p1,other,2026-03-06 06:00-08:00,30,scheduled\n"
        "z3,rockville,p1,other,2026-03-07T03:30+00:00,30,scheduled\n"
    )
    import_files(loaded, [write(tmp_path, "bookings.csv", text)])
    z1 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "z1")
    z2 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "z2")
    z3 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "z3")
    assert (z1.starts_at, z1.start_date, z1.start_minute) == (
        datetime(2026, 3, 6, 14),
        date(2026, 3, 6),
        540,
    )
    assert (z2.starts_at, z2.start_minute) == (datetime(2026, 3, 6, 14), 540)
    # 03:30 UTC on the 7th is 22:30 EST on the 6th at the clinic.
    assert (z3.start_date, z3.start_minute) == (date(2026, 3, 6), 22 * 60 + 30)


def test_a_los_angeles_location_reads_times_in_pacific_time(loaded, tmp_path):
    locations = "location_id,name,city,state,timezone\nla,LA,Los Angeles,ca,America/Los_Angeles\n"
    bookings = (
        "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status\n"
        "l1,la,p1,initial,2026-03-06 09:00,60,completed\n"
        "l2,la,p1,initial,2026-03-07T02:00:00-05:00,60,completed\n"
    )
    import_files(
        loaded,
        [write(tmp_path, "bookings.csv", bookings), write(tmp_path, "locations.csv", locations)],
    )
    assert one(loaded, schema.locations, schema.locations.c.location_id, "la").state == "CA"
    l1 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "l1")
    assert l1.starts_at == datetime(2026, 3, 6, 17, 0)  # PST = UTC-8
    l2 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "l2")
    # 02:00 in New York (EST) is 07:00 UTC, 23:00 PST on the 6th in Los Angeles.
    assert (l2.starts_at, l2.start_date, l2.start_minute) == (
        datetime(2026, 3, 7, 7),
        date(2026, 3, 6),
        1380,
    )


def test_xlsx_workbook_with_typed_cells_imports_like_csv(loaded, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "bookings"
    sheet.append(
        [
            "booking_id",
            "location_id",
            "patient_ref",
            "kind",
            "starts_at",
            "duration_minutes",
            "status",
            "booked_at",
        ]
    )
    sheet.append(
        [
            "x1",
            "arlington",
            "p3",
            "booster",
            datetime(2026, 3, 17, 10, 0),
            90,
            "scheduled",
            "2026-03-10 09:00",
        ]
    )
    sheet.append([None] * 8)
    sheet.append(
        ["x2", "arlington", "p3", "booster", datetime(2026, 3, 24, 10, 0), 90.0, "Scheduled", None]
    )
    workbook.save(tmp_path / "bookings.xlsx")
    summary = import_files(loaded, [tmp_path / "bookings.xlsx"])
    assert summary.files[0].rows == 2
    x1 = one(loaded, schema.bookings, schema.bookings.c.booking_id, "x1")
    assert (x1.starts_at, x1.duration_minutes, x1.booked_at) == (
        datetime(2026, 3, 17, 14, 0),
        90,
        datetime(2026, 3, 10, 13, 0),
    )
    assert one(loaded, schema.bookings, schema.bookings.c.booking_id, "x2").status == "scheduled"


def test_typed_frames_import_like_their_csv_text(engine):
    frames = {
        "locations": pd.DataFrame(
            {
                "location_id": ["rockville"],
                "name": ["R"],
                "city": ["R"],
                "state": ["md"],
                "opened_on": [date(2024, 1, 1)],
            }
        ),
        "bookings": pd.DataFrame(
            {
                "booking_id": ["t1", "t2"],
                "location_id": ["rockville", "rockville"],
                "patient_ref": ["p1", "p2"],
                "kind": ["initial", "booster"],
                "starts_at": pd.to_datetime(["2026-03-06 09:00", "2026-03-09 09:00"]),
                "duration_minutes": [100, 45],
                "status": ["completed", "scheduled"],
                "booked_at": pd.to_datetime(["2026-03-01 12:00", None]),
            }
        ),
    }
    summary = import_frames(engine, frames, source="demo")
    assert [f.source for f in summary.files] == ["demo:locations", "demo:bookings"]
    assert one(
        engine, schema.locations, schema.locations.c.location_id, "rockville"
    ).opened_on == date(2024, 1, 1)
    t1 = one(engine, schema.bookings, schema.bookings.c.booking_id, "t1")
    t2 = one(engine, schema.bookings, schema.bookings.c.booking_id, "t2")
    assert (t1.starts_at, t1.booked_at, t1.duration_minutes) == (
        datetime(2026, 3, 6, 14),
        datetime(2026, 3, 1, 17),
        100,
    )
    assert (t2.starts_at, t2.booked_at) == (datetime(2026, 3, 9, 13), None)
