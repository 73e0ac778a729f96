"""The weekly metrics files of a selection, as the Overview's download buttons give them: the
dashboard, `python -m queries.weekly` and the weekly e-mail (reports/) all make them here."""

from datetime import UTC, date, datetime

import pandas as pd

from queries.report_files import report_filters
from queries.safe_export import safe_weekly_csv_bytes, safe_weekly_xlsx_bytes

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(start: date, end: date, extension: str) -> str:
    """The file name a selection's download gets: `weekly-metrics_<start>_<end>.<extension>`."""
    return f"weekly-metrics_{start.isoformat()}_{end.isoformat()}.{extension}"


def weekly_csv_download(frame: pd.DataFrame, *, suppress_small: bool = False) -> bytes:
    """The CSV file of a weekly report, through the safe export (queries/safe_export.py)."""
    return safe_weekly_csv_bytes(frame, suppress_small=suppress_small)


def weekly_xlsx_download(
    frame: pd.DataFrame,
    *,
    start: date,
    end: date,
    week_start: str,
    suppress_small: bool = False,
    generated_at: datetime | None = None,
) -> bytes:
    """The workbook of a weekly report for the selection `start`..`end`, stamped with the time it
    is made (or `generated_at`), through the safe export (queries/safe_export.py)."""
    filters = report_filters(
        frame, start=start, end=end, week_start=week_start,
        generated_at=generated_at or datetime.now(UTC),
    )  # fmt: skip
    return safe_weekly_xlsx_bytes(frame, filters=filters, suppress_small=suppress_small)
