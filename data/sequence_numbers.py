"""Bookings' sequence numbers for a SQLite bulk load, counted in numpy from the staged chunks.

The numbers are those of `queries.derived.sequence_columns`: a completed booking's position among
its patient's completed bookings (`completed_seq`) and, for an `initial` one, among the patient's
completed initial bookings (`initial_seq`), both in `starts_at`, `booking_id` order. A bulk load
writes into an empty table, so every booking that counts is in the file: each chunk gives its
completed rows' patient, start and kind as it is staged (a few bytes a row, the patient refs once
each), and `write` numbers them all at the end with one sort. SQLite's window over the staged rows
sorted them on disk, the slowest statement of the load (docs/performance.md).
"""

import numpy as np
import pandas as pd
from sqlalchemy import Column, Connection, Integer, Table, bindparam, insert, select

from queries.temporary_tables import create_empty, temporary_table

# Bound parameters per statement when the ids of tied bookings are read back.
ID_BATCH = 5000


class StagedSequences:
    """The completed bookings of the chunks staged so far, by staging row number (from 1)."""

    def __init__(self) -> None:
        self.patients: dict[str, int] = {}
        self.rows = 0  # staged so far
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, frame: pd.DataFrame) -> None:
        """One chunk of bookings, in the order its rows are staged."""
        completed = (frame["status"] == "completed").to_numpy(dtype=bool)
        refs = frame["patient_ref"][completed]
        codes, distinct = pd.factorize(refs)
        known = self.patients
        numbered = np.fromiter(
            (known.setdefault(ref, len(known)) for ref in distinct), np.int64, len(distinct)
        )
        starts = frame["starts_at"][completed].to_numpy(dtype="datetime64[us]").view(np.int64)
        initial = (frame["kind"][completed] == "initial").to_numpy(dtype=bool)
        row = np.flatnonzero(completed).astype(np.int64) + self.rows + 1
        self.parts.append((row, numbered[codes], starts, initial))
        self.rows += len(frame)

    def write(self, conn: Connection, staging: Table, row: Column, key: Column) -> Table:
        """A temporary table of (staging row, completed_seq, initial_seq) for the completed rows.

        Bookings of one patient with equal starts are put in `booking_id` order, read back from
        `staging` (by `row`; `key` is the id column) for those few rows only.
        """
        rows, patient, starts, initial = (
            np.concatenate([part[n] for part in self.parts]) for n in range(4)
        )
        self.parts = []
        order = np.lexsort((starts, patient))
        tied = _tied(patient[order], starts[order])
        if tied.any():
            ids = _ids(conn, row, key, rows[order][tied])
            rank = np.zeros(len(rows), dtype=np.int64)
            rank[order[tied]] = pd.Series(ids).rank(method="dense").to_numpy(dtype=np.int64)
            order = np.lexsort((rank, starts, patient))
        completed_seq, initial_seq = _numbers(patient[order], initial[order])
        by_row = np.empty(len(rows), dtype=np.int64)
        by_row[order] = np.arange(len(rows))
        numbers = temporary_table(
            "bulk_numbers_" + staging.name,
            Column("staged_row", Integer, primary_key=True),
            Column("completed_seq", Integer),
            Column("initial_seq", Integer),
        )
        create_empty(conn, numbers)
        seq = completed_seq[by_row].tolist()
        initial_values = initial_seq[by_row].astype(object)
        initial_values[~initial] = None
        rows_numbered = zip(rows.tolist(), seq, initial_values.tolist(), strict=True)
        statement = insert(numbers).compile(dialect=conn.dialect)
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(statement.string, rows_numbered)
        finally:
            cursor.close()
        return numbers


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


def _ids(conn: Connection, row: Column, key: Column, rows: np.ndarray) -> list[str]:
    """The ids of these staging rows, in the order given."""
    statement = select(row, key).where(row.in_(bindparam("rows", expanding=True)))
    found: dict[int, str] = {}
    wanted = rows.tolist()
    for start in range(0, len(wanted), ID_BATCH):
        found.update(conn.execute(statement, {"rows": wanted[start : start + ID_BATCH]}).all())
    return [found[number] for number in wanted]
