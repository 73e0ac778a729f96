"""The weekly report's downloads: safe files (queries/safe_export.py), each logged when it is built
(dashboard/auth.py)."""

from functools import partial

import streamlit as st

from dashboard import auth, loaders, state
from dashboard.filters import Context
from queries.downloads import CSV_TYPE, XLSX_TYPE, download_name


def weekly_report(ctx: Context, *, rows: int) -> None:
    """The small-counts choice and the CSV and Excel buttons for the selection's weekly report
    (`rows` rows), each file made and audited when the browser asks for it."""
    sel, query = ctx.selection, ctx.query
    suppress = st.checkbox(
        "Suppress small counts for sharing outside the clinic",
        key="suppress_small",
        help="Counts from 1 to 10 become <11; values that would reveal them are left empty.",
    )
    detail = {
        "locations": list(sel.locations),
        "start": sel.start.isoformat(),
        "end": sel.end.isoformat(),
        "week_start": sel.week_start,
        "rows": rows,
        "suppress_small": suppress,
    }
    engine = state.engine_for(ctx.url)
    viewer = auth.current_viewer()
    # Made when the browser asks, not on every run of the page: the workbook is stamped with the
    # time it is made, and building it is a good part of a run.
    for suffix, build, mime in (
        ("csv", loaders.weekly_csv, CSV_TYPE),
        ("xlsx", loaders.weekly_xlsx, XLSX_TYPE),
    ):
        st.download_button(
            f"Weekly metrics ({'CSV' if suffix == 'csv' else 'Excel'})",
            data=auth.audited_download(
                engine,
                viewer,
                {"file": f"weekly-metrics.{suffix}", **detail},
                partial(build, query, suppress),
            ),
            file_name=download_name(sel.start, sel.end, suffix),
            mime=mime,
            key=f"download_{suffix}",
            # A download changes nothing on the page: no rerun, so a second button clicked
            # right after the first is still the one on the page.
            on_click="ignore",
        )
