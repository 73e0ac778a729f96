"""One recipient's weekly e-mail as a MIME message: a plain-text part, an HTML part that reads well
in mail clients (inline styles, no scripts, no remote images) with the trends as an inline PNG
referenced by Content-ID, and the selection's download files attached."""

import html
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from dashboard.numbers import format_change, format_value, no_change
from reports.content import WeeklyContent

GOOD, BAD, QUIET = "#1a7f37", "#b42318", "#57606a"  # the cards' delta colours, readable on white
FONT = "font-family:Arial,Helvetica,sans-serif;"


def build_message(
    content: WeeklyContent, *, sender: str, to: str, message_id: str | None = None
) -> EmailMessage:
    """The message for `content`, addressed to `to` (its recipient, or an admin's preview)."""
    domain = sender.rsplit("@", 1)[-1].strip(">")
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    message.set_content(plain_text(content))
    chart_id = make_msgid(domain=domain)
    message.add_alternative(html_text(content, chart_cid=chart_id[1:-1]), subtype="html")
    message.get_payload()[1].add_related(
        content.chart_png, "image", "png", cid=chart_id, filename="weekly-trends.png"
    )
    for attachment in content.attachments:
        main, sub = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, main, sub, filename=attachment.name)
    return message


def _change(value: float | None, unit: str) -> str:
    return format_change(value, unit) or "—"


def _locations_line(content: WeeklyContent) -> str:
    names = list(content.recipient.names.values())
    if content.recipient.is_admin:
        return f"All {len(names)} locations"
    return ", ".join(names)


def plain_text(content: WeeklyContent) -> str:
    """The text part: the same figures as the HTML part, one line each."""
    sel = content.selection
    lines = [f"Week of {content.week:%d %b %Y} ({_locations_line(content)})", ""]
    if content.attention:
        lines += ["Needs attention:", *(f"- {item}" for item in content.attention), ""]
    for kpi in content.kpis.itertuples():
        lines.append(
            f"{kpi.label}: {format_value(kpi.value, kpi.unit)} "
            f"({_change(kpi.change_vs_previous, kpi.unit)} against the week before; "
            f"12 weeks before: {format_value(kpi.twelve_week, kpi.unit)}, "
            f"{_change(kpi.change_vs_twelve_week, kpi.unit)})"
        )
    if content.kpis.empty:
        lines.append("There are no figures for this week.")
    lines += ["", *_notes(content), "", f"Open the dashboard: {content.link}", ""]
    lines.append(
        f"Attached: the weekly metrics of {sel.start:%d %b} to {sel.end:%d %b %Y} as CSV and "
        "Excel, the files the Overview's download buttons give for this selection."
    )
    return "\n".join(lines) + "\n"


def _notes(content: WeeklyContent) -> list[str]:
    notes = [
        "Changes: against the week before, and against the 12 weeks before (a weekly average "
        "for counts, taken together for rates)."
    ]
    if content.conversion_final_from is not None:
        notes.append(
            "Consult conversion counts a first infusion up to 30 days after the consult, so this "
            f"week's is still rising; it is final from {content.conversion_final_from:%d %b %Y}."
        )
    return notes


def _coloured(change: str | None, higher_is_better: bool, value: float | None) -> str:
    """A change in the colour its card gives it: good news green, bad news red, none grey."""
    text = html.escape(change or "—")
    if change is None or no_change(change):
        colour = QUIET
    else:
        colour = GOOD if (value > 0) == higher_is_better else BAD
    return f'<span style="color:{colour};">{text}</span>'


def html_text(content: WeeklyContent, *, chart_cid: str) -> str:
    """The HTML part: a table of the Overview's cards, the trends picture and the link."""
    esc = html.escape
    sel = content.selection
    cell = "padding:6px 10px;border-bottom:1px solid #d0d7de;" + FONT
    head = cell + "text-align:left;color:#57606a;font-size:12px;font-weight:normal;"
    rows = []
    for kpi in content.kpis.itertuples():
        previous = format_change(kpi.change_vs_previous, kpi.unit)
        twelve = format_change(kpi.change_vs_twelve_week, kpi.unit)
        rows.append(
            "<tr>"
            f'<td style="{cell}">{esc(kpi.label)}</td>'
            f'<td style="{cell}font-size:18px;font-weight:bold;text-align:right;">'
            f"{esc(format_value(kpi.value, kpi.unit))}</td>"
            f'<td style="{cell}text-align:right;">'
            f"{_coloured(previous, kpi.higher_is_better, kpi.change_vs_previous)}</td>"
            f'<td style="{cell}text-align:right;">{esc(format_value(kpi.twelve_week, kpi.unit))} '
            f"({_coloured(twelve, kpi.higher_is_better, kpi.change_vs_twelve_week)})"
            "</td></tr>"
        )
    if not rows:
        rows.append(f'<tr><td colspan="4" style="{cell}">No figures for this week.</td></tr>')
    attention = ""
    if content.attention:
        items = "".join(f'<li style="margin:2px 0;">{esc(item)}</li>' for item in content.attention)
        attention = (
            '<div style="border-left:4px solid #b42318;background:#fff5f5;padding:8px 12px;'
            f'margin:0 0 16px 0;{FONT}"><strong>Needs attention</strong>'
            f'<ul style="margin:6px 0 0 0;padding-left:18px;">{items}</ul></div>'
        )
    notes = "".join(
        f'<p style="margin:6px 0;color:#57606a;font-size:12px;{FONT}">{esc(note)}</p>'
        for note in _notes(content)
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{esc(content.subject)}</title></head>"
        f'<body style="margin:0;padding:16px;background:#ffffff;color:#1f2328;{FONT}">'
        '<div style="max-width:720px;margin:0 auto;">'
        f'<h1 style="font-size:20px;margin:0 0 4px 0;{FONT}">'
        f"Week of {content.week:%d %b %Y}</h1>"
        f'<p style="margin:0 0 16px 0;color:#57606a;{FONT}">{esc(_locations_line(content))}</p>'
        f"{attention}"
        '<table role="presentation" cellspacing="0" cellpadding="0" '
        'style="border-collapse:collapse;width:100%;margin:0 0 8px 0;">'
        f'<tr><th style="{head}">Metric</th><th style="{head}text-align:right;">This week</th>'
        f'<th style="{head}text-align:right;">Against the week before</th>'
        f'<th style="{head}text-align:right;">12 weeks before</th></tr>'
        f"{''.join(rows)}</table>{notes}"
        f'<h2 style="font-size:16px;margin:20px 0 8px 0;{FONT}">'
        f"Weekly trends, {sel.first_week:%d %b} to {sel.end:%d %b %Y}</h2>"
        f'<img src="cid:{esc(chart_cid)}" width="720" alt="Weekly trends of consult requests, '
        'no-show rate, infusions completed and utilization" style="display:block;width:100%;'
        'max-width:720px;height:auto;border:0;">'
        '<p style="margin:20px 0;">'
        f'<a href="{esc(content.link)}" style="background:#0969da;color:#ffffff;'
        f'text-decoration:none;padding:10px 16px;border-radius:6px;{FONT}">'
        "Open the dashboard</a></p>"
        f'<p style="margin:6px 0;color:#57606a;font-size:12px;{FONT}">Attached: the weekly '
        f"metrics of {sel.start:%d %b} to {sel.end:%d %b %Y} as CSV and Excel, the files the "
        "Overview's download buttons give for this selection.</p>"
        "</div></body></html>"
    )
