"""Bulk import in chunks: memory follows the chunk, while whole-file rules still hold."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from data import load
from data.csv_input import read_csv_chunks
from data.load import ImportRefused, import_files
from queries.report_csv import weekly_csv_bytes
from queries.schema import bookings, consultations
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics
from tests.conftest import TWO_WEEKS

EXPECTED = TWO_WEEKS / "expected-weekly-metrics.csv"
HEADER = "booking_id,location_id,patient_ref,kind,starts_at,duration_minutes,status,booked_at\n"


@pytest.fixture
def two_row_chunks(monkeypatch):
    monkeypatch.setattr(load, "CHUNK_ROWS", 2)


def _fixture_files() -> list[Path]:
    return [p for p in TWO_WEEKS.glob("*.csv") if p != EXPECTED]


def _setup_files() -> list[Path]:
    return [TWO_WEEKS / "locations.csv", TWO_WEEKS / "capacity.csv"]


def _booking(n: int, *, status: str = "completed", duration: str = "60") -> str:
    return f"b{n},rockville,p{n % 3},initial,2026-03-0{2 + n % 5} 09:00,{duration},{status},\n"


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_fixture_imported_two_rows_at_a_time_gives_the_hand_checked_report(engine, two_row_chunks):
    import_files(engine, _fixture_files())
    with engine.connect() as conn:
        frame = weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=date(2026, 3, 2), end=date(2026, 3, 15)
        )
    assert weekly_csv_bytes(frame) == EXPECTED.read_bytes()


def test_chunks_hold_at_most_the_chunk_rows_and_number_lines_through(tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(HEADER + "".join(_booking(n) for n in range(1, 6)))
    chunks = list(read_csv_chunks(path, rows=2))
    assert [len(frame) for frame, _ in chunks] == [2, 2, 1]
    assert [list(lines) for _, lines in chunks] == [[2, 3], [4, 5], [6]]
    assert [list(frame["booking_id"]) for frame, _ in chunks] == [
        ["b1", "b2"],
        ["b3", "b4"],
        ["b5"],
    ]


def test_id_repeated_in_a_later_chunk_is_refused_naming_its_first_line(
    engine, tmp_path, two_row_chunks
):
    import_files(engine, _setup_files())
    path = tmp_path / "bookings.csv"
    rows = [_booking(n) for n in range(1, 6)] + [_booking(2)]
    path.write_text(HEADER + "".join(rows))
    with pytest.raises(ImportRefused) as refusal:
        import_files(engine, [path])
    [error] = refusal.value.errors
    assert (error.line, error.column, error.value) == (7, "booking_id", "b2")
    assert error.reason == "duplicate booking_id (first on line 3)"
    assert _count(engine, bookings) == 0


def test_bad_rows_in_later_chunks_are_all_reported_and_nothing_from_the_file_is_stored(
    engine, tmp_path, two_row_chunks
):
    import_files(engine, _setup_files())
    path = tmp_path / "bookings.csv"
    rows = [_booking(n) for n in range(1, 8)]
    rows[3] = _booking(4, status="done")  # line 5, second chunk
    rows[6] = _booking(7, duration="0")  # line 8, fourth chunk
    path.write_text(HEADER + "".join(rows))
    with pytest.raises(ImportRefused) as refusal:
        import_files(engine, [path])
    assert [(e.line, e.column) for e in refusal.value.errors] == [
        (5, "status"),
        (8, "duration_minutes"),
    ]
    assert _count(engine, bookings) == 0


def test_reimport_in_chunks_replaces_rows_and_keeps_counts(engine, tmp_path, two_row_chunks):
    import_files(engine, _fixture_files())
    before = _count(engine, consultations)
    path = tmp_path / "consultations.csv"
    path.write_text((TWO_WEEKS / "consultations.csv").read_text())
    summary = import_files(engine, [path])
    [result] = summary.files
    assert (result.inserted, result.updated) == (0, before)
    assert _count(engine, consultations) == before


def test_quoted_file_is_read_whole_with_physical_line_numbers(tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(HEADER + _booking(1) + '"b2",rockville,"p\n2",initial,x,60,completed,\n')
    [(frame, lines)] = list(read_csv_chunks(path, rows=1))
    assert list(frame["booking_id"]) == ["b1", "b2"]
    assert list(lines) == [2, 3]


# Plain files (no quotes, no blank lines) that pandas reads in its own way: each is read in chunks
# as pandas reads it whole (missing fields missing, "NA" as text, a byte-order mark dropped).
PLAIN_FILES = {
    "byte-order mark": b"\xef\xbb\xbfa,b,c\n1,2,3\n4,,6\n",
    "CRLF and blanks in values": b"a,b,c\r\n1,2,3\r\n4, x ,6\r\n",
    "short rows": b"a,b,c\n1,2,3\n4,5\n7,8,9\n1,2,3\n1\n",
    "repeated header": b"a,a,c\n1,2,3\n",
    "words pandas would take for missing": b"a,b,c\nNA,NULL,nan\n,#N/A,None\n",
    "no last line break": b"a,b,c\n1,2,3\n4,5,6",
    "rows a multiple of the chunk": b"a,b,c\n1,2,3\n4,5,6\n",
    "trailing comma": b"a,b,c,\n1,2,3,\n",
    "not ASCII": "a,b,c\n\u00e9,\u4e2d,x\n".encode(),
}


@pytest.mark.parametrize("name", sorted(PLAIN_FILES))
@pytest.mark.parametrize("rows", [2, 100])
def test_plain_files_are_read_in_chunks_as_pandas_reads_them_whole(name, rows, tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_bytes(PLAIN_FILES[name])
    whole = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    expected = [
        (whole.iloc[start : start + rows].reset_index(drop=True), start + 2)
        for start in range(0, max(len(whole), 1), rows)
    ]
    chunks = list(read_csv_chunks(path, rows))
    assert len(chunks) == len(expected)
    for (frame, lines), (want, first_line) in zip(chunks, expected, strict=True):
        pd.testing.assert_frame_equal(frame, want)
        assert list(lines) == list(range(first_line, first_line + len(want)))


def test_a_row_of_too_many_fields_after_good_chunks_is_refused_as_pandas_says(tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_bytes(b"a,b,c\n" + b"1,2,3\n" * 5 + b"4,5,6,7\n" + b"1,2,3\n")
    found = list(read_csv_chunks(path, 2))
    assert [len(item[0]) for item in found[:-1]] == [2, 2]
    assert str(found[-1]) == (
        f"{path}:7: not a valid CSV row: Error tokenizing data. C error: Expected 3 fields in "
        "line 7, saw 4"
    )
