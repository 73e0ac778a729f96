"""Bookings' sequence numbers for a bulk load, counted in numpy from the staged chunks.

The numbers are those of `queries.derived.sequence_columns`: a completed booking's position among
its patient's completed bookings (`completed_seq`) and, for an `initial` one, among the patient's
completed initial bookings (`initial_seq`), both in `starts_at`, `booking_id` order. A bulk load
writes into an empty table, so every booking that counts is in the file: each chunk gives its
completed rows' patient, start and kind as it is staged (tens of bytes a row), and `numbers`
numbers them all at the end with one sort. A window over the staged rows in
the database sorted whole rows, the slowest statement of the load (docs/performance.md).
"""

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

# The staging table's row number, from 1 in the order the rows were written.
STAGED_ROW = "staged_row"


class StagedSequences:
    """The completed bookings of the chunks staged so far, by staging row number (from 1)."""

    def __init__(self) -> None:
        self.rows = 0  # staged so far
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        # The completed rows' patient refs, chunk by chunk, numbered once all are in: in a
        # file in no particular order every chunk holds patients of every other chunk.
        self.refs: list[pd.Series] = []

    def add(self, frame: pd.DataFrame) -> None:
        """One chunk of bookings, in the order its rows are staged."""
        completed = (frame["status"] == "completed").to_numpy(dtype=bool)
        self.refs.append(frame["patient_ref"][completed])
        starts = frame["starts_at"][completed].to_numpy(dtype="datetime64[us]").view(np.int64)
        initial = (frame["kind"][completed] == "initial").to_numpy(dtype=bool)
        row = np.flatnonzero(completed).astype(np.int64) + self.rows + 1
        self.parts.append((row, starts, initial))
        self.rows += len(frame)

    def numbers(
        self, in_key_order: Callable[[np.ndarray], np.ndarray], batch: int
    ) -> Iterator[pd.DataFrame]:
        """`STAGED_ROW`, `completed_seq` and `initial_seq` of the completed rows, by staged row,
        `batch` rows at a time.

        Bookings of one patient with equal starts are put in `booking_id` order: `in_key_order`
        gives those staged rows in the database's order of their ids (its collation decides).
        """
        rows, starts, initial = (np.concatenate([part[n] for part in self.parts]) for n in range(3))
        patient, _ = pd.factorize(pd.concat(self.refs, ignore_index=True))
        self.parts, self.refs = [], []
        order = np.lexsort((starts, patient))
        tied = _tied(patient[order], starts[order])
        if tied.any():
            position = {int(row): n for n, row in enumerate(in_key_order(rows[order][tied]))}
            rank = np.zeros(len(rows), dtype=np.int64)
            rank[order[tied]] = [position[int(row)] for row in rows[order][tied]]
            order = np.lexsort((rank, starts, patient))
        del starts, tied
        completed_seq = np.empty(len(rows), dtype=np.int32)
        initial_seq = np.empty(len(rows), dtype=np.int32)
        completed_seq[order], initial_seq[order] = _numbers(patient[order], initial[order])
        del order, patient
        for start in range(0, len(rows), batch):
            part = slice(start, start + batch)
            yield pd.DataFrame(
                {
                    STAGED_ROW: rows[part],
                    "completed_seq": completed_seq[part],
                    "initial_seq": pd.Series(initial_seq[part], dtype="Int32").where(initial[part]),
                }
            )


def _tied(patient: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """In sorted order: the rows whose patient and start equal a neighbour's."""
    same = (patient[1:] == patient[:-1]) & (starts[1:] == starts[:-1])
    tied = np.zeros(len(patient), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    return tied


def _numbers(patient: np.ndarray, initial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running counts within each patient's run of sorted rows: all rows, and initial rows."""
    n = len(patient)
    position = np.arange(n, dtype=np.int64)
    first = np.ones(n, dtype=bool)
    first[1:] = patient[1:] != patient[:-1]
    start = np.maximum.accumulate(np.where(first, position, 0))
    counted = np.cumsum(initial, dtype=np.int64)
    before = counted[start] - initial[start]
    return position - start + 1, counted - before
