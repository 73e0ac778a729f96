"""A contract file's chunks, each checked, and ways to have them ready before they are written.

`checked_chunks` validates chunk after chunk and finds ids repeated across chunks (`KeysSeen`).
`read_ahead` makes the next chunk in a thread while the caller writes this one (PostgreSQL).
`Prefetch` reads and checks a whole file in a thread (the next file, while the database is busy
finishing the one before) or in a process of its own (a big CSV file, while this process writes
it), keeping the checked chunks in temporary files, not in memory.
"""

import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import SPECS, Checked, RowError, headers, validate
from data.csv_input import read_csv_chunks


@dataclass(frozen=True)
class CheckedChunk:
    """One chunk, checked: its good rows (None if it could not be read) and its errors."""

    checked: Checked | None
    errors: list[RowError]
    rows: int


def checked_chunks(
    kind: str,
    source: str,
    chunks: Iterator[tuple[pd.DataFrame, np.ndarray] | RowError],
    locations: dict[str, str],
) -> Iterator[CheckedChunk]:
    """Each chunk validated, with ids repeated across chunks found too (`KeysSeen`)."""
    key = SPECS[kind].key
    keys = KeysSeen(key)
    for loaded in chunks:
        if isinstance(loaded, RowError):
            yield CheckedChunk(None, [loaded], 0)
            return
        frame, lines = loaded
        checked = validate(kind, frame, source=source, lines=lines, locations=locations)
        raw = _raw_column(frame, key[-1]) if key else None
        yield CheckedChunk(checked, keys.check(checked, raw, lines, source), len(frame))
        if any(error.line == 1 for error in checked.errors):
            return  # the header is wrong: every chunk would say so again


_END = object()


