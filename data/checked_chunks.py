"""A contract file's chunks, each checked, and ways to have them ready before they are written.

`checked_chunks` validates chunk after chunk and finds ids repeated across chunks (`KeysSeen`).
`read_ahead` makes the next chunk in a thread while the caller writes this one (PostgreSQL).
`Prefetch` reads and checks a whole next file in a thread while the database is busy finishing
the file before it, keeping the checked chunks in temporary files, not in memory.
"""

import pickle
import queue
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.contract import SPECS, Checked, RowError, validate


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
    keys = KeysSeen(SPECS[kind].key)
    for loaded in chunks:
        if isinstance(loaded, RowError):
            yield CheckedChunk(None, [loaded], 0)
            return
        frame, lines = loaded
        checked = validate(kind, frame, source=source, lines=lines, locations=locations)
        yield CheckedChunk(checked, keys.check(checked, frame, lines, source), len(frame))
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
        self.chunks = 0

    def check(
        self, checked: Checked, frame: pd.DataFrame, lines: np.ndarray, source: str
    ) -> list[RowError]:
        self.chunks += 1
        if not self.key or checked.rows.empty:
            return checked.errors
        keyed = checked.rows[list(self.key)]
        complete = keyed.notna().all(axis=1).to_numpy()
        parts = [keyed[name][complete].astype(str) for name in self.key]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + "\x1f" + part
        text = joined.to_numpy(dtype=object)
        # Ids are all different: factorizing them first (`categorize`) only cost time (1.1 s
        # against 0.13 s for a million ids).
        first = pd.util.hash_array(text, hash_key="clinic-ids-00001", categorize=False)
        second = pd.util.hash_array(text, hash_key="clinic-ids-00002", categorize=False)
        kept_lines = np.asarray(lines)[complete]
        found: dict[int, int] = {}
        if self.chunks > 1 and len(self.first):
            low = np.searchsorted(self.first, first, side="left")
            high = np.searchsorted(self.first, first, side="right")
            for position in np.flatnonzero(high > low):
                for candidate in range(low[position], high[position]):
                    if self.second[candidate] == second[position]:
                        found[int(kept_lines[position])] = int(self.lines[candidate])
                        break
        self._remember(first, second, kept_lines)
        if not found:
            return checked.errors
        column = self.key[-1]
        raw = _raw_column(frame, column)
        errors = [
            e for e in checked.errors if not (e.line in found and e.reason.startswith("duplicate"))
        ]
        line_index = {int(line): n for n, line in enumerate(lines)}
        for line, first_line in found.items():
            value = "" if raw is None else str(raw.iloc[line_index[line]])
            reason = f"duplicate {'+'.join(self.key)} (first on line {first_line})"
            errors.append(RowError(source, line, column, value, reason))
        return errors

    def _remember(self, first: np.ndarray, second: np.ndarray, lines: np.ndarray) -> None:
        # The stored run and the chunk are each sorted: a stable sort of the two merges them.
        own = np.argsort(first, kind="stable")
        first = np.concatenate([self.first, first[own]])
        order = np.argsort(first, kind="stable")
        self.first = first[order]
        self.second = np.concatenate([self.second, second[own]])[order]
        self.lines = np.concatenate([self.lines, lines[own]])[order]


def _raw_column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    for label in frame.columns:
        if str(label).strip().lstrip("\ufeff").strip().lower() == name:
            return frame[label].reset_index(drop=True)
    return None


class Prefetch:
    """A file's checked chunks, made in a thread now and replayed later, in order.

    Started while the database finishes the previous file (long statements during which the
    database drivers let go of the GIL), so reading and checking this file costs no time of its
    own. Each checked chunk waits in a temporary file, so memory still holds about one chunk.
    `wait_for_all` makes replaying wait until the thread is done: SQLite's driver lets go of the
    GIL for every row it writes, and a busy thread would then hold each row up.
    """

    def __init__(
        self,
        kind: str,
        source: str,
        chunks: Iterator[tuple[pd.DataFrame, np.ndarray] | RowError],
        locations: dict[str, str],
    ) -> None:
        self.source, self.locations = source, dict(locations)
        self._folder = tempfile.TemporaryDirectory(prefix="clinic-import-")
        self._ready: queue.Queue = queue.Queue()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(checked_chunks(kind, source, chunks, locations),), daemon=True
        )
        self._thread.start()

    def _run(self, checked: Iterator[CheckedChunk]) -> None:
        try:
            for number, chunk in enumerate(checked):
                if self._cancelled.is_set():
                    return
                path = Path(self._folder.name) / f"{number}.pickle"
                with path.open("wb") as stream:
                    pickle.dump(chunk, stream, protocol=pickle.HIGHEST_PROTOCOL)
                self._ready.put(path)
        except BaseException as problem:  # raised again in the thread that replays the chunks
            self._ready.put(problem)
        finally:
            self._ready.put(_END)

    def replay(self, *, wait_for_all: bool) -> Iterator[CheckedChunk]:
        """The checked chunks, in order (an error of the thread is raised here)."""
        if wait_for_all:
            self._thread.join()
        while (item := self._ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            # Our own file, written a moment ago by this process: never outside input.
            with item.open("rb") as stream:
                chunk = pickle.load(stream)
            item.unlink()
            yield chunk

    def close(self) -> None:
        """Stop the thread at its next chunk and delete what it kept."""
        self._cancelled.set()
        self._thread.join()
        self._folder.cleanup()
