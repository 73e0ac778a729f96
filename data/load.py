"""Import contract files (CSV or XLSX) into the database: the public API and the CLI.

    python -m data.load --db URL locations.csv capacity.csv bookings.csv ...
    python -m data.load --db URL --mapping NAME_OR_FILE export.csv ...

Files are applied in dependency order (locations, capacity, closures, users, bookings,
consultations), each in its own transaction: a file with any bad row stores nothing, and the report
names every bad row. Files applied before or after a refused one stay applied.
"""

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from data.bulk_load import import_connection, import_settings
from data.checked_chunks import CheckedChunk, Prefetch, checked_chunks, read_ahead
from data.contract import KINDS, SPECS, RowError
from data.csv_input import read_csv, read_csv_chunks
from data.mapped_input import check_export, mapped_chunks, mapping_errors
from data.mapping import ExportMapping, MappingRefused, check, contract_errors
from data.mapping_store import find_mapping, save_mapping
from data.patient_ref import MissingKey, settings_key
from data.store import CHUNKED_KINDS, STORED_KINDS, ChunkWriter, store, stored_locations
from data.xlsx_input import read_xlsx_file
from queries import audit

__all__ = [
    "FileResult",
    "ImportRefused",
    "ImportSummary",
    "RowError",
    "import_files",
    "import_frames",
    "import_mapped",
]

Progress = Callable[[float, str], None]
SUFFIXES = (".csv", ".xlsx")
# The big files (`CHUNKED_KINDS`) are read, checked and written a chunk at a time: memory follows
# the chunk.
CHUNK_ROWS = 200_000
# From this size a CSV file of consultations or bookings is read and checked in a process of its
# own (about 200,000 bookings).
PROCESS_BYTES = 20 * 1024 * 1024


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
        if STORED_KINDS[self.kind].replaces:
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
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    progress: Progress | None = None,
    actor: str | None = None,
) -> ImportSummary:
    """Import contract files `<kind>.csv` or `<kind>.xlsx`; raises `ImportRefused` on bad rows.

    Raises `ValueError` (before touching the database) for a name that is not a contract file and
    `FileNotFoundError` for a missing one. With an `actor` (an e-mail, or `audit.os_user()`) every
    file is audited: an applied one in the transaction that stores it, a refused one, and the
    file an error stopped the import on.
    """
    ordered = sorted((Path(p) for p in paths), key=lambda p: KINDS.index(file_kind(p)))
    for path in ordered:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")

    def read(path: Path) -> Iterator[tuple[pd.DataFrame, np.ndarray] | RowError]:
        kind = file_kind(path)
        if path.suffix.lower() == ".csv" and kind in CHUNKED_KINDS:
            return read_csv_chunks(path, CHUNK_ROWS)
        return iter([_read_file(path, kind)])

    jobs = [(file_kind(p), str(p), read, p) for p in ordered]
    return _apply(engine, jobs, progress, actor)


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

    def read(frame: pd.DataFrame) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        return iter([(frame, np.arange(len(frame), dtype=np.int64) + 2)])

    jobs = [(kind, f"{source}:{kind}", read, frames[kind]) for kind in KINDS if kind in frames]
    return _apply(engine, jobs, progress, None)


def import_mapped(
    engine: Engine,
    paths: Iterable[str | Path],
    mapping: ExportMapping,
    *,
    progress: Progress | None = None,
    actor: str | None = None,
) -> ImportSummary:
    """Import exports through `mapping`: each becomes contract rows, checked and stored as a
    contract file is (all or nothing per file); raises `ImportRefused` on bad rows. With an
    `actor`, each file is audited as `import_files` audits it.

    Raises `MappingRefused` for a mapping that cannot be used, `MissingKey` if it makes
    `patient_ref` and the deployment has no key, `FileNotFoundError` for a missing file; all
    before touching the database. Errors name the export, its line and the source column.
    """
    check(mapping)
    key = settings_key() if mapping.hashes else None
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    errors: list[RowError] = []
    refused: list[str] = []
    jobs = []
    for path in paths:
        # The mapping is tried first: a file it cannot map whole is reported, never stored.
        found = mapping_errors(path, mapping, key)
        if found:
            file_errors = check_export(engine, path, mapping, key).errors
            errors += file_errors
            refused.append(str(path))
            _record_refusal(engine, actor, mapping.kind, str(path), len(file_errors))
            continue
        chunks = partial(mapped_chunks, path, mapping, key, [])
        jobs.append((mapping.kind, str(path), _call, chunks))
    try:
        summary = _apply(engine, jobs, progress, actor)
    except ImportRefused as refusal:
        errors += contract_errors(refusal.errors, mapping)
        summary, refused = refusal.summary, refused + refusal.refused
    if errors:
        raise ImportRefused(errors, summary=summary, refused=refused)
    return summary


def _call(make: Callable[[], Iterator]) -> Iterator:
    return make()


