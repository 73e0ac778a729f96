"""Hostile files are refused in one plain line, within bounded time and memory, losing nothing.

Each file is made here, in tmp_path (some inflate to gigabytes), and tried two ways: through
`python -m data.load` in a process limited to 1 GiB of address space and a timeout, and through
`import_files`, the Import page's path, on both databases; a few also through the Import page
itself. The database holds the two-weeks fixture first; it must hold exactly that afterwards.
"""

import resource
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data import xlsx_input
from data.contract import RowError
from data.csv_input import BLOCK_BYTES
from data.load import ImportRefused, import_files
from queries import schema
from queries.db import make_engine
from tests import hostile_files as hostile
from tests.conftest import TWO_WEEKS
from tests.test_app_import_page import _admin_app as admin_app
from tests.test_app_import_page import _upload as upload
from tests.test_app_import_page import clinic as _clinic  # noqa: F401 (a fixture)
from tests.test_load_cli import run_cli

MEMORY_LIMIT = 1 << 30  # the importer of a small file needs under half of it
TIMEOUT = 90  # seconds, on a busy machine; an unbounded read of these files takes far longer
SEED = [TWO_WEEKS / "locations.csv", TWO_WEEKS / "bookings.csv"]
HEADER = ",".join(hostile.BOOKING_HEADER).encode() + b"\n"


def _row(n: int, patient: bytes = b"p") -> bytes:
    return b"h%d,rockville,%s%d,initial,2026-03-10 09:00,60,completed\n" % (n, patient, n)


def _csv(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bad_byte_at_block_boundary(path: Path) -> Path:
    """An unfinished two-byte character whose first byte ends the first block read."""
    data = bytearray(HEADER + b"".join(_row(n) for n in range(1, 30_001)))
    start = BLOCK_BYTES - 1
    while b"\n" in data[start : start + 2]:
        start -= 1
    data[start : start + 2] = b"\xc3x"
    return _csv(path, bytes(data))


# name -> (file made in a folder, the one error line expected for it, where {path} is the file)
CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zip bomb past the size cap": (
        lambda folder: hostile.zip_bomb_workbook(folder / "bookings.xlsx", 1500),
        "{path}: not a readable Excel workbook: it unzips to 1,572,",
    ),
    "zip bomb past the ratio cap": (
        lambda folder: hostile.zip_bomb_workbook(folder / "bookings.xlsx", 100),
        "{path}: not a readable Excel workbook: its part xl/worksheets/sheet1.xml unzips",
    ),
    "workbook of too many parts": (
        lambda folder: hostile.many_parts_workbook(folder / "bookings.xlsx", 10_000),
        "{path}: not a readable Excel workbook: it holds more than 10,000 parts",
    ),
    "cell longer than Excel allows": (
        lambda folder: hostile.long_cell_workbook(folder / "bookings.xlsx", 40_000),
        "{path}:3: column 'booking_id' = '"
        + "b" * 80
        + "…': longer than 32,767 characters (Excel's limit for a cell)",
    ),
    "xlsx that is not a zip": (
        lambda folder: _csv(folder / "bookings.xlsx", HEADER + _row(1)),
        "{path}: not a readable Excel workbook (not a zip archive, as every .xlsx file is)",
    ),
    "xlsx with broken sheet XML": (
        lambda folder: hostile.workbook_with_sheet(
            folder / "bookings.xlsx",
            f'<worksheet xmlns="{hostile.MAIN_NS}"><sheetData><row r="1"><c r="A1'.encode(),
        ),
        "{path}: not a readable Excel workbook (ParseError: ",
    ),
    "quoted value past the csv module's field limit": (
        lambda folder: _csv(
            folder / "bookings.csv",
            HEADER + _row(1) + b'h2,rockville,"' + b"many short lines\n" * 10_000 + b'",x\n',
        ),
        "{path}:3: a value longer than 131,072 characters",
    ),
    "2 MB field on line 3": (
        lambda folder: _csv(folder / "bookings.csv", HEADER + _row(1) + _row(2, b"x" * 2_000_000)),
        "{path}:3: a line longer than 100,000 bytes (no contract row is)",
    ),
    "long value echoed cut": (
        lambda folder: _csv(folder / "bookings.csv", HEADER + _row(1) + b"h" * 90_000 + _row(2)),
        "{path}:3: column 'booking_id' = '" + "h" * 80 + "…': longer than 100 characters",
    ),
    "undecodable first byte": (
        lambda folder: _csv(folder / "bookings.csv", b"\xff" + HEADER + _row(1)),
        "{path}:1: not UTF-8 text",
    ),
    "undecodable byte in the middle": (
        lambda folder: _csv(
            folder / "bookings.csv",
            HEADER + b"".join(_row(n, b"\xe9" if n == 5000 else b"p") for n in range(1, 9001)),
        ),
        "{path}:5001: not UTF-8 text",
    ),
    "undecodable character across a block boundary": (
        lambda folder: _bad_byte_at_block_boundary(folder / "bookings.csv"),
        "{path}:LINE: not UTF-8 text",
    ),
    "unfinished character as the last byte": (
        lambda folder: _csv(folder / "bookings.csv", HEADER + _row(1) + _row(2)[:-1] + b"\xc3"),
        "{path}:3: not UTF-8 text",
    ),
    "NUL byte": (
        lambda folder: _csv(folder / "bookings.csv", HEADER + _row(1) + b"h2,rock\0ville\n"),
        "{path}:3: a NUL byte: binary data, not text",
    ),
}


