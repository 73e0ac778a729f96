"""The weekly report as a CSV file: what the CLI writes and the dashboard serves.

No pandas here: `table` is a frame or its columns as arrays (queries/report.py's
`metrics_columns`), and the command line's CSV report never builds a frame.
"""

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from queries.metric_definitions import WEEKLY_COLUMNS, MetricColumn


def _cell_text(column: MetricColumn, value: object) -> str:
    if value is None or value != value:  # value != value: NaN or NaT
        return ""
    if isinstance(value, str):
        # Already text: a date as written, a location id, or `<11` from safe_export's suppression.
        return value
    if column.kind == "date":
        return value.isoformat()[:10] if isinstance(value, date | datetime) else str(value)
    if column.kind == "count":
        return str(int(value))
    if column.kind == "ratio":
        return f"{value:.{column.decimals}f}"
    return str(value)


def _column_text(column: MetricColumn, values: Sequence) -> list[str]:
    """Every cell of one column as `_cell_text` writes it, without its per-cell checks where the
    column's type settles them: a numeric column is formatted from plain Python numbers, and any
    other column's text is worked out once per distinct value (weeks and ids repeat)."""
    kind = getattr(getattr(values, "dtype", None), "kind", "O")  # a list: as object
    if column.kind in ("count", "ratio") and kind in "iuf":
        numbers = values.tolist()
        if column.kind == "count":
            return ["" if v != v else str(int(v)) for v in numbers]  # v != v: NaN
        fmt = f"{{:.{column.decimals}f}}".format
        return ["" if v != v else fmt(v) for v in numbers]
    texts: dict = {}
    return [texts[v] if v in texts else texts.setdefault(v, _cell_text(column, v)) for v in values]


def weekly_csv_bytes(table: Mapping[str, Sequence]) -> bytes:
    """UTF-8 CSV with `\\n` line ends, empty fields for empty values, the spec's decimals:
    `table` is a frame, or a mapping of its columns by name."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in WEEKLY_COLUMNS])
    writer.writerows(zip(*(_column_text(c, table[c.name]) for c in WEEKLY_COLUMNS), strict=True))
    return buffer.getvalue().encode("utf-8")
