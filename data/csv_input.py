"""Read a contract CSV file: every cell as text, and each row's line number in the file.

`read_csv` reads a file whole; `read_csv_chunks` reads a big one a chunk of rows at a time, so
memory follows the chunk. A file that cannot be read as CSV gives a `RowError` naming the line.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import RowError

BLOCK_BYTES = 1 << 20


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


def read_csv_chunks(path: Path, rows: int) -> Iterator[tuple[pd.DataFrame, np.ndarray] | RowError]:
    """The file as frames of at most `rows` rows (all cells text), with their line numbers.

    A first pass checks the encoding and looks for quotes and blank lines in fixed-size blocks;
    a file that has either is read whole (`read_csv`), since only a full parse can number its
    lines. Otherwise the data row n is on line n + 2 and memory holds one chunk at a time.
    """
    plain = _plain_utf8(path)
    if isinstance(plain, RowError):
        yield plain
        return
    if not plain:
        yield read_csv(path)
        return
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
            except pd.errors.ParserError as problem:
                found = re.search(r"line (\d+)", str(problem))
                line = int(found.group(1)) if found else 0
                yield RowError(str(path), line, "", "", f"not a valid CSV row: {problem}")
                return
            frame = frame.reset_index(drop=True)
            yield frame, np.arange(done, done + len(frame), dtype=np.int64) + 2
            done += len(frame)
    if done == 0:
        # A header without rows: one empty frame, so the header is still checked.
        yield (
            pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
            np.zeros(0, dtype=np.int64),
        )


def _plain_utf8(path: Path) -> bool | RowError:
    """True if the file is UTF-8 without quotes or blank lines; a RowError if not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    plain = True
    lines = 0
    tail = b""
    with path.open("rb") as stream:
        while block := stream.read(BLOCK_BYTES):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as problem:
                line = lines + block[: problem.start].count(b"\n") + 1
                return RowError(str(path), line, "", "", "not UTF-8 text")
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