def _expected(case: str, path: Path) -> str:
    text = CASES[case][1].format(path=path)
    if "LINE" in text:  # the line of the first byte at or after the boundary's bad character
        data = path.read_bytes()
        text = text.replace("LINE", str(data[: data.index(b"\xc3x")].count(b"\n") + 1))
    return text


def _seed(url: str) -> None:
    engine = make_engine(url)
    import_files(engine, SEED)
    engine.dispose()


def _stored(url: str) -> dict[str, object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = {
            "locations": conn.scalar(select(func.count()).select_from(schema.locations)),
            "bookings": sorted(
                conn.execute(select(schema.bookings.c.booking_id, schema.bookings.c.status)).all()
            ),
        }
    engine.dispose()
    return stored


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited_cli(*args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=TIMEOUT, preexec_fn=_limited)


@pytest.fixture
def seeded_sqlite(tmp_path, _sqlite_template) -> str:
    url = f"sqlite:///{tmp_path / 'seeded.sqlite'}"
    (tmp_path / "seeded.sqlite").write_bytes(_sqlite_template.read_bytes())
    _seed(url)
    return url


@pytest.mark.parametrize("case", CASES)
def test_the_cli_refuses_a_hostile_file_in_one_line_within_bounds(case, tmp_path, seeded_sqlite):
    before = _stored(seeded_sqlite)
    folder = tmp_path / "files"
    folder.mkdir()
    path = CASES[case][0](folder)
    done = run_limited_cli("--db", seeded_sqlite, str(path))
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert f"{path}: REFUSED - nothing from this file was stored" in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith(str(path))]
    assert len(errors) == 1, done.stderr[-2000:]
    assert errors[0].startswith(_expected(case, path))
    assert len(done.stdout) + len(done.stderr) < 2000
    assert _stored(seeded_sqlite) == before


@pytest.mark.parametrize("case", CASES)
def test_the_import_page_path_refuses_a_hostile_file_and_keeps_what_was_stored(
    case, tmp_path, db_url
):
    _seed(db_url)
    before = _stored(db_url)
    path = CASES[case][0](tmp_path)
    engine = make_engine(db_url)
    with pytest.raises(ImportRefused) as refusal:
        import_files(engine, [path])
    engine.dispose()
    assert refusal.value.refused == [str(path)]
    [error] = refusal.value.errors
    assert str(error).startswith(_expected(case, path))
    assert _stored(db_url) == before