def file_kind(path: Path) -> str:
    """The contract file kind a path names (`bookings.csv` -> `bookings`), else `ValueError`."""
    if path.suffix.lower() not in SUFFIXES or path.stem not in KINDS:
        raise ValueError(
            f"{path.name}: not a contract file; expected one of "
            + ", ".join(f"{k}.csv" for k in KINDS)
            + " (or .xlsx)"
        )
    return path.stem


def _apply(
    engine: Engine, jobs: list, progress: Progress | None, actor: str | None
) -> ImportSummary:
    """Validate and store each job in its own transaction; collect every refusal.

    With an `actor`, each file's audit entry is written: an applied file's in its own
    transaction, so a stored file is never without one whatever happens after it.
    """
    summary = ImportSummary()
    errors: list[RowError] = []
    refused: list[str] = []
    ahead = _FileAhead(jobs)
    try:
        for number, (kind, source, _read, _item) in enumerate(jobs):
            report = _scaled(progress, number, len(jobs), source)
            try:
                report(0.0, "reading")
                with import_connection(engine) as conn, conn.begin(), import_settings(conn):
                    result = _apply_file(
                        conn,
                        kind,
                        source,
                        partial(ahead.checked, number, sqlite=conn.dialect.name == "sqlite"),
                        report,
                        before_finish=partial(ahead.start, number + 1),
                    )
                    if actor is not None:
                        audit.append(
                            conn, email=actor, action=audit.IMPORT, detail=_applied(result)
                        )
            except _Refused as refusal:
                errors += refusal.errors
                refused.append(source)
                _record_refusal(engine, actor, kind, source, len(refusal.errors))
                continue
            except BaseException as error:  # a rerun or interrupt stops an import as well
                _record_failure(engine, actor, kind, source, error)
                raise
            summary.files.append(result)
            report(1.0, "done")
    finally:
        ahead.close()
    if errors:
        raise ImportRefused(errors, summary=summary, refused=refused)
    return summary


def _applied(result: FileResult) -> dict[str, object]:
    return {
        "file": Path(result.source).name,
        "kind": result.kind,
        "rows": result.rows,
        "inserted": result.inserted,
        "updated": result.updated,
        "removed": result.removed,
    }


def _record_refusal(engine: Engine, actor: str | None, kind: str, source: str, errors: int) -> None:
    if actor is not None:
        detail = {"file": Path(source).name, "kind": kind, "errors": errors}
        audit.record(engine, email=actor, action=audit.IMPORT_REFUSED, detail=detail)


def _record_failure(
    engine: Engine, actor: str | None, kind: str, source: str, error: BaseException
) -> None:
    """The failure's audit entry; if even that cannot be written, the error says so."""
    if actor is None:
        return
    detail = {"file": Path(source).name, "kind": kind, "error": type(error).__name__}
    try:
        audit.record(engine, email=actor, action=audit.IMPORT_FAILED, detail=detail)
    except Exception as problem:
        error.add_note(f"The audit entry for this failure could not be written: {problem}")


class _FileAhead:
    """The jobs' checked chunks, a big file's read and checked by a worker while we write.

    A big CSV file is read and checked in a process of its own while this process writes what
    it has checked (`Prefetch.in_process`). And finishing a consultations or bookings file is
    minutes of set-based statements in the database (moves, indexes, aggregates): meanwhile the
    next such file is read and checked already, so that its time is hidden.
    """

    def __init__(self, jobs: list) -> None:
        self.jobs = jobs
        self.prefetch: Prefetch | None = None
        self.number = -1

    def start(self, number: int, locations: dict[str, str]) -> None:
        """Start reading job `number` if it is a big file (`locations` as its check needs them)."""
        if self.prefetch is not None or number >= len(self.jobs):
            return
        kind, source, read, item = self.jobs[number]
        if kind not in CHUNKED_KINDS:
            return
        if _big_csv(item):
            self.prefetch = Prefetch.in_process(kind, source, item, CHUNK_ROWS, locations)
        else:
            self.prefetch = Prefetch.in_thread(kind, source, read(item), locations)
        self.number = number

    def checked(
        self, number: int, locations: dict[str, str], *, sqlite: bool
    ) -> Iterator[CheckedChunk]:
        """Job `number`'s checked chunks: prefetched if they were checked against `locations`."""
        kind, source, read, item = self.jobs[number]
        prefetch = self.prefetch if self.number == number else None
        if prefetch is not None:
            self.prefetch = None
            if prefetch.locations == locations:
                return _replayed(prefetch, wait_for_all=sqlite)
            prefetch.close()  # the locations changed since (another import): check again
        if kind in CHUNKED_KINDS and _big_csv(item):
            prefetch = Prefetch.in_process(kind, source, item, CHUNK_ROWS, locations)
            return _replayed(prefetch, wait_for_all=False)
        return checked_chunks(kind, source, read(item), locations)

    def close(self) -> None:
        if self.prefetch is not None:
            self.prefetch.close()
            self.prefetch = None


