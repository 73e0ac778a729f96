"""The weekly report as a workbook (XLSX): what the CLI writes and the dashboard serves; its CSV
file is queries/report_csv.py."""

import io
from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd

from queries.metric_definitions import CONVENTIONS, WEEKLY_COLUMNS
from queries.vocabulary import ALL

# Excel shows dates and numbers exactly as the CSV prints them.
EXCEL_FORMATS = {"date": "yyyy-mm-dd", "count": "0", 1: "0.0", 2: "0.00"}
# Neither a formula, a link nor a number may be made out of text a file brought in.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


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
