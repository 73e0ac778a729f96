"""Bulk load of a consultations or bookings file into an empty table, in the caller's transaction.

Row by row, an indexed table costs a B-tree update per index for every row. So the table's
secondary indexes (and PostgreSQL's keys) are dropped first and built once, sorted, by `finish`.
Bookings, whose sequence numbers would cost a second write of most rows, go to an unindexed
staging table (COPY on PostgreSQL, executemany on SQLite) that `finish` moves in with them by
one `INSERT ... SELECT`, joined to the numbers counted in numpy from the chunks as they were
staged (`data.sequence_numbers`). Consultations go straight into their table, and `finish`
marks the few that converted by one UPDATE before indexing. On SQLite, whose primary key stays,
rows out of key order are staged as well and moved in sorted by key. A rollback undoes all of it.
"""

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql as psql
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    Select,
    Table,
    insert,
    select,
)

from data.sequence_numbers import STAGED_ROW, StagedSequences
from queries.table_keys import add_keys, drop_keys
from queries.temporary_tables import create_empty, temporary_table

# SQLite's page cache while a big file is loaded (KiB, as PRAGMA cache_size takes it negative).
# It also sizes each sorted run of a big sort: runs of a few MB sort within the CPU's caches, on
# helper threads, then merge; a bigger cache sorts slower and holds more memory
# (docs/performance.md).
SQLITE_IMPORT_CACHE_KIB = 8 * 1024
SQLITE_SORT_THREADS = min(4, os.cpu_count() or 1)
# Sequence numbers are written this many rows at a time (memory for their driver values).
NUMBERS_BATCH = 200_000
# PostgreSQL's sort memory for the import transaction: the bookings move sorts every row, in
# memory rather than merged on disk (docs/performance.md).
PG_IMPORT_SETTINGS = (
    "SET LOCAL work_mem = '1GB'",
    "SET LOCAL maintenance_work_mem = '512MB'",
    "SET LOCAL jit = off",
)


class Derived(NamedTuple):
    """Columns computed for staged rows: counted from the chunks as they are staged, then given
    for the rows that have values, by staged row (the others get NULL): `data.sequence_numbers`."""

    counted: Callable[[], StagedSequences]


AfterLoad = Callable[[Connection], None]
# `Connection.info` key: this connection holds staging tables left for its close (`_discard`).
LEFT_STAGED = "bulk_load_left_staged"


