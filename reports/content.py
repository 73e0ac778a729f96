"""What one recipient's weekly e-mail says, read through their scope exactly as their dashboard
reads it: the Overview's cards, its trends, the link and the download files of the selection."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Connection

from dashboard.charts import location_colours
from dashboard.selection import Selection, link, preset_range
from dashboard.targets_view import banded_trends
from queries.attention import attention_line, needs_attention
from queries.calendar_table import latest_complete_week
from queries.calendar_table import week_start as week_start_of
from queries.downloads import (
    CSV_TYPE,
    XLSX_TYPE,
    download_name,
    weekly_csv_download,
    weekly_xlsx_download,
)
from queries.metric_definitions import conversion_final_from
from queries.overview import kpi_summary
from queries.targets import common_targets, effective_targets
from queries.weekly import weekly_metrics
from reports.chart import trends_png
from reports.recipients import Recipient

WEEK_START = "mon"  # the e-mail reports Monday weeks
# The files and trends cover the 12 weeks ending with the reported week, as the sidebar's preset.
PERIOD_PRESET = "Last 12 weeks"


class WeekNotOver(ValueError):
    """The week asked for has not ended yet."""


def report_week(asked: date | None, today: date) -> date:
    """The Monday of the week to report: the one holding `asked`, else the latest complete week."""
    if asked is None:
        return latest_complete_week(None, today, WEEK_START)
    week = week_start_of(asked, WEEK_START)
    if week + timedelta(days=7) > today:
        raise WeekNotOver(f"the week of {week} is not over yet (today is {today})")
    return week


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class WeeklyContent:
    recipient: Recipient
    week: date
    selection: Selection
    kpis: pd.DataFrame  # queries.overview.kpi_summary: one row per Overview card
    attention: list[str]
    link: str
    chart_png: bytes
    attachments: tuple[Attachment, ...]
    # The day the week's consult conversion is final, while it is still rising; else None.
    conversion_final_from: date | None

    @property
    def scope_label(self) -> str:
        """ "all locations" (admin), the one location's name, or "N locations"."""
        if self.recipient.is_admin:
            return "all locations"
        names = self.recipient.names
        return next(iter(names.values())) if len(names) == 1 else f"{len(names)} locations"

    @property
    def subject(self) -> str:
        return f"Weekly metrics, week of {self.week:%d %b %Y}: {self.scope_label}"


def attention_lines(conn: Connection, recipient: Recipient, week: date) -> list[str]:
    """What needs attention in the recipient's locations as of `week` (queries/attention.py),
    one line each: the message opens with them."""
    found = needs_attention(
        conn, scope=recipient.scope, locations=recipient.location_ids, week=week,
        week_start=WEEK_START,
    )  # fmt: skip
    return [attention_line(row, recipient.names) for row in found.itertuples()]


def weekly_content(
    conn: Connection,
    recipient: Recipient,
    *,
    week: date,
    dashboard_url: str,
    generated_at: datetime | None = None,
) -> WeeklyContent:
    """Everything in `recipient`'s message for the week starting `week`, through their scope."""
    start, end = preset_range(PERIOD_PRESET, week)
    ids = recipient.location_ids
    selection = Selection(tuple(ids), start, end, WEEK_START, latest_week=week)
    frame = weekly_metrics(
        conn, scope=recipient.scope, locations=ids, start=start, end=end, week_start=WEEK_START
    )
    kpis = kpi_summary(conn, scope=recipient.scope, locations=ids, week=week, week_start=WEEK_START)
    final_from = conversion_final_from(week)
    csv = Attachment(download_name(start, end, "csv"), CSV_TYPE, weekly_csv_download(frame))
    xlsx = Attachment(
        download_name(start, end, "xlsx"),
        XLSX_TYPE,
        weekly_xlsx_download(
            frame, start=start, end=end, week_start=WEEK_START,
            generated_at=generated_at or datetime.now(UTC),
        ),
    )  # fmt: skip
    return WeeklyContent(
        recipient=recipient,
        week=week,
        selection=selection,
        kpis=kpis,
        attention=attention_lines(conn, recipient, week),
        link=link(dashboard_url, selection, ids),
        chart_png=trends_png(
            frame,
            names=recipient.names,
            colours=location_colours(ids, chosen=ids),
            trends=banded_trends(
                common_targets(effective_targets(conn, scope=recipient.scope, locations=ids))
            ),
        ),
        attachments=(csv, xlsx),
        conversion_final_from=final_from if selection.still_rising(week) else None,
    )
