"""Read a contract CSV file: every cell as text, and each row's line number in the file.

`read_csv` reads a file whole; `read_csv_chunks` reads a big one a chunk of rows at a time, so
memory follows the chunk. A file that cannot be read as CSV gives a `RowError` naming the line.
"""

import codecs
import csv
import io
import re
from collections.abc import Generator, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from data.contract import RowError

BLOCK_BYTES = 1 << 20
# What Arrow's CSV reader parses at a time: many lines, above the longest line allowed. With
# larger blocks its streaming reader's live memory grew with the file.
ARROW_BLOCK_BYTES = 1 << 20
# No row of a contract file comes near this: a longer line is refused before it is parsed.
MAX_LINE_BYTES = 100_000


def read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    """All cells as text (empty cell = empty string) and each row's physical line number."""
    scanned = _scan(path)
    return scanned if isinstance(scanned, RowError) else _read_whole(path)


def _read_whole(path: Path) -> tuple[pd.DataFrame, np.ndarray] | RowError:
    """A file `_scan` passed, read whole (it is UTF-8 and has no overlong line)."""
    text = path.read_bytes().decode("utf-8-sig")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return RowError(str(path), 1, "", "", "the file is empty (no header row)")
    except ValueError as problem:  # pandas' ParserError and its other complaints
        return _not_csv(path, problem)
    lines = _physical_lines(text, len(frame))
    if isinstance(lines, csv.Error):
        reason = f"not a valid CSV row: {lines}"
        if "field larger than field limit" in str(lines):
            reason = f"a value longer than {csv.field_size_limit():,} characters"
        return RowError(str(path), lines.line, "", "", reason)
    return frame, lines


def _not_csv(path: Path, problem: Exception) -> RowError:
    found = re.search(r"line (\d+)", str(problem))
    line = int(found.group(1)) if found else 0
    return RowError(str(path), line, "", "", f"not a valid CSV row: {str(problem).strip()}")


def read_csv_chunks(path: Path, rows: int) -> Iterator[tuple[pd.DataFrame, np.ndarray] | RowError]:
    """The file as frames of at most `rows` rows (all cells text), with their line numbers.

    A first pass checks the encoding and looks for quotes and blank lines in fixed-size blocks;
    a file that has either is read whole (`read_csv`), since only a full parse can number its
    lines. Otherwise the data row n is on line n + 2 and memory holds one chunk at a time.
    """
    plain = _scan(path)
    if isinstance(plain, RowError):
        yield plain
        return
    if not plain:
        yield _read_whole(path)
        return
    done = 0
    frames = _arrow_frames(path, rows)
    while True:
        try:
            frame = next(frames)
        except StopIteration as end:
            whole = end.value
            break
        yield frame, np.arange(done, done + len(frame), dtype=np.int64) + 2
        done += len(frame)
    if not whole:
        # Arrow left the file, or its rows after `done`, to pandas (a row whose fields do not
        # match the header, say): pandas reads them as it always does.
        yield from _pandas_chunks(path, rows, skip=done)


def _arrow_frames(path: Path, rows: int) -> Generator[pd.DataFrame, None, bool]:
    """Frames of `rows` rows read by Arrow's CSV reader, as pandas reads a plain file; returns
    whether they are the whole file.

    Arrow parses in C++ straight to the Arrow strings that pandas' `str` columns hold, where
    pandas' parser makes a Python string of every cell first. It reads plain files only (no
    quotes, no blank lines: `_scan`) whose header names are all different and not empty, and
    that have rows. A row it refuses (fields that do not match the header) ends the frames at
    a multiple of `rows` rows: pandas reads the rest.
    """
    with path.open(encoding="utf-8-sig", newline="") as stream:
        names = stream.readline().rstrip("\r\n").split(",")
    if len(names) < 2 or "" in names or len(set(names)) < len(names):
        return False
    types = {name: pa.string() for name in names}
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=ARROW_BLOCK_BYTES, use_threads=False),
            convert_options=pacsv.ConvertOptions(column_types=types),
        )
        pending: list[pa.RecordBatch] = []
        held = done = 0
        with reader:
            for batch in reader:
                pending.append(batch)
                held += batch.num_rows
                while held >= rows:
                    table = pa.Table.from_batches(pending)
                    yield _frame(table.slice(0, rows))
                    done += rows
                    rest = table.slice(rows)
                    pending, held = rest.to_batches(), rest.num_rows
        if held:
            yield _frame(pa.Table.from_batches(pending))
            done += held
    except pa.ArrowInvalid:
        return False
    return done > 0  # a header alone is left to pandas


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas().reset_index(drop=True)


