"""Import contract files (CSV or XLSX) into the database: the public API and the CLI.

    python -m data.load --db URL locations.csv capacity.csv bookings.csv ...

Files are applied in dependency order (locations, capacity, closures, users, consultations,
bookings), each in its own transaction: a file with any bad row stores nothing, and the report
names every bad row. Files applied before or after a refused one stay applied.
"""

import argparse
import csv
import io
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data.contract import KINDS, RowError, validate
from data.store import store, stored_locations
from data.xlsx_input import read_xlsx

__all__ = [
    "FileResult",
    "ImportRefused",
    "ImportSummary",
    "RowError",
    "import_files",
    "import_frames",
]

Progress = Callable[[float, str], None]
SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class FileResult:
    """One applied file: rows read, and how many were new, replaced, or removed (replaced lists)."""

    kind: str
    source: str
    rows: int
    inserted: int
    updated: int
    removed: int = 0

    def __str__(self) -> str:
        text = f"{self.source}: {self.rows} rows ({self.inserted} inserted, {self.updated} updated"
        if self.kind in ("capacity", "users"):
            text += f", {self.removed} stored rows replaced"
        return text + ")"


@dataclass
class ImportSummary:
    """The files applied by one import, in the order they were applied."""

    files: list[FileResult] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(f) for f in self.files)


class ImportRefused(Exception):
    """At least one file had bad rows; nothing from it was stored (`summary` lists what was)."""

    def __init__(
        self,
        errors: list[RowError],
        *,
        summary: ImportSummary | None = None,
        refused: Sequence[str] = (),
    ) -> None:
        self.errors = errors
        self.summary = summary or ImportSummary()
        self.refused = list(refused)
        super().__init__("\n".join(str(e) for e in errors))


def import_files(
    engine: Engine, paths: Iterable[str | Path], *, progress: Progress | None = None
) -> ImportSummary:
    """Import contract files `<kind>.csv` or `<kind>.xlsx`; raises `ImportRefused` on bad rows.

    Raises `ValueError` (before touching the database) for a name that is not a contract file and
    `FileNotFoundError` for a missing one.
    """
    ordered = sorted((Path(p) for p in paths), key=lambda p: KINDS.index(file_kind(p)))
    for path in ordered:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")

    def read(path: Path) -> tuple[pd.DataFrame, np.ndarray] | RowError:
        return _read_file(path, file_kind(path))

    return _apply(engine, [(file_kind(p), str(p), read, p) for p in ordered], progress)


