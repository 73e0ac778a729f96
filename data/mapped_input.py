"""An export read through its mapping: contract rows chunk by chunk, and its check before storing.

The contract rows go to the contract's own check (`checked_chunks`); `check_export` runs that
check without storing anything, which is what the Import page previews and what an import of a
file with unmappable rows reports.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data.checked_chunks import checked_chunks
from data.contract import RowError
from data.csv_input import read_csv_chunks
from data.mapping import ExportMapping, apply, contract_errors
from data.store import stored_locations
from data.xlsx_input import read_xlsx_file

Chunk = tuple[pd.DataFrame, np.ndarray]
# An export is read this many rows at a time: memory follows the chunk, not the file.
CHUNK_ROWS = 200_000
PREVIEW_ROWS = 10


def source_chunks(path: Path, rows: int = CHUNK_ROWS) -> Iterator[Chunk | RowError]:
    """The export's rows as read (all cells text from CSV, typed cells from XLSX), with lines."""
    if path.suffix.lower() == ".xlsx":
        return iter([read_xlsx_file(path, "")])
    return read_csv_chunks(path, rows)


def source_frame(path: Path, rows: int | None = None) -> Chunk | RowError:
    """The export's first `rows` rows (all if None): what the page proposes a mapping from."""
    for loaded in source_chunks(path, rows or CHUNK_ROWS):
        return loaded
    return RowError(str(path), 1, "", "", "the file is empty (no header row)")


def mapped_chunks(
    path: Path,
    mapping: ExportMapping,
    key: bytes | None,
    errors: list[RowError],
    *,
    source: str | None = None,
) -> Iterator[Chunk | RowError]:
    """The export as contract rows, chunk by chunk; what could not be mapped goes to `errors`."""
    for loaded in source_chunks(path):
        if isinstance(loaded, RowError):
            yield loaded
            return
        frame, lines = loaded
        mapped = apply(mapping, frame, lines, source=source or str(path), key=key)
        errors += mapped.errors
        if any(error.line == 1 for error in mapped.errors):
            return  # a column the mapping reads is missing: no row can be mapped
        yield mapped.rows, lines


def mapping_errors(path: Path, mapping: ExportMapping, key: bytes | None) -> list[RowError]:
    """What the mapping itself cannot map in the export (the contract's check not yet run)."""
    errors: list[RowError] = []
    for loaded in mapped_chunks(path, mapping, key, errors):
        if isinstance(loaded, RowError):
            errors.append(loaded)
    return errors


@dataclass
class ExportCheck:
    """An export checked through its mapping, nothing stored: its first rows as contract rows,
    its row count, and every error an import of it would report."""

    rows: pd.DataFrame
    count: int
    errors: list[RowError]


def check_export(
    engine: Engine,
    path: Path,
    mapping: ExportMapping,
    key: bytes | None,
    *,
    source: str | None = None,
) -> ExportCheck:
    """Map and check the whole export against the stored locations; store nothing."""
    with engine.connect() as conn:
        locations = stored_locations(conn)
    mapping_found: list[RowError] = []
    first: list[pd.DataFrame] = []

    def kept(chunks: Iterator[Chunk | RowError]) -> Iterator[Chunk | RowError]:
        for chunk in chunks:
            if not isinstance(chunk, RowError) and not first:
                first.append(chunk[0].head(PREVIEW_ROWS))
            yield chunk

    name = source or str(path)
    contract_found: list[RowError] = []
    count = 0
    mapped = mapped_chunks(path, mapping, key, mapping_found, source=name)
    for chunk in checked_chunks(mapping.kind, name, kept(mapped), locations):
        contract_found += chunk.errors
        count += chunk.rows
    errors = mapping_found + contract_errors(contract_found, mapping, told=mapping_found)
    errors.sort(key=lambda error: error.line)
    return ExportCheck(first[0] if first else pd.DataFrame(), count, errors)
