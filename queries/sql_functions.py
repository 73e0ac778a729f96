"""SQL expressions written once for both databases: SQLite keeps timestamps as text."""

from sqlalchemy import BigInteger, ColumnElement, Text, cast, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch_seconds(FunctionElement):
    """Whole seconds since 1970 of a naive UTC timestamp column, on either dialect."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_seconds_postgresql(element, compiler, **kw) -> str:
    return "CAST(EXTRACT(EPOCH FROM " + compiler.process(element.clauses, **kw) + ") AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw) -> str:
    # SQLite stores timestamps as text; strftime('%s') parses it. String comparison would not do:
    # '... 10:00:00' and '... 10:00:00.000000' sort differently although they are the same instant.
    return "CAST(strftime('%s', " + compiler.process(element.clauses, **kw) + ") AS INTEGER)"


class comma_joined(FunctionElement):
    """An aggregate: the group's non-NULL values as text joined by commas, in no particular order
    (NULL for none), on either dialect."""

    type = Text()
    inherit_cache = True


@compiles(comma_joined)
def _comma_joined_postgresql(element, compiler, **kw) -> str:
    return "string_agg(CAST(" + compiler.process(element.clauses, **kw) + " AS TEXT), ',')"


@compiles(comma_joined, "sqlite")
def _comma_joined_sqlite(element, compiler, **kw) -> str:
    return "group_concat(" + compiler.process(element.clauses, **kw) + ", ',')"


def whole_seconds(minutes: ColumnElement) -> ColumnElement[int]:
    """A stored response time in whole seconds: timestamps carry whole seconds, so the stored
    minutes are an exact count of seconds / 60 and rounding recovers it."""
    return cast(func.round(minutes * 60), BigInteger)


class day_start(FunctionElement):
    """The start of a naive timestamp's day, `days` later: a bound to compare timestamps with.

    On SQLite the text `YYYY-MM-DD`, which sorts before every timestamp of that day and after every
    timestamp of the day before, whatever follows the date in the stored text.
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement, days: int = 0) -> None:
        super().__init__(column, literal_column(str(int(days))))
        self.type = column.type


@compiles(day_start)
def _day_start_postgresql(element, compiler, **kw) -> str:
    column, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return "(date_trunc('day', " + column + ") + " + days + " * INTERVAL '1 day')"


@compiles(day_start, "sqlite")
def _day_start_sqlite(element, compiler, **kw) -> str:
    column, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return "date(" + column + ", '+" + days + " days')"


class scan_order(FunctionElement):
    """A column as itself, for a GROUP BY that should sort a scan rather than walk an index.

    On SQLite `+column`: grouping by (location_id, day) otherwise walks the (day, location_id)
    index and reads the table row by row in index order, the slowest part of a rebuild inside
    an import's transaction (docs/performance.md).
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(scan_order)
def _scan_order_default(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(scan_order, "sqlite")
def _scan_order_sqlite(element, compiler, **kw) -> str:
    return "+" + compiler.process(element.clauses, **kw)
