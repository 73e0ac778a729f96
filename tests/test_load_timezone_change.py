"""Changing a stored location's time zone keeps its instants and re-dates its rows."""

from datetime import date

from sqlalchemy import select

from data.export import export_contract_files
from data.load import import_files
from queries.schema import bookings, consultations
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics
from tests.conftest import TWO_WEEKS
from tests.test_export import fresh_sqlite, snapshot

FILES = sorted(TWO_WEEKS.glob("*.csv"))
FILES = [path for path in FILES if not path.name.startswith("expected")]


def _move_arlington_to_los_angeles(engine, tmp_path) -> None:
    text = (TWO_WEEKS / "locations.csv").read_text()
    moved = text.replace(
        "arlington,Arlington,Arlington,VA,America/New_York",
        "arlington,Arlington,Arlington,VA,America/Los_Angeles",
    )
    assert moved != text
    path = tmp_path / "moved" / "locations.csv"
    path.parent.mkdir()
    path.write_text(moved)
    import_files(engine, [path])


def _report(engine):
    with engine.connect() as conn:
        return weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=date(2026, 3, 2), end=date(2026, 3, 15)
        )


def test_a_time_zone_change_re_dates_stored_bookings_from_their_instants(engine, tmp_path):
    import_files(engine, FILES)
    _move_arlington_to_los_angeles(engine, tmp_path)
    with engine.connect() as conn:
        b6 = conn.execute(
            select(bookings.c.starts_at, bookings.c.start_date, bookings.c.start_minute).where(
                bookings.c.booking_id == "b6"
            )
        ).one()
        c4 = conn.execute(
            select(consultations.c.received_date).where(consultations.c.request_id == "c4")
        ).scalar_one()
    # b6: 10:00 in New York on 3 March 2026 (EST) = 15:00 UTC = 07:00 in Los Angeles (PST).
    assert (b6.starts_at.hour, b6.start_date, b6.start_minute) == (15, date(2026, 3, 3), 420)
    # c4: 22:00 on 7 March in New York = 03:00 UTC on the 8th = 19:00 on the 7th in Los Angeles.
    assert c4 == date(2026, 3, 7)


def test_after_a_time_zone_change_the_aggregates_match_a_fresh_import_of_the_same_rows(
    engine, tmp_path, _sqlite_template
):
    import_files(engine, FILES)
    _move_arlington_to_los_angeles(engine, tmp_path)
    exported = export_contract_files(engine, tmp_path / "export")
    fresh = fresh_sqlite(_sqlite_template, tmp_path, "fresh")
    import_files(fresh, exported)
    assert snapshot(engine) == snapshot(fresh)
    assert _report(engine).equals(_report(fresh))
