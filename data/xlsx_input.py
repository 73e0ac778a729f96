"""Read one contract file from an XLSX workbook: the sheet named like the kind, else the first."""

from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import RowError


def read_xlsx(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The sheet's rows with cells as typed by Excel, and each row's spreadsheet row number.

    Cells keep their types (dates, times, numbers): the contract's readers write them out in the
    contract's format, so a date cell is a date whatever display format the sheet uses.
    """
    # Imported here: a command importing CSV files does not load the workbook reader.
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook[kind] if kind in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        width = len(header)
        body, numbers = [], []
        for number, row in enumerate(rows, start=2):
            cells = [None if v == "" else v for v in row[:width]]
            if all(v is None for v in cells):
                continue
            body.append(cells + [None] * (width - len(cells)))
            numbers.append(number)
    finally:
        workbook.close()
    names = ["" if h is None else str(h) for h in header]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    return frame, np.asarray(numbers, dtype=np.int64)


def read_xlsx_file(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    """`read_xlsx`, or a `RowError` saying why the workbook could not be read."""
    try:
        return read_xlsx(path, kind)
    except (OSError, ValueError, KeyError) as problem:
        return RowError(str(path), 0, "", "", f"not a readable XLSX workbook: {problem}")
