"""The weekly report (docs/metrics.md): one function every consumer reads, and its command line.

The rows come from the report core (queries/report.py), one bucket per week.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from sqlalchemy import Connection

from queries.db import default_url, open_database
from queries.downloads import weekly_csv_download, weekly_xlsx_download
from queries.metric_definitions import WEEKLY_COLUMN_NAMES
from queries.page_filters import WEEK_COLUMNS, PeriodArgs, week_range
from queries.report import ReportCounts, metrics_columns, report_counts
from queries.scope import EVERYTHING

if TYPE_CHECKING:
    import pandas as pd


def weekly_metrics(
    conn: Connection,
    *,
    week_start: str = "mon",
    counts: ReportCounts | None = None,
    **period: Unpack[PeriodArgs],
) -> "pd.DataFrame":
    """The weekly report for the weeks holding `start`..`end`: the spec's 19 columns, in order.

    `locations=None` asks for every location; `scope` narrows what is read, and `ALL` pools only
    the locations read. Unknown location ids raise ValueError. `counts`, if given, is
    `report.report_counts` for the same arguments, and nothing is read again.
    """
    if counts is None:
        counts = report_counts(conn, week_start=week_start, **period)
    return weekly_frame(counts)


def weekly_frame(counts: ReportCounts) -> "pd.DataFrame":
    """The weekly report of a selection's counts (`report.report_counts`) as a frame."""
    import pandas as pd  # only for a frame: the command's CSV file is written without one

    return pd.DataFrame(metrics_columns(counts), columns=list(WEEKLY_COLUMN_NAMES))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m queries.weekly", description="Write the weekly metrics report."
    )
    parser.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or data/)")
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument(
        "--location",
        action="append",
        dest="locations",
        help="location id (repeatable; default all)",
    )
    parser.add_argument("--week-start", choices=sorted(WEEK_COLUMNS), default="mon")
    parser.add_argument("--format", choices=("csv", "xlsx"), help="default: from --out's suffix")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument(
        "--suppress-small-counts",
        action="store_true",
        help="for sharing outside the clinic: counts 1-10 become <11, rates from them blank",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the report for `--start`..`--end` to `--out` as CSV or XLSX."""
    args = _parse_args(argv)
    fmt = args.format or ("xlsx" if args.out.suffix.lower() == ".xlsx" else "csv")
    if args.start <= args.end:
        try:
            week_range(args.start, args.end, args.week_start)
        except ValueError as error:  # before the database is opened
            sys.stderr.write(f"error: {error}; write one report per five years\n")
            return 2
    engine = open_database(args.db or default_url())
    try:
        with engine.connect() as conn:
            counts = report_counts(
                conn,
                scope=EVERYTHING,
                locations=args.locations,
                start=args.start,
                end=args.end,
                week_start=args.week_start,
            )
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    finally:
        engine.dispose()
    if fmt == "csv":
        columns = metrics_columns(counts)
        data = weekly_csv_download(columns, suppress_small=args.suppress_small_counts)
    else:
        data = weekly_xlsx_download(
            weekly_frame(counts), start=args.start, end=args.end, week_start=args.week_start,
            suppress_small=args.suppress_small_counts,
        )  # fmt: skip
    args.out.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
