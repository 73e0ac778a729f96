"""Contract export: stored tables -> files -> a fresh database holds the same rows."""

import shutil
from datetime import date

import pandas as pd
from sqlalchemy import Engine, select

from data.export import export_contract_files, local_timestamps
from data.generate import generate_database
from data.load import import_files
from queries.db import make_engine
from queries.schema import (
    bookings,
    capacity,
    closures,
    consultations,
    locations,
    user_locations,
    users,
)

TODAY = date(2026, 3, 18)


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every stored row of the contract tables (capacity without its surrogate id), sorted."""
    tables = {
        "locations": locations,
        "closures": closures,
        "consultations": consultations,
        "bookings": bookings,
        "users": users,
        "user_locations": user_locations,
    }
    with engine.connect() as conn:
        rows = {
            name: sorted(tuple(row) for row in conn.execute(select(table)))
            for name, table in tables.items()
        }
        columns = [c for c in capacity.c if c.name != "id"]
        rows["capacity"] = sorted(tuple(row) for row in conn.execute(select(*columns)).all())
    return rows


def fresh_sqlite(template, tmp_path, name: str) -> Engine:
    path = tmp_path / name
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


def test_export_then_import_into_a_fresh_database_gives_identical_rows(
    engine, tmp_path, _sqlite_template
):
    generate_database(engine, locations=2, years=0.25, seed=5, today=TODAY)
    paths = export_contract_files(engine, tmp_path / "export")
    assert [p.name for p in paths] == [
        "locations.csv",
        "capacity.csv",
        "closures.csv",
        "users.csv",
        "consultations.csv",
        "bookings.csv",
    ]
    second = fresh_sqlite(_sqlite_template, tmp_path, "second.sqlite")
    import_files(second, paths)
    original = snapshot(engine)
    assert len(original["bookings"]) > 100
    copied = snapshot(second)
    for name in original:
        assert copied[name] == original[name], name

    import_files(second, paths)
    assert snapshot(second) == copied, "importing the same export again changes nothing"
    second.dispose()


def test_fall_back_hour_and_offsets_survive_the_round_trip(engine, tmp_path, _sqlite_template):
    source = tmp_path / "source"
    source.mkdir()
    (source / "locations.csv").write_text(
        "location_id,name,city,state,timezone\n"
        "rockville,Rockville,Rockville,MD,America/New_York\n"
        "la,Los Angeles,Los Angeles,CA,America/Los_Angeles\n"
    )
    # 2026-11-01 01:30 happens twice in New York: -04:00 first (05:30 UTC), -05:00 second.
    (source / "bookings.csv").write_text(
        "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status,booked_at\n"
        "b1,rockville,p1,initial,2026-11-02 09:00,100,scheduled,2026-11-01 01:30-05:00\n"
        "b2,rockville,p1,initial,2026-11-03 09:00,100,scheduled,2026-11-01 01:30-04:00\n"
        "b3,la,p2,booster,2026-07-01 10:15,90,scheduled,2026-06-30T17:00:00Z\n"
    )
    (source / "consultations.csv").write_text(
        "request_id,location_id,received_at,channel,first_contact_at,consult_status\n"
        "c1,rockville,2026-11-01 01:50-04:00,web,2026-11-01 01:10-05:00,pending\n"
    )
    import_files(
        engine, [source / n for n in ("locations.csv", "bookings.csv", "consultations.csv")]
    )
    paths = export_contract_files(engine, tmp_path / "export")
    exported = pd.read_csv(tmp_path / "export" / "bookings.csv", dtype=str).set_index("booking_id")
    assert exported.loc["b1", "booked_at"] == "2026-11-01 01:30:00-05:00"
    assert exported.loc["b2", "booked_at"] == "2026-11-01 01:30:00-04:00"
    assert exported.loc["b1", "starts_at"] == "2026-11-02 09:00:00-05:00"
    assert exported.loc["b3", "starts_at"] == "2026-07-01 10:15:00-07:00"
    assert exported.loc["b3", "booked_at"] == "2026-06-30 10:00:00-07:00"
    assert not (tmp_path / "export" / "users.csv").exists()
    consults = pd.read_csv(tmp_path / "export" / "consultations.csv", dtype=str)
    assert consults.loc[0, "received_at"] == "2026-11-01 01:50:00-04:00"
    assert consults.loc[0, "first_contact_at"] == "2026-11-01 01:10:00-05:00"

    second = fresh_sqlite(_sqlite_template, tmp_path, "second.sqlite")
    import_files(second, paths)
    with second.connect() as conn:
        booked = dict(conn.execute(select(bookings.c.booking_id, bookings.c.booked_at)).all())
    assert booked["b1"] == pd.Timestamp("2026-11-01 06:30").to_pydatetime()
    assert booked["b2"] == pd.Timestamp("2026-11-01 05:30").to_pydatetime()
    with second.connect() as conn:
        minutes = conn.scalar(select(consultations.c.response_minutes))
    assert minutes == 20.0  # 05:50 UTC to 06:10 UTC, across the clock change
    assert snapshot(second) == snapshot(engine)
    second.dispose()


def test_local_timestamps_write_each_locations_offset():
    utc = pd.Series(
        pd.to_datetime(["2026-03-02 14:00", "2026-07-01 16:00", "2026-07-01 16:00", None])
    )
    where = pd.Series(["dc", "dc", "la", "dc"])
    zones = {"dc": "America/New_York", "la": "America/Los_Angeles"}
    text = local_timestamps(utc, where, zones)
    assert text.iloc[:3].tolist() == [
        "2026-03-02 09:00:00-05:00",
        "2026-07-01 12:00:00-04:00",
        "2026-07-01 09:00:00-07:00",
    ]
    assert pd.isna(text.iloc[3])