@contextmanager
def import_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for one file's import, closed rather than pooled when a bulk load left its
    staging tables in it (SQLite: `BulkLoad._discard`); begin its transaction inside."""
    with engine.connect() as conn:
        yield conn
        if conn.info.pop(LEFT_STAGED, False):
            conn.invalidate()


@contextmanager
def import_settings(conn: Connection) -> Iterator[None]:
    """Settings for one file's import transaction, for sorting and indexing millions of rows.

    SQLite gets a page cache of a few MB and sorter helper threads (`PRAGMA threads`), both
    restored after (they are per connection, not transactional); see `SQLITE_IMPORT_CACHE_KIB`.
    PostgreSQL gets `SET LOCAL` memory for sorts, hashes and index builds, and no JIT (it spent
    much of an aggregate's time compiling it); they end with the transaction.
    """
    if conn.dialect.name == "postgresql":
        for setting in PG_IMPORT_SETTINGS:
            conn.exec_driver_sql(setting)
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    pragmas = {
        "main.cache_size": f"-{SQLITE_IMPORT_CACHE_KIB}",
        "temp.cache_size": f"-{SQLITE_IMPORT_CACHE_KIB}",
        "threads": str(SQLITE_SORT_THREADS),
    }
    before = {}
    for pragma, value in pragmas.items():
        before[pragma] = conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
        conn.exec_driver_sql(f"PRAGMA {pragma} = {value}")
    try:
        yield
    finally:
        for pragma, value in before.items():
            conn.exec_driver_sql(f"PRAGMA {pragma} = {int(value)}")


class BulkLoad:
    """Rows for an empty `table`: keys and indexes dropped now, built once by `finish`.

    Without derived columns the chunks go straight into the table; with them, into a staging
    table that `finish` moves in, joined to the derived values (`_move_staged`). `after_load`
    runs once every row is in the table and before its keys and indexes are built: a derived
    column that few rows change is cheaper to set by an UPDATE there than to carry through a move.
    """

    def __init__(
        self,
        conn: Connection,
        table: Table,
        names: list[str],
        derived: Derived | None = None,
        after_load: AfterLoad | None = None,
    ) -> None:
        self.conn, self.table, self.names, self.derived = conn, table, names, derived
        self.after_load = after_load
        self.rows = 0
        if conn.dialect.name == "sqlite" and not conn.connection.driver_connection.in_transaction:
            # pysqlite opens its transaction at the first INSERT; DDL before that would commit
            # at once, and a failed load would leave the table without its indexes.
            conn.exec_driver_sql("BEGIN")
        self.indexes = sorted(table.indexes, key=lambda index: index.name)
        for index in self.indexes:
            index.drop(conn)
        self.constraints = drop_keys(conn, table.name)
        self.key = table.primary_key.columns[0].name
        # SQLite keeps the primary key's B-tree while loading: rows are written to it in key
        # order (`_check_key_order`), and every row stays in it while the keys come in order.
        self.last_key: object = None
        self.in_key_order = True
        self.staging: Table | None = None
        # Staged rows are numbered from 1 in the order written (`STAGED_ROW`), and the derived
        # values counted from the chunks as they go by.
        self.counted = derived.counted() if derived is not None else None
        if derived is not None:
            self._stage(names)

    def _stage(self, names: list[str]) -> None:
        self.staging = temporary_table(
            "bulk_staging_" + self.table.name,
            *([self._staged_row()] if self.counted else []),
            *(Column(name, self.table.c[name].type) for name in names),
        )
        create_empty(self.conn, self.staging)

    def _staged_row(self) -> Column:
        """The staged row number: SQLite's rowid (a lookup by it is a seek); on PostgreSQL a
        plain column, as the join hashes it and an index would grow row by row."""
        if self.conn.dialect.name == "sqlite":
            return Column(STAGED_ROW, Integer, primary_key=True)
        return Column(STAGED_ROW, BigInteger)

    def write(self, frame: pd.DataFrame, values: Callable[[pd.Series], list]) -> None:
        """Write one chunk (`frame` has `names`; `values` gives a column's driver values)."""
        frame = frame[self.names]
        if self.derived is None:
            frame = frame.assign(**_defaults(self.table, frame.columns))
        if self.conn.dialect.name == "sqlite":
            self._check_key_order(frame)
        target = self.table if self.staging is None else self.staging
        if self.counted is not None:
            self.counted.add(frame)
            numbered = np.arange(self.rows + 1, self.rows + len(frame) + 1, dtype=np.int64)
            frame = frame.assign(**{STAGED_ROW: numbered})
        self._write_rows(target, frame, values)
        self.rows += len(frame)

    def _write_rows(
        self, target: Table, frame: pd.DataFrame, values: Callable[[pd.Series], list]
    ) -> None:
        """`frame`'s rows into `target`: COPY on PostgreSQL, the driver's executemany on SQLite."""
        if self.conn.dialect.name == "postgresql":
            _copy_csv(self.conn, target.name, frame)
            return
        names = list(frame.columns)
        statement = insert(target).compile(dialect=self.conn.dialect, column_keys=names)
        columns = {name: values(frame[name]) for name in statement.positiontup}
        # The driver's own executemany over the rows as they are zipped: no list of all the
        # rows is built, and each tuple is freed once it is written.
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(statement.string, zip(*columns.values(), strict=True))
        finally:
            cursor.close()

    def _check_key_order(self, frame: pd.DataFrame) -> None:
        """From the first chunk whose keys are not in order after the keys written before, the
        rows are staged, and `finish` moves them in sorted whole (so a staged chunk is not
        sorted by itself).

        A row written out of key order lands on a random page of the key's B-tree, most of them
        out of the page cache; in key order each page is filled once.
        """
        if not self.in_key_order or frame.empty:
            return
        keys = frame[self.key]
        if keys.is_monotonic_increasing and (self.last_key is None or keys.iloc[0] > self.last_key):
            self.last_key = keys.iloc[-1]
            return
        self.in_key_order = False
        if self.staging is None:
            self._stage(list(frame.columns))

    def finish(self) -> None:
        """Move staged rows in with their derived columns; build the keys and indexes once."""
        if self.staging is not None and self.derived is None:
            self._move_sorted()
        elif self.staging is not None:
            self._move_staged()
        if self.after_load is not None:
            if self.conn.dialect.name == "postgresql":
                # Without statistics the planner takes the new rows for a few thousand and looks
                # bookings up once per row instead of hashing.
                self.conn.exec_driver_sql("ANALYZE " + self.table.name)
            self.after_load(self.conn)
        add_keys(self.conn, self.table.name, self.constraints)
        for index in self.indexes:
            index.create(self.conn)
        if self.conn.dialect.name == "postgresql":
            # Fresh statistics before the refresh queries plan against millions of new rows.
            self.conn.exec_driver_sql("ANALYZE " + self.table.name)

    def _move_staged(self) -> None:
        """Staged rows into the table with their derived columns, counted in numpy as the chunks
        were staged: they go to a narrow table keyed by staged row, joined in the move (a window
        over the staged rows sorted every whole row; docs/performance.md)."""
        staged = self.staging
        numbers = temporary_table(
            "bulk_numbers_" + self.table.name,
            self._staged_row(),
            *(Column(name, self.table.c[name].type) for name in ("completed_seq", "initial_seq")),
        )
        create_empty(self.conn, numbers)
        for frame in self.counted.numbers(partial(self._in_key_order_of, staged), NUMBERS_BATCH):
            self._write_rows(numbers, frame, _plain_values)
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql(f"ANALYZE {staged.name}, {numbers.name}")
        derived = [column for column in numbers.columns if column.name != STAGED_ROW]
        source = select(*(staged.c[name] for name in self.names), *derived).select_from(
            staged.outerjoin(numbers, numbers.c[STAGED_ROW] == staged.c[STAGED_ROW])
        )
        if not self.in_key_order:
            source = source.order_by(staged.c[self.key])
        self._insert(source, [column.name for column in derived])
        self._discard(staged, numbers)

    def _in_key_order_of(self, staged: Table, rows: np.ndarray) -> np.ndarray:
        """These staged rows in the database's order of their keys (a few, tied by the sort)."""
        chosen = temporary_table("bulk_chosen_rows", Column(STAGED_ROW, BigInteger))
        create_empty(self.conn, chosen)
        self._write_rows(chosen, pd.DataFrame({STAGED_ROW: rows}), _plain_values)
        found = self.conn.execute(
            select(staged.c[STAGED_ROW])
            .where(staged.c[STAGED_ROW].in_(select(chosen.c[STAGED_ROW])))
            .order_by(staged.c[self.key])
        ).scalars()
        ordered = np.fromiter(found, dtype=np.int64, count=len(rows))
        chosen.drop(self.conn)
        return ordered

    def _move_sorted(self) -> None:
        """SQLite: the rows staged since the keys left their order, moved in by key."""
        staged = self.staging
        source = select(*staged.columns).order_by(staged.c[self.key])
        self.conn.execute(insert(self.table).from_select(list(staged.columns.keys()), source))
        self._discard(staged)

    def _discard(self, *tables: Table) -> None:
        """Drop these staging tables; on SQLite, leave them to the connection's close instead.

        SQLite drops a table by walking every page of it to free it, seconds for millions of
        rows, while closing the connection deletes its temporary file whole: the caller closes
        it after the transaction (`import_connection`)."""
        if self.conn.dialect.name == "sqlite":
            self.conn.info[LEFT_STAGED] = True
            return
        for table in tables:
            table.drop(self.conn)

    def _insert(self, source: Select, derived_names: list[str]) -> None:
        self.conn.execute(insert(self.table).from_select([*self.names, *derived_names], source))


def _plain_values(column: pd.Series) -> list:
    """Integers (or None) as the driver takes them."""
    return column.astype(object).where(column.notna(), None).tolist()


def _defaults(table: Table, present) -> dict[str, object]:
    """Scalar column defaults (e.g. `converted`) for the columns a chunk does not carry."""
    return {
        column.name: column.default.arg
        for column in table.columns
        if column.name not in present and column.default is not None and column.default.is_scalar
    }


def _copy_csv(conn: Connection, table_name: str, frame: pd.DataFrame) -> None:
    """COPY a frame into `table_name` (our staging table, never input) as CSV text.

    Arrow writes the text in C++, much faster than `DataFrame.to_csv`. Text is quoted
    and a missing value is an empty unquoted field, which COPY reads as NULL.
    """
    text = io.BytesIO()
    pacsv.write_csv(
        pa.Table.from_pandas(frame, preserve_index=False),
        text,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    statement = psql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        psql.Identifier(table_name), psql.SQL(", ").join(map(psql.Identifier, frame.columns))
    )
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(text.getbuffer())