def _pandas_chunks(
    path: Path, rows: int, skip: int = 0
) -> Iterator[tuple[pd.DataFrame, np.ndarray] | RowError]:
    """pandas' chunks of a plain file, after the first `skip` rows (read and left out)."""
    try:
        reader = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            chunksize=rows,
        )
    except pd.errors.EmptyDataError:
        yield RowError(str(path), 1, "", "", "the file is empty (no header row)")
        return
    done = 0
    with reader:
        while True:
            try:
                frame = next(reader)
            except StopIteration:
                break
            except ValueError as problem:  # pandas' ParserError and its other complaints
                yield _not_csv(path, problem)
                return
            frame = frame.reset_index(drop=True)
            if done >= skip:
                yield frame, np.arange(done, done + len(frame), dtype=np.int64) + 2
            done += len(frame)
    if done == 0:
        # A header without rows: one empty frame, so the header is still checked.
        yield (
            pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
            np.zeros(0, dtype=np.int64),
        )


def _scan(path: Path) -> bool | RowError:
    """Whether the file is plain (no quotes, no blank lines), read in fixed-size blocks.

    A RowError if it is not UTF-8 text, holds a NUL byte (which no database stores in text) or
    has a line longer than `MAX_LINE_BYTES`: found here, before any parser holds a line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    plain = True
    lines = 0  # line breaks before this block
    tail = b""
    start = 0  # where the current line starts, from this block's first byte (<= 0 if before)
    with path.open("rb") as stream:
        while block := stream.read(BLOCK_BYTES):
            pending = decoder.getstate()[0]  # an unfinished character from the block before
            try:
                decoder.decode(block)
            except UnicodeDecodeError as problem:
                line = lines + (pending + block)[: problem.start].count(b"\n") + 1
                return RowError(str(path), line, "", "", "not UTF-8 text")
            if (nul := block.find(b"\0")) >= 0:
                line = lines + block.count(b"\n", 0, nul) + 1
                return RowError(str(path), line, "", "", "a NUL byte: binary data, not text")
            start, too_long = _last_line_start(block, start)
            if too_long:
                line = lines + block.count(b"\n", 0, max(start, 0)) + 1
                reason = f"a line longer than {MAX_LINE_BYTES:,} bytes (no contract row is)"
                return RowError(str(path), line, "", "", reason)
            start -= len(block)
            joined = tail + block
            if b'"' in block or b"\n\n" in joined or b"\n\r\n" in joined:
                plain = False
            lines += block.count(b"\n")
            tail = block[-2:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return RowError(str(path), lines + 1, "", "", "not UTF-8 text")
    return plain


def _last_line_start(block: bytes, start: int) -> tuple[int, bool]:
    """Where the block's last line starts, given where its first does; or a too-long line's start.

    Each step jumps to the last line break within `MAX_LINE_BYTES` of the line's start, so the
    block is searched in a few C calls, not line by line.
    """
    while (end := start + MAX_LINE_BYTES) < len(block):
        found = block.rfind(b"\n", max(start, 0), end + 1)
        if found < 0:
            return start, True
        start = found + 1
    found = block.rfind(b"\n", max(start, 0))
    return (start if found < 0 else found + 1), False


def _physical_lines(text: str, rows: int) -> np.ndarray | csv.Error:
    """Line numbers of the data rows (quoted line breaks and blank lines shift them from row+2).

    A `csv.Error` (with the `line` it stopped on) if the csv module cannot read the text, for
    example a quoted value longer than its field limit.
    """
    simple = np.arange(rows, dtype=np.int64) + 2
    if '"' not in text and "\n\n" not in text.replace("\r\n", "\n"):
        return simple
    reader = csv.reader(io.StringIO(text))
    lines, end = [], 0
    try:
        next(reader, None)
        end = reader.line_num
        for record in reader:
            if record:
                lines.append(end + 1)
            end = reader.line_num
    except csv.Error as problem:
        problem.line = end + 1  # where the row it could not read starts
        return problem
    return np.asarray(lines, dtype=np.int64) if len(lines) == rows else simple
