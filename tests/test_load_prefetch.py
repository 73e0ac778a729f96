"""A big file read and checked ahead, while the file before it finishes, imports as if read then.

The consultations file is applied after the bookings file; `data.load` checks it in a thread
(`data.checked_chunks.Prefetch`) while the bookings' derived data is refreshed. Whatever the
thread finds must reach the import exactly as a plain read would: its bad rows, its errors, and
nothing left behind on disk.
"""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from data import checked_chunks, load
from data.load import ImportRefused, import_files
from queries.schema import bookings, consultations
from tests.conftest import TWO_WEEKS

CONSULT_HEADER = (
    "request_id,location_id,received_at,channel,indication,first_contact_at,consult_at,"
    "consult_status,patient_ref\n"
)


@pytest.fixture
def prefetches(monkeypatch, tmp_path) -> list[checked_chunks.Prefetch]:
    """Every Prefetch the import starts, with chunks of two rows and its files under tmp_path."""
    started = []

    class Recorded(checked_chunks.Prefetch):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(load, "Prefetch", Recorded)
    monkeypatch.setattr(load, "CHUNK_ROWS", 2)
    monkeypatch.setattr(checked_chunks.tempfile, "tempdir", str(tmp_path))
    return started


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _consult(n: int) -> str:
    return (
        f"c{n},rockville,2026-03-02 09:00,web,depression,2026-03-02 09:20,"
        f"2026-03-04 10:00,completed,p{n}\n"
    )


def _files(tmp_path: Path, consult_rows: list[str]) -> list[Path]:
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / "consultations.csv"
    path.write_text(CONSULT_HEADER + "".join(consult_rows))
    setup = [TWO_WEEKS / name for name in ("locations.csv", "capacity.csv", "bookings.csv")]
    return [path, *setup]  # in no particular order: the import orders them


def test_consultations_checked_ahead_are_stored_and_nothing_is_left_on_disk(
    engine, tmp_path, prefetches
):
    import_files(engine, _files(tmp_path, [_consult(n) for n in range(1, 8)]))
    assert len(prefetches) == 1
    assert prefetches[0].source.endswith("consultations.csv")
    assert _count(engine, consultations) == 7
    assert _count(engine, bookings) > 0
    assert not list(tmp_path.glob("clinic-import-*"))


def test_bad_rows_found_ahead_are_all_reported_and_the_file_refused(engine, tmp_path, prefetches):
    rows = [_consult(n) for n in range(1, 6)]
    rows[3] = rows[3].replace("web", "fax")  # line 5
    rows.append(_consult(2))  # line 7 repeats the id on line 3, two chunks earlier
    with pytest.raises(ImportRefused) as refusal:
        import_files(engine, _files(tmp_path, rows))
    assert len(prefetches) == 1
    found = [(e.line, e.column, e.value) for e in refusal.value.errors]
    assert found == [(5, "channel", "fax"), (7, "request_id", "c2")]
    assert refusal.value.errors[1].reason == "duplicate request_id (first on line 3)"
    assert refusal.value.refused == [str(tmp_path / "files" / "consultations.csv")]
    assert _count(engine, consultations) == 0
    assert _count(engine, bookings) > 0  # the bookings file stays applied
    assert not list(tmp_path.glob("clinic-import-*"))


def test_a_failure_while_reading_ahead_is_raised_by_the_import(
    engine, tmp_path, prefetches, monkeypatch
):
    def broken(kind, source, chunks, locations):
        raise OSError("disk went away")
        yield  # a generator, as checked_chunks is: it fails in the thread, when first read

    monkeypatch.setattr(checked_chunks, "checked_chunks", broken)
    with pytest.raises(OSError, match="disk went away"):
        import_files(engine, _files(tmp_path, [_consult(1)]))
    assert len(prefetches) == 1
    assert _count(engine, consultations) == 0
    assert _count(engine, bookings) > 0
    assert not list(tmp_path.glob("clinic-import-*"))


def test_nothing_is_read_ahead_after_a_refused_file(engine, tmp_path, prefetches):
    files = _files(tmp_path, [_consult(1)])
    bad = tmp_path / "bad" / "bookings.csv"
    bad.parent.mkdir()
    bad.write_text((TWO_WEEKS / "bookings.csv").read_text().replace(",completed,", ",done,", 1))
    with pytest.raises(ImportRefused):
        import_files(engine, [bad, *files[:-1]])
    assert prefetches == []
    assert _count(engine, consultations) == 1  # read the plain way, and applied
