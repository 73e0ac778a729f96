"""Bulk load into empty tables: the rows of the row-by-row path; nothing lost on failure."""

import pytest
from sqlalchemy import event, inspect, select, update

from data import load, store
from data.bulk_load import import_settings
from data.load import import_files
from queries.db import open_database
from queries.derived import refresh_after_import
from queries.schema import bookings, consultations, daily_location_stats
from tests.conftest import TWO_WEEKS

FILES = sorted(p for p in TWO_WEEKS.glob("*.csv") if p.stem != "expected-weekly-metrics")


def _rows(engine, table) -> list[tuple]:
    key = table.primary_key.columns[0]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(table).order_by(key)).all()]


def _structure(engine, name: str) -> tuple:
    found = inspect(engine)
    return (
        sorted(index["name"] for index in found.get_indexes(name)),
        found.get_pk_constraint(name)["constrained_columns"],
        sorted(fk["referred_table"] for fk in found.get_foreign_keys(name)),
    )


def test_bulk_loaded_derived_columns_equal_a_full_refresh_of_the_same_rows(engine):
    import_files(engine, FILES)  # empty tables: the bulk path writes the derived columns
    loaded = {table.name: _rows(engine, table) for table in (bookings, consultations)}
    assert any(row[-1] is not None for row in loaded["bookings"])  # some completed_seq is set
    with engine.begin() as conn:
        conn.execute(update(bookings).values(completed_seq=None, initial_seq=None))
        conn.execute(update(consultations).values(converted=False))
    # Stored tables: the same files replace every row and refresh every patient they touch.
    import_files(engine, FILES)
    assert {table.name: _rows(engine, table) for table in (bookings, consultations)} == loaded


# Line orders of a file's rows (header excluded), read in chunks of three rows: every chunk out
# of key order, and chunks each in key order but not following one another.
ORDERS = {
    "reversed": lambda lines: lines[::-1],
    "sorted chunks out of sequence": lambda lines: lines[3:] + lines[:3],
}


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_rows_out_of_key_order_load_the_same_rows_and_derived_columns(
    engine, order, tmp_path, monkeypatch
):
    monkeypatch.setattr(load, "CHUNK_ROWS", 3)
    for path in FILES:
        header, *lines = path.read_text().splitlines(keepends=True)
        if path.stem in ("bookings", "consultations"):
            lines = ORDERS[order](sorted(lines, key=lambda line: line.split(",")[0]))
        (tmp_path / path.name).write_text(header + "".join(lines))
    import_files(engine, sorted(tmp_path.glob("*.csv")))
    loaded = {table.name: _rows(engine, table) for table in (bookings, consultations)}
    assert len(loaded["bookings"]) == 10 and len(loaded["consultations"]) == 6
    with engine.begin() as conn:
        conn.execute(update(bookings).values(completed_seq=None, initial_seq=None))
        conn.execute(update(consultations).values(converted=False))
    import_files(engine, FILES)  # in key order, into stored rows: every row and number again
    assert {table.name: _rows(engine, table) for table in (bookings, consultations)} == loaded


def test_a_failure_after_the_rows_moved_restores_the_empty_table_its_keys_and_indexes(
    engine, monkeypatch
):
    import_files(engine, [TWO_WEEKS / "locations.csv", TWO_WEEKS / "capacity.csv"])
    before = {name: _structure(engine, name) for name in ("bookings", "consultations")}

    def broken_refresh(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "refresh_after_import", broken_refresh)
    for name in before:
        with pytest.raises(RuntimeError, match="disk full"):
            import_files(engine, [TWO_WEEKS / f"{name}.csv"])
    monkeypatch.undo()

    assert _rows(engine, bookings) == _rows(engine, consultations) == []
    assert {name: _structure(engine, name) for name in before} == before
    assert before["bookings"] == (
        ["ix_bookings_patient", "ix_bookings_start"],
        ["booking_id"],
        ["locations"],
    )
    import_files(engine, FILES)  # the same connection pool loads the files afterwards
    with open(TWO_WEEKS / "bookings.csv") as lines:
        assert len(_rows(engine, bookings)) == sum(1 for _ in lines) - 1


def test_sqlite_import_settings_hold_for_the_import_transaction_only(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'settings.sqlite'}")
    names = ("main.cache_size", "temp.cache_size", "threads")
    with engine.connect() as conn:
        before = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}
        conn.commit()
        with conn.begin(), import_settings(conn):
            during = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}
        after = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}
    engine.dispose()
    assert during != before
    assert during["threads"] >= 1  # big sorts use helper threads
    assert after == before


