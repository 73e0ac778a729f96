"""Read one contract file from an XLSX workbook: the sheet named like the kind, else the first.

A workbook is a zip of XML parts, so a small upload can inflate enormously. Before anything is
parsed, the zip's own directory is checked against `MAX_PARTS`, `MAX_UNZIPPED_BYTES` and
`MAX_RATIO`; the sheet is then read within `MAX_ROWS`, `MAX_COLUMNS`, `MAX_CELLS` and
`MAX_CELL_CHARS`, whatever size it declares.
"""

import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import RowError

MAX_PARTS = 10_000  # zip members: a workbook has a few per sheet; each costs memory to list
MAX_UNZIPPED_BYTES = 128 * 1024 * 1024  # all parts of the workbook together, unzipped
MAX_RATIO = 100  # unzipped / zipped size of any part bigger than RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1024 * 1024
MAX_ROWS = 1_048_576  # Excel's last row: rows after it are not read
MAX_COLUMNS = 256  # header cells read; a contract file has fewer than ten columns
MAX_CELLS = 10_000_000  # rows kept x header width: Excel's last row of a ten-column file fits
MAX_CELL_CHARS = 32_767  # Excel's own limit: only a crafted file holds a longer text
# The zip's end record and its comment of up to 64 KiB close the file.
_END_RECORD_SEARCH = 22 + 0xFFFF

UNREADABLE = "not a readable Excel workbook"


def read_xlsx_file(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    """The sheet's rows with cells as typed by Excel, and each row's spreadsheet row number.

    Cells keep their types (dates, times, numbers): the contract's readers write them out in the
    contract's format, so a date cell is a date whatever display format the sheet uses. A file
    that is not a workbook, or one beyond the limits, gives one `RowError` saying why.
    """
    refusal = _zip_refusal(path)
    if refusal is not None:
        return RowError(str(path), 0, "", "", refusal)
    try:
        return _read_sheet(path, kind)
    except _TooBig as problem:
        return RowError(str(path), problem.row, problem.column, problem.value, str(problem))
    except Exception as problem:  # openpyxl raises many kinds on a malformed workbook
        reason = f"{UNREADABLE} ({type(problem).__name__}: {problem})"
        return RowError(str(path), 0, "", "", reason)


def _zip_refusal(path: Path) -> str | None:
    """Why the file cannot be opened as a workbook, judged from its zip directory alone."""
    parts = _declared_parts(path)
    if parts is not None and parts > MAX_PARTS:
        return f"{UNREADABLE}: it holds more than {MAX_PARTS:,} parts"
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return f"{UNREADABLE} (not a zip archive, as every .xlsx file is)"
    total = sum(part.file_size for part in parts)
    if total > MAX_UNZIPPED_BYTES:
        return (
            f"{UNREADABLE}: it unzips to {total:,} bytes, more than the "
            f"{MAX_UNZIPPED_BYTES:,} accepted (save big files as CSV)"
        )
    for part in parts:
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * part.compress_size:
            return (
                f"{UNREADABLE}: its part {part.filename} unzips {part.file_size:,} bytes "
                f"from {part.compress_size:,}, more than {MAX_RATIO} times (a zip bomb?)"
            )
    return None


def _declared_parts(path: Path) -> int | None:
    """How many members the zip's end record declares (read before `zipfile` reads them all)."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, 2)
            stream.seek(max(0, stream.tell() - _END_RECORD_SEARCH))
            tail = stream.read()
    except OSError:
        return None  # zipfile says why next
    found = tail.rfind(b"PK\x05\x06")
    if found < 0 or len(tail) < found + 12:
        return None  # not a zip: zipfile says so next
    (parts,) = struct.unpack_from("<H", tail, found + 10)
    # 0xFFFF: the count is in a ZIP64 record, which no workbook of accepted size needs.
    return MAX_PARTS + 1 if parts == 0xFFFF else parts


class _TooBig(Exception):
    def __init__(self, reason: str, row: int, column: str = "", value: str = "") -> None:
        super().__init__(reason)
        self.row, self.column, self.value = row, column, value


def _read_sheet(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray]:
    # Imported here: a command importing CSV files does not load the workbook reader.
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook[kind] if kind in workbook.sheetnames else workbook.worksheets[0]
        # Rows and columns are bounded here, not by the size the sheet declares of itself.
        sheet.reset_dimensions()
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        width = max((n + 1 for n, v in enumerate(header) if v is not None), default=0)
        body, numbers = [], []
        rows = sheet.iter_rows(min_row=2, max_row=MAX_ROWS, max_col=max(width, 1), values_only=True)
        for number, row in enumerate(rows, start=2):
            cells = [None if v == "" else v for v in row[:width]]
            if all(v is None for v in cells):
                continue
            if (len(body) + 1) * width > MAX_CELLS:
                reason = f"more than {MAX_CELLS:,} cells (rows x columns); save big files as CSV"
                raise _TooBig(reason, number)
            for column, value in enumerate(cells):
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    reason = f"longer than {MAX_CELL_CHARS:,} characters (Excel's limit for a cell)"
                    raise _TooBig(reason, number, str(header[column] or ""), value)
            body.append(cells)
            numbers.append(number)
    finally:
        workbook.close()
    names = ["" if h is None else str(h) for h in header[:width]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    return frame, np.asarray(numbers, dtype=np.int64)