def read_ahead(items: Iterator[CheckedChunk]) -> Iterator[CheckedChunk]:
    """`items`, the next one made in a thread while the caller works on this one.

    Two chunks at most are in memory. pandas, Arrow and the database drivers release the GIL
    for much of their work, so the two cores are both used.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(next, items, _END)
        while (item := upcoming.result()) is not _END:
            upcoming = pool.submit(next, items, _END)
            yield item


class KeysSeen:
    """Ids already read from earlier chunks of this file, as two 64-bit hashes and a line each.

    Memory grows by 24 bytes per row, not by the row's text. The chunk's own repeats are found by
    `validate`; a row whose id an earlier chunk holds is reported here against the first line,
    replacing `validate`'s report for it (which could only name a line of this chunk).
    """

    def __init__(self, key: tuple[str, ...]) -> None:
        self.key = key
        self.first = np.zeros(0, dtype=np.uint64)
        self.second = np.zeros(0, dtype=np.uint64)
        self.lines = np.zeros(0, dtype=np.int64)

    def check(
        self, checked: Checked, raw: pd.Series | None, lines: np.ndarray, source: str
    ) -> list[RowError]:
        """`checked.errors` with ids seen in earlier chunks reported (`raw`: the last key
        column as read, for the report)."""
        if not self.key or checked.rows.empty:
            return checked.errors
        keyed = checked.rows[list(self.key)]
        complete = keyed.notna().all(axis=1).to_numpy()
        parts = [keyed[name][complete].astype(str) for name in self.key]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + "\x1f" + part
        text = joined.to_numpy(dtype=object)
        # Ids are all different: factorizing them first (`categorize`) only costs time.
        first = pd.util.hash_array(text, hash_key="clinic-ids-00001", categorize=False)
        second = pd.util.hash_array(text, hash_key="clinic-ids-00002", categorize=False)
        kept_lines = np.asarray(lines)[complete]
        # Sorted first: searching the stored run for sorted hashes walks it in order, and they
        # merge into it by one insert.
        own = np.argsort(first, kind="stable")  # a repeat within the chunk keeps its order
        first, second, kept_lines = first[own], second[own], kept_lines[own]
        low = np.searchsorted(self.first, first, side="left")
        high = np.searchsorted(self.first, first, side="right")
        found: dict[int, int] = {}
        for position in np.flatnonzero(high > low):
            for candidate in range(low[position], high[position]):
                if self.second[candidate] == second[position]:
                    found[int(kept_lines[position])] = int(self.lines[candidate])
                    break
        # After the equal hashes already stored, so a later repeat still names the first line.
        self.first = np.insert(self.first, high, first)
        self.second = np.insert(self.second, high, second)
        self.lines = np.insert(self.lines, high, kept_lines)
        if not found:
            return checked.errors
        column = self.key[-1]
        errors = [
            e for e in checked.errors if not (e.line in found and e.reason.startswith("duplicate"))
        ]
        line_index = {int(line): n for n, line in enumerate(lines)}
        for line, first_line in found.items():
            value = "" if raw is None else str(raw.iloc[line_index[line]])
            reason = f"duplicate {'+'.join(self.key)} (first on line {first_line})"
            errors.append(RowError(source, line, column, value, reason))
        return errors


def _raw_column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    label = headers(frame).get(name)
    return None if label is None else frame[label].reset_index(drop=True)


class Prefetch:
    """A file's checked chunks, made by a worker now and replayed later, in order.

    Each checked chunk waits in a temporary file, so memory still holds about one chunk.
    - `in_thread`: started while the database finishes the previous file (long statements during
      which the database drivers let go of the GIL), so reading and checking this file costs no
      time of its own. `wait_for_all` makes replaying wait until the thread is done: SQLite's
      driver lets go of the GIL for every row it writes, and a busy thread would then hold each
      row up.
    - `in_process`: a big CSV file read and checked in a process of its own, on the other core,
      while this process writes the chunks already checked (docs/performance.md).
    """

    def __init__(self, source: str, locations: dict[str, str]) -> None:
        self.source, self.locations = source, dict(locations)
        self._folder = tempfile.TemporaryDirectory(prefix="clinic-import-")
        self._log = Path(self._folder.name) / "stderr.txt"  # the process's messages
        self._ready: queue.Queue = queue.Queue()  # the thread's chunk files, then None
        self._cancelled = threading.Event()  # asks the thread to stop
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen | None = None

    @classmethod
    def in_thread(
        cls,
        kind: str,
        source: str,
        chunks: Iterator[tuple[pd.DataFrame, np.ndarray] | RowError],
        locations: dict[str, str],
    ) -> "Prefetch":
        prefetch = cls(source, locations)
        checked = checked_chunks(kind, source, chunks, locations)
        prefetch._thread = threading.Thread(
            target=_write_chunks,
            args=(checked, prefetch._folder.name, prefetch._ready.put, prefetch._cancelled.is_set),
            daemon=True,
        )
        prefetch._thread.start()
        return prefetch

    @classmethod
    def in_process(
        cls, kind: str, source: str, path: Path, rows: int, locations: dict[str, str]
    ) -> "Prefetch":
        """`path` read `rows` rows at a time (`data.csv_input.read_csv_chunks`) in another process.

        A fresh interpreter (`python -m data.checked_chunks`), not a fork of this one, which holds
        database connections and threads, nor a multiprocessing child, which would run the
        caller's main script again.
        """
        prefetch = cls(source, locations)
        root = str(Path(__file__).resolve().parents[1])
        path_list = [root, *filter(None, [os.environ.get("PYTHONPATH")])]
        # A file, not a pipe, for its messages: a pipe nobody reads yet could fill and stop it.
        with prefetch._log.open("wb") as log:
            prefetch._process = subprocess.Popen(
                [sys.executable, "-m", "data.checked_chunks"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=root,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(path_list)},
            )
        job = (kind, source, str(path), rows, dict(locations), prefetch._folder.name)
        pickle.dump(job, prefetch._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        prefetch._process.stdin.close()
        return prefetch

    def replay(self, *, wait_for_all: bool = False) -> Iterator[CheckedChunk]:
        """The checked chunks, in order (an error of the worker is raised here)."""
        if wait_for_all and self._thread is not None:
            self._thread.join()
        while (item := self._next()) is not None:
            if isinstance(item, BaseException):
                raise item
            # Our own file, written a moment ago by our worker: never outside input.
            with open(item, "rb") as stream:
                chunk = pickle.load(stream)
            Path(item).unlink()
            yield chunk

    def _next(self):
        if self._process is None:
            return self._ready.get()
        line = self._process.stdout.readline().decode()
        if not line:
            code = self._process.wait()
            detail = self._log.read_text(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(
                f"{self.source}: the process checking the file stopped (exit code {code})"
                + "".join(f": {text}" for text in detail)
            )
        word, _, path = line.strip().partition(" ")
        if word == "end":
            return None
        if word == "error":
            with open(path, "rb") as stream:
                return pickle.load(stream)
        return path

    def close(self) -> None:
        """Stop the worker and delete what it kept."""
        self._cancelled.set()
        if self._thread is not None:
            self._thread.join()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            self._process.wait()
            self._process.stdout.close()
        self._folder.cleanup()


def _write_chunks(
    checked: Iterator[CheckedChunk],
    folder: str,
    put: Callable[[object], None],
    cancelled: Callable[[], bool],
) -> None:
    """Pickle each checked chunk to `folder` and `put` its path; then None (after any error)."""
    try:
        for number, chunk in enumerate(checked):
            if cancelled():
                return
            path = Path(folder) / f"{number}.pickle"
            with path.open("wb") as stream:
                pickle.dump(chunk, stream, protocol=pickle.HIGHEST_PROTOCOL)
            put(str(path))
    except BaseException as problem:  # raised again where the chunks are replayed
        try:
            pickle.dumps(problem)
        except Exception:
            problem = RuntimeError(f"{type(problem).__name__}: {problem}")
        put(problem)
    finally:
        put(None)


def _check_file_in_process() -> None:
    """`python -m data.checked_chunks`: check the file a `Prefetch.in_process` asked for.

    The job comes pickled on stdin; each checked chunk's file, then "end", goes to stdout as a
    line; an error is pickled to the folder and its file sent as "error <path>".
    """
    kind, source, path, rows, locations, folder = pickle.load(sys.stdin.buffer)

    def put(item: object) -> None:
        if item is None:
            line = "end"
        elif isinstance(item, BaseException):
            error = Path(folder) / "error.pickle"
            with error.open("wb") as stream:
                pickle.dump(item, stream, protocol=pickle.HIGHEST_PROTOCOL)
            line = f"error {error}"
        else:
            line = f"chunk {item}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    chunks = read_csv_chunks(Path(path), rows)
    # The ids are checked against earlier chunks here too: the process writing the chunks is the
    # one the import waits for.
    checked = checked_chunks(kind, source, chunks, locations)
    _write_chunks(checked, folder, put, lambda: False)


if __name__ == "__main__":
    # Run as the importable module, so that what it pickles names `data.checked_chunks`.
    from data.checked_chunks import _check_file_in_process as check_file

    check_file()