# One patient's completed bookings at equal starts, whose ids sort otherwise as text than as
# numbers (b10 < b11 < b9), initial and booster mixed, in and out of key order across chunks;
# a second patient interleaved; rows that are not completed get no number.
TIED_BOOKINGS = [
    "b9,rockville,p1,initial,2026-03-06 09:00,100,completed,",
    "b10,rockville,p1,initial,2026-03-06 09:00,100,completed,",
    "b11,arlington,p1,booster,2026-03-06 09:00,100,completed,",
    "b12,rockville,p2,initial,2026-03-06 09:00,100,completed,",
    "b2,rockville,p1,initial,2026-03-05 14:00,100,no_show,",
    "b3,rockville,p1,initial,2026-03-09 09:00,100,completed,",
    "b4,rockville,p2,initial,2026-03-02 09:00,100,completed,",
    "b5,arlington,p1,initial,2026-03-01 08:00,100,completed,",
    "b6,rockville,p1,initial,2026-03-06 09:00,100,cancelled,",
    "b7,rockville,p2,booster,2026-03-02 09:00,100,completed,",
]


@pytest.mark.parametrize("reverse", [False, True])
def test_bulk_loaded_sequence_numbers_order_equal_starts_by_booking_id(
    engine, reverse, tmp_path, monkeypatch
):
    from tests.test_derived import reference

    monkeypatch.setattr(load, "CHUNK_ROWS", 3)
    (tmp_path / "locations.csv").write_text((TWO_WEEKS / "locations.csv").read_text())
    header = "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status,booked_at\n"
    lines = TIED_BOOKINGS[::-1] if reverse else TIED_BOOKINGS
    (tmp_path / "bookings.csv").write_text(header + "".join(line + "\n" for line in lines))
    import_files(engine, sorted(tmp_path.glob("*.csv")))
    with engine.connect() as conn:
        expected = reference(conn)[0]
        found = {
            row.booking_id: (row.completed_seq, row.initial_seq)
            for row in conn.execute(
                select(bookings.c.booking_id, bookings.c.completed_seq, bookings.c.initial_seq)
            )
        }
    assert found == expected
    # b5, then the four at 09:00 on the 6th in id order (b10, b11, b9: b6 is cancelled), then b3.
    assert [found[b] for b in ("b5", "b10", "b11", "b9", "b3")] == [
        (1, 1),
        (2, 2),
        (3, None),
        (4, 3),
        (5, 4),
    ]


def _stats(engine) -> list[tuple]:
    with engine.connect() as conn:
        ordered = select(daily_location_stats).order_by(
            daily_location_stats.c.location_id, daily_location_stats.c.day
        )
        return [tuple(row) for row in conn.execute(ordered).all()]


def test_daily_counts_written_whole_by_a_bulk_load_equal_a_rebuild_and_keep_their_keys(engine):
    structure = _structure(engine, "daily_location_stats")
    import_files(engine, FILES)  # both big files bulk loaded: the counts written whole, twice
    whole = _stats(engine)
    assert _structure(engine, "daily_location_stats") == structure
    assert structure[1:] == (["location_id", "day"], ["locations"])
    with engine.begin() as conn:
        refresh_after_import(conn, patient_refs=None, location_ids=None)  # row by row, keyed
    assert _stats(engine) == whole
    assert len({(row[0], row[1]) for row in whole}) == len(whole) > 0


def test_a_failure_after_the_counts_were_written_whole_restores_them_and_their_keys(
    engine, monkeypatch
):
    import_files(engine, [p for p in FILES if p.stem != "consultations"])
    before, structure = _stats(engine), _structure(engine, "daily_location_stats")

    def broken_record(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_record_import", broken_record)  # after the refresh
    with pytest.raises(RuntimeError, match="disk full"):
        import_files(engine, [TWO_WEEKS / "consultations.csv"])
    assert _stats(engine) == before
    assert _structure(engine, "daily_location_stats") == structure


def test_sqlite_staging_tables_go_with_their_connection_not_by_a_drop(tmp_path):
    """Dropping a staging table of millions of rows walks every page of it; the connection
    that holds it is closed instead, and no pooled connection keeps one."""
    engine = open_database(f"sqlite:///{tmp_path / 'staged.sqlite'}")
    dropped = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_rest: (
            dropped.append(statement)
            if statement.lstrip().upper().startswith("DROP TABLE")
            else None
        ),
    )
    import_files(engine, FILES)
    assert not [statement for statement in dropped if "bulk_staging" in statement]
    for _ in range(engine.pool.size() + 1):
        with engine.connect() as conn:
            temporary = conn.exec_driver_sql("SELECT name FROM sqlite_temp_master").all()
            assert temporary == []
    engine.dispose()
