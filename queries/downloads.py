"""The weekly metrics files of a selection, as the Overview's download buttons give them: the
dashboard, `python -m queries.weekly` and the weekly e-mail (reports/) all make them here.

A CSV file without suppression imports no pandas: the command line writes it from the report's
columns (queries/report.py), and importing pandas is a large share of the command's run
(docs/performance.md). Suppression and workbooks work on frames, and import pandas when asked.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from queries.neutralise import neutralise_columns
from queries.report_csv import weekly_csv_bytes

if TYPE_CHECKING:
    import pandas as pd

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(start: date, end: date, extension: str) -> str:
    """The file name a selection's download gets: `weekly-metrics_<start>_<end>.<extension>`."""
    return f"weekly-metrics_{start.isoformat()}_{end.isoformat()}.{extension}"


def weekly_csv_download(table: Mapping[str, Sequence], *, suppress_small: bool = False) -> bytes:
    """The CSV file of a weekly report (a frame, or its columns by name): optionally with small
    counts suppressed (queries/safe_export.py), always neutralised (queries/neutralise.py)."""
    if suppress_small:
        import pandas as pd

        from queries.safe_export import suppress_small_counts

        table = suppress_small_counts(pd.DataFrame(table))
    return weekly_csv_bytes(neutralise_columns(table))


def weekly_xlsx_download(
    frame: "pd.DataFrame",
    *,
    start: date,
    end: date,
    week_start: str,
    suppress_small: bool = False,
    generated_at: datetime | None = None,
) -> bytes:
    """The workbook of a weekly report for the selection `start`..`end`, stamped with the time it
    is made (or `generated_at`), through the safe export (queries/safe_export.py)."""
    from queries.report_files import report_filters
    from queries.safe_export import safe_weekly_xlsx_bytes

    filters = report_filters(
        frame, start=start, end=end, week_start=week_start,
        generated_at=generated_at or datetime.now(UTC),
    )  # fmt: skip
    return safe_weekly_xlsx_bytes(frame, filters=filters, suppress_small=suppress_small)