def import_frames(
    engine: Engine,
    frames: Mapping[str, pd.DataFrame],
    *,
    source: str = "frames",
    progress: Progress | None = None,
) -> ImportSummary:
    """Import in-memory frames in the contract's columns (text as read from CSV, or typed values).

    Keys are file kinds; a row's "line" in the error report is its position + 2, as if the frame
    were written out as a CSV file with a header.
    """
    unknown = set(frames) - set(KINDS)
    if unknown:
        raise ValueError(f"not a contract file kind: {', '.join(sorted(unknown))}")

    def read(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        return frame, np.arange(len(frame), dtype=np.int64) + 2

    jobs = [(kind, f"{source}:{kind}", read, frames[kind]) for kind in KINDS if kind in frames]
    return _apply(engine, jobs, progress)


def file_kind(path: Path) -> str:
    """The contract file kind a path names (`bookings.csv` -> `bookings`), else `ValueError`."""
    if path.suffix.lower() not in SUFFIXES or path.stem not in KINDS:
        raise ValueError(
            f"{path.name}: not a contract file; expected one of "
            + ", ".join(f"{k}.csv" for k in KINDS)
            + " (or .xlsx)"
        )
    return path.stem


def _apply(engine: Engine, jobs: list, progress: Progress | None) -> ImportSummary:
    """Validate and store each job in its own transaction; collect every refusal."""
    summary = ImportSummary()
    errors: list[RowError] = []
    refused: list[str] = []
    for number, (kind, source, read, item) in enumerate(jobs):
        report = _scaled(progress, number, len(jobs), source)
        report(0.0, "reading")
        loaded = read(item)
        if isinstance(loaded, RowError):
            errors.append(loaded)
            refused.append(source)
            continue
        frame, lines = loaded
        report(0.1, f"checking {len(frame)} rows")
        with engine.begin() as conn:
            checked = validate(
                kind, frame, source=source, lines=lines, locations=stored_locations(conn)
            )
            if checked.errors:
                errors += checked.errors
                refused.append(source)
                continue
            stored = store(
                conn,
                kind,
                checked.rows,
                source=source,
                progress=lambda done, text, report=report: report(0.3 + 0.7 * done, text),
            )
        summary.files.append(
            FileResult(kind, source, len(frame), stored.inserted, stored.updated, stored.removed)
        )
        report(1.0, "done")
    if errors:
        raise ImportRefused(errors, summary=summary, refused=refused)
    return summary


def _scaled(progress: Progress | None, number: int, count: int, source: str) -> Progress:
    """Progress of one file as a share of the whole import."""

    def report(fraction: float, text: str) -> None:
        if progress is not None:
            progress((number + fraction) / count, f"{source}: {text}")

    return report


def _read_file(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    if path.suffix.lower() == ".xlsx":
        try:
            return read_xlsx(path, kind)
        except (OSError, ValueError, KeyError) as problem:
            return RowError(str(path), 0, "", "", f"not a readable XLSX workbook: {problem}")
    return read_csv(path)


def read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    """All cells as text (empty cell = empty string) and each row's physical line number."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = raw[: problem.start].count(b"\n") + 1
        return RowError(str(path), line, "", "", "not UTF-8 text")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return RowError(str(path), 1, "", "", "the file is empty (no header row)")
    except pd.errors.ParserError as problem:
        found = re.search(r"line (\d+)", str(problem))
        line = int(found.group(1)) if found else 0
        return RowError(str(path), line, "", "", f"not a valid CSV row: {problem}")
    return frame, _physical_lines(text, len(frame))


def _physical_lines(text: str, rows: int) -> np.ndarray:
    """Line numbers of the data rows (quoted line breaks and blank lines shift them from row+2)."""
    simple = np.arange(rows, dtype=np.int64) + 2
    if '"' not in text and "\n\n" not in text.replace("\r\n", "\n"):
        return simple
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    lines, end = [], reader.line_num
    for record in reader:
        if record:
            lines.append(end + 1)
        end = reader.line_num
    return np.asarray(lines, dtype=np.int64) if len(lines) == rows else simple


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: import files, print what each did; exit 1 if any file was refused, 2 on usage errors."""
    from queries.db import default_url, open_database

    parser = argparse.ArgumentParser(prog="python -m data.load", description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or data/)")
    parser.add_argument("files", nargs="+", type=Path, help="contract files: <kind>.csv or .xlsx")
    args = parser.parse_args(argv)
    for path in args.files:
        try:
            file_kind(path)
        except ValueError as problem:
            parser.error(str(problem))
        if not path.is_file():
            parser.error(f"no such file: {path}")

    engine = open_database(args.db or default_url())
    try:
        summary = import_files(engine, args.files, progress=_ProgressLines(sys.stderr))
    except ImportRefused as refusal:
        _print_refusal(refusal)
        return 1
    finally:
        engine.dispose()
    print(summary)
    return 0


def _print_refusal(refusal: ImportRefused) -> None:
    for result in refusal.summary.files:
        print(f"{result}  - applied")
    for source in refusal.refused:
        print(f"{source}: REFUSED - nothing from this file was stored")
    print(f"\n{len(refusal.errors)} error(s):", file=sys.stderr)
    for error in refusal.errors:
        print(error, file=sys.stderr)
    applied = ", ".join(r.source for r in refusal.summary.files)
    if applied:
        print(f"\nThe other files were applied and stay applied: {applied}.", file=sys.stderr)


class _ProgressLines:
    """Progress for a terminal: a line per step of 10% of the whole import."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.shown = -1

    def __call__(self, fraction: float, text: str) -> None:
        step = int(fraction * 10)
        if step > self.shown:
            self.shown = step
            print(f"[{fraction:4.0%}] {text}", file=self.stream, flush=True)


if __name__ == "__main__":
    sys.exit(main())