def _big_csv(item: object) -> bool:
    """A CSV file big enough for a process of its own (starting one takes about a second)."""
    return (
        isinstance(item, Path)
        and item.suffix.lower() == ".csv"
        and item.stat().st_size >= PROCESS_BYTES
    )


def _replayed(prefetch: Prefetch, *, wait_for_all: bool) -> Iterator[CheckedChunk]:
    try:
        yield from prefetch.replay(wait_for_all=wait_for_all)
    finally:
        prefetch.close()


class _Refused(Exception):
    """Raised inside a file's transaction so that nothing written from it is kept."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


def _apply_file(
    conn: Connection,
    kind: str,
    source: str,
    checked_for: Callable[[dict[str, str]], Iterator[CheckedChunk]],
    report: Progress,
    *,
    before_finish: Callable[[dict[str, str]], None],
) -> FileResult:
    """Check every chunk of one file and write the good ones; `_Refused` if any row is bad.

    Chunks after the first bad one are still checked (the report names every bad row) but no
    longer written. Ids repeated across chunks are caught by `KeysSeen`. On PostgreSQL the next
    chunk is read and checked in a thread while this one is written, so both cores work.
    `checked_for(locations)` gives the checked chunks; `before_finish(locations)` is called
    when the rows are all written and the derived data is about to be refreshed.
    """
    locations = stored_locations(conn)
    writer = ChunkWriter(conn, kind, source) if kind in CHUNKED_KINDS else None
    errors: list[RowError] = []
    rows = 0
    stored = None
    checked = checked_for(locations)
    # SQLite's driver lets go of the GIL for every row it steps, and a busy reader thread then
    # holds the writer up row after row; PostgreSQL's COPY hands over a chunk in one call.
    ahead = read_ahead(checked) if conn.dialect.name == "postgresql" else checked
    for chunk in ahead:
        errors += chunk.errors
        rows += chunk.rows
        report(0.1, f"checked {rows} rows")
        if chunk.checked is None or errors:
            continue
        if writer is not None:
            writer.write(chunk.checked.rows)
            report(0.5, f"{rows} rows written")
            continue
        stored = store(
            conn,
            kind,
            chunk.checked.rows,
            source=source,
            progress=lambda done, text: report(0.3 + 0.7 * done, text),
        )
    if errors:
        order = {name: n for n, name in enumerate(SPECS[kind].names)}
        errors.sort(key=lambda e: (e.line, order.get(e.column, -1)))
        raise _Refused(errors)
    if writer is not None:
        report(0.9, "refreshing derived data")
        before_finish(locations)
        stored = writer.finish()
    if stored is None:
        raise _Refused([RowError(source, 1, "", "", "the file is empty (no header row)")])
    return FileResult(kind, source, rows, stored.inserted, stored.updated, stored.removed)


def _scaled(progress: Progress | None, number: int, count: int, source: str) -> Progress:
    """Progress of one file as a share of the whole import."""

    def report(fraction: float, text: str) -> None:
        if progress is not None:
            progress((number + fraction) / count, f"{source}: {text}")

    return report


def _read_file(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    if path.suffix.lower() == ".xlsx":
        return read_xlsx_file(path, kind)
    return read_csv(path)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: import files, print what each did; exit 1 if any file was refused, 2 on usage errors."""
    from queries.db import default_url, open_database

    parser = argparse.ArgumentParser(prog="python -m data.load", description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or data/)")
    parser.add_argument(
        "--mapping",
        default=None,
        help="import exports through this mapping: a saved or shipped mapping's name, or a "
        ".toml file (which is then saved in the database too)",
    )
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        help="contract files <kind>.csv or .xlsx; with --mapping, exports",
    )
    args = parser.parse_args(argv)
    for path in args.files:
        if args.mapping is None:
            try:
                file_kind(path)
            except ValueError as problem:
                parser.error(str(problem))
        if not path.is_file():
            parser.error(f"no such file: {path}")

    engine = open_database(args.db or default_url())
    try:
        if args.mapping is None:
            summary = import_files(
                engine, args.files, progress=_ProgressLines(sys.stderr), actor=audit.os_user()
            )
        else:
            summary = _import_with_mapping(engine, args.mapping, args.files)
    except ImportRefused as refusal:
        _print_refusal(refusal)
        return 1
    except (LookupError, MappingRefused, MissingKey) as problem:
        print(f"--mapping {args.mapping}: {problem}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(summary)
    return 0


def _import_with_mapping(engine: Engine, name_or_file: str, paths: list[Path]) -> ImportSummary:
    """Import exports through a named or file mapping; a file's mapping is saved once it worked."""
    mapping = find_mapping(engine, name_or_file)
    summary = import_mapped(
        engine, paths, mapping, progress=_ProgressLines(sys.stderr), actor=audit.os_user()
    )
    if Path(name_or_file).is_file():
        save_mapping(engine, mapping)
    return summary


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
