"""The weekly report as file bytes (CSV, XLSX): what the CLI writes and the dashboard serves."""

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd

from queries.metric_definitions import CONVENTIONS, WEEKLY_COLUMNS, MetricColumn
from queries.vocabulary import ALL

# Excel shows dates and numbers exactly as the CSV prints them.
EXCEL_FORMATS = {"date": "yyyy-mm-dd", "count": "0", 1: "0.0", 2: "0.00"}
# Neither a formula, a link nor a number may be made out of text a file brought in.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def _cell_text(column: MetricColumn, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
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


def _column_text(column: MetricColumn, values: pd.Series) -> list[str]:
    """Every cell of one column as `_cell_text` writes it, without its per-cell checks where the
    column's type settles them: a numeric column is formatted from plain Python numbers, and any
    other column's text is worked out once per distinct value (weeks and ids repeat)."""
    if column.kind in ("count", "ratio") and values.dtype.kind in "iuf":
        numbers = values.tolist()
        if column.kind == "count":
            return ["" if v != v else str(int(v)) for v in numbers]  # v != v: NaN
        fmt = f"{{:.{column.decimals}f}}".format
        return ["" if v != v else fmt(v) for v in numbers]
    texts: dict = {}
    return [texts[v] if v in texts else texts.setdefault(v, _cell_text(column, v)) for v in values]


def weekly_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with `\\n` line ends, empty fields for empty values, the spec's decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in WEEKLY_COLUMNS])
    writer.writerows(zip(*(_column_text(c, df[c.name]) for c in WEEKLY_COLUMNS), strict=True))
    return buffer.getvalue().encode("utf-8")


def report_filters(
    df: pd.DataFrame, *, start: date, end: date, week_start: str, generated_at: datetime
) -> dict[str, str]:
    """The `filters` sheet's rows: the locations reported and the selection made."""
    reported = [loc for loc in dict.fromkeys(df["location_id"]) if loc != ALL]
    return {
        "locations": " ".join(reported),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "week_start": week_start,
        "generated_at": generated_at.isoformat(timespec="seconds"),
    }


def _definitions_frame() -> pd.DataFrame:
    rows = [(n, c.name, c.definition) for n, c in enumerate(WEEKLY_COLUMNS, start=1)]
    rows += [(None, "conventions", text) for text in CONVENTIONS]
    return pd.DataFrame(rows, columns=["#", "column", "definition"])


def _set_widths(worksheet, widths: Sequence[int], formats: Sequence[object | None]) -> None:
    for index, (width, cell_format) in enumerate(zip(widths, formats, strict=True)):
        worksheet.set_column(index, index, width, cell_format)


def weekly_xlsx_bytes(df: pd.DataFrame, *, filters: dict) -> bytes:
    """Workbook with sheets `weekly_metrics` (the table), `filters` and `definitions`; no formulas.

    Weeks are real dates shown as YYYY-MM-DD, so Excel sorts, filters and groups them as dates.
    """
    buffer = io.BytesIO()
    table = df[[c.name for c in WEEKLY_COLUMNS]]
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        date_format=EXCEL_FORMATS["date"],
        datetime_format=EXCEL_FORMATS["date"],
        engine_kwargs={"options": XLSX_OPTIONS},
    ) as writer:
        table.to_excel(writer, sheet_name="weekly_metrics", index=False)
        book = writer.book
        formats = [
            book.add_format({"num_format": EXCEL_FORMATS[c.decimals or c.kind]})
            if (c.decimals or c.kind) in EXCEL_FORMATS
            else None
            for c in WEEKLY_COLUMNS
        ]
        widths = [max(11, len(c.name) + 2) for c in WEEKLY_COLUMNS]
        _set_widths(writer.sheets["weekly_metrics"], widths, formats)
        writer.sheets["weekly_metrics"].freeze_panes(1, 2)

        pd.DataFrame(
            [(key, str(value)) for key, value in filters.items()], columns=["filter", "value"]
        ).to_excel(writer, sheet_name="filters", index=False)
        _set_widths(writer.sheets["filters"], [14, 60], [None, None])

        _definitions_frame().to_excel(writer, sheet_name="definitions", index=False)
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        _set_widths(writer.sheets["definitions"], [4, 26, 100], [None, None, wrap])
    return buffer.getvalue()