def test_a_sheet_claiming_every_cell_of_excel_is_read_within_bounds(tmp_path, seeded_sqlite):
    """Its declared size, a header cell in the last column and cells in and past Excel's last
    row are not read: what it holds is one good booking, imported in seconds."""
    before = _stored(seeded_sqlite)
    path = hostile.huge_dimension_workbook(tmp_path / "bookings.xlsx")
    done = run_limited_cli("--db", seeded_sqlite, str(path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"{path}: 1 rows (1 inserted, 0 updated)"
    after = _stored(seeded_sqlite)
    assert after["bookings"] == sorted([*before["bookings"], ("hostile-1", "completed")])


def test_a_workbook_past_the_cell_limit_is_refused_at_the_row_that_passes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_input, "MAX_CELLS", 2 * len(hostile.BOOKING_HEADER))
    path = hostile.bookings_workbook(tmp_path / "bookings.xlsx", [hostile.BOOKING_ROW] * 3)
    assert xlsx_input.read_xlsx_file(path, "bookings") == RowError(
        str(path), 4, "", "", "more than 14 cells (rows x columns); save big files as CSV"
    )


def test_rows_after_the_last_row_read_are_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_input, "MAX_ROWS", 3)
    rows = [(f"b{n}", *hostile.BOOKING_ROW[1:]) for n in range(1, 5)]
    path = hostile.bookings_workbook(tmp_path / "bookings.xlsx", rows)
    frame, lines = xlsx_input.read_xlsx_file(path, "bookings")
    assert list(frame["booking_id"]) == ["b1", "b2"]
    assert list(lines) == [2, 3]


def test_a_small_workbook_past_the_unzipped_size_cap_is_refused_before_parsing(
    tmp_path, monkeypatch
):
    path = hostile.bookings_workbook(tmp_path / "bookings.xlsx")
    monkeypatch.setattr(xlsx_input, "MAX_UNZIPPED_BYTES", 1000)
    monkeypatch.setattr("openpyxl.load_workbook", None)  # never reached
    error = xlsx_input.read_xlsx_file(path, "bookings")
    assert str(error).startswith(f"{path}: not a readable Excel workbook: it unzips to ")
    assert str(error).endswith("bytes, more than the 1,000 accepted (save big files as CSV)")


def test_an_error_echoes_at_most_80_characters_of_a_value_on_one_line():
    error = RowError("bookings.csv", 3, "booking_id", "ab\n\x1b[31m" + "x" * 2_000_000, "bad")
    assert str(error) == ("bookings.csv:3: column 'booking_id' = 'ab  [31m" + "x" * 72 + "…': bad")


@pytest.mark.usefixtures("_clinic")
def test_the_import_page_lists_each_hostile_file_refused_and_applies_the_rest(tmp_path):
    """The Import page itself (AppTest): each hostile file is one row of the errors table, the
    good file of the same upload is applied; no traceback, no "unexpected error"."""
    files = {"locations.csv": (TWO_WEEKS / "locations.csv").read_bytes()}
    for case, name in (
        ("zip bomb past the size cap", "bookings.xlsx"),
        ("2 MB field on line 3", "consultations.csv"),
        ("NUL byte", "closures.csv"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        files[name] = CASES[case][0](folder).read_bytes()
    at = upload(admin_app(), files)
    assert not at.exception
    assert "Applied: locations.csv (2 rows)" in at.success[0].value
    [refused] = at.error
    assert refused.value.startswith("Refused, nothing from these files was stored: ")
    table = at.dataframe[0].value
    assert table[["file", "line"]].values.tolist() == [
        ["closures.csv", 3],
        ["bookings.xlsx", 0],
        ["consultations.csv", 3],
    ]
    assert table["reason"].tolist()[0] == "a NUL byte: binary data, not text"
    assert table["reason"].tolist()[1].startswith("not a readable Excel workbook: it unzips to ")
    assert table["reason"].tolist()[2] == "a line longer than 100,000 bytes (no contract row is)"
