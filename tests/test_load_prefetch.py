"""A big file read and checked by a worker imports exactly as if it were read in turn.

The consultations file is applied after the bookings file; `data.load` checks it in a thread
(`data.checked_chunks.Prefetch`) while the bookings' derived data is refreshed, and a big CSV file
is checked in a process of its own while the chunks already checked are written. Whatever the
worker finds must reach the import exactly as a plain read would: its bad rows, its errors, and
nothing left behind on disk. `worker="process"` makes every CSV file of bookings and
consultations big enough for a process.
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


@pytest.fixture(params=["thread", "process"])
def worker(request, monkeypatch) -> str:
    if request.param == "process":
        monkeypatch.setattr(load, "PROCESS_BYTES", 0)
    return request.param


def _recording(monkeypatch, tmp_path) -> list[checked_chunks.Prefetch]:
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


@pytest.fixture
def prefetches(monkeypatch, tmp_path, worker) -> list[checked_chunks.Prefetch]:
    return _recording(monkeypatch, tmp_path)


@pytest.fixture
def thread_prefetches(monkeypatch, tmp_path) -> list[checked_chunks.Prefetch]:
    return _recording(monkeypatch, tmp_path)


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
    assert _read_ahead(prefetches) == ["consultations.csv"]
    assert _count(engine, consultations) == 7
    assert _count(engine, bookings) > 0
    assert not list(tmp_path.glob("clinic-import-*"))


def test_bad_rows_found_ahead_are_all_reported_and_the_file_refused(engine, tmp_path, prefetches):
    rows = [_consult(n) for n in range(1, 6)]
    rows[3] = rows[3].replace("web", "fax")  # line 5
    rows.append(_consult(2))  # line 7 repeats the id on line 3, two chunks earlier
    with pytest.raises(ImportRefused) as refusal:
        import_files(engine, _files(tmp_path, rows))
    assert _read_ahead(prefetches) == ["consultations.csv"]
    found = [(e.line, e.column, e.value) for e in refusal.value.errors]
    assert found == [(5, "channel", "fax"), (7, "request_id", "c2")]
    assert refusal.value.errors[1].reason == "duplicate request_id (first on line 3)"
    assert refusal.value.refused == [str(tmp_path / "files" / "consultations.csv")]
    assert _count(engine, consultations) == 0
    assert _count(engine, bookings) > 0  # the bookings file stays applied
    assert not list(tmp_path.glob("clinic-import-*"))


def test_a_failure_in_the_thread_reading_ahead_is_raised_by_the_import(
    engine, tmp_path, thread_prefetches, monkeypatch
):
    def broken(kind, source, chunks, locations):
        raise OSError("disk went away")
        yield  # a generator, as checked_chunks is: it fails in the thread, when first read

    monkeypatch.setattr(checked_chunks, "checked_chunks", broken)
    with pytest.raises(OSError, match="disk went away"):
        import_files(engine, _files(tmp_path, [_consult(1)]))
    assert _read_ahead(thread_prefetches) == ["consultations.csv"]
    assert _count(engine, consultations) == 0
    assert _count(engine, bookings) > 0
    assert not list(tmp_path.glob("clinic-import-*"))


def test_nothing_is_read_ahead_after_a_refused_file(engine, tmp_path, prefetches, worker):
    files = _files(tmp_path, [_consult(1)])
    bad = tmp_path / "bad" / "bookings.csv"
    bad.parent.mkdir()
    bad.write_text((TWO_WEEKS / "bookings.csv").read_text().replace(",completed,", ",done,", 1))
    with pytest.raises(ImportRefused):
        import_files(engine, [bad, *files[:-1]])
    if worker == "thread":
        assert prefetches == []
    assert _count(engine, consultations) == 1  # read the plain way, and applied


def test_a_failure_in_the_process_is_raised_where_the_chunks_are_read(tmp_path):
    prefetch = checked_chunks.Prefetch.in_process(
        "bookings", "gone.csv", tmp_path / "gone.csv", 2, {"rockville": "America/New_York"}
    )
    try:
        with pytest.raises(FileNotFoundError, match=r"gone\.csv"):
            list(prefetch.replay())
    finally:
        prefetch.close()


def test_a_big_file_is_checked_in_a_process_while_its_chunks_are_written(engine, monkeypatch):
    started = []
    original = checked_chunks.Prefetch.in_process

    def recorded(*args, **kwargs):
        started.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(checked_chunks.Prefetch, "in_process", staticmethod(recorded))
    monkeypatch.setattr(load, "PROCESS_BYTES", 0)
    monkeypatch.setattr(load, "CHUNK_ROWS", 3)
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if not p.name.startswith("expected")])
    assert sorted(Path(source).name for source in started) == ["bookings.csv", "consultations.csv"]
    lines = (TWO_WEEKS / "bookings.csv").read_text().splitlines()
    assert _count(engine, bookings) == len(lines) - 1  # every row but the header


def _read_ahead(prefetches: list[checked_chunks.Prefetch]) -> list[str]:
    """The files read by a worker before their turn came (not the one being written)."""
    return [Path(p.source).name for p in prefetches if Path(p.source).name == "consultations.csv"]


def test_a_process_that_dies_is_reported_not_waited_for(tmp_path):
    prefetch = checked_chunks.Prefetch.in_process(
        "bookings", "bookings.csv", TWO_WEEKS / "bookings.csv", 2, {}
    )
    prefetch._process.kill()  # before it has said anything: it takes a while to start
    try:
        with pytest.raises(RuntimeError, match=r"the process checking the file stopped"):
            list(prefetch.replay())
    finally:
        prefetch.close()
