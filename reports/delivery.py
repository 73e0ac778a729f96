"""Sending the weekly e-mails exactly once: claim each recipient's week, build their message,
hand it to the SMTP server, and record what the server said (queries/deliveries.py) and, for
each message it accepted, an audit entry."""

import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine

from queries import audit, deliveries
from reports.content import weekly_content
from reports.message import build_message
from reports.recipients import Recipient, recipient, weekly_recipients
from reports.settings import Settings

TIMEOUT = 30  # seconds for each SMTP exchange: a server that hangs fails the message, not the run
# A message still `sending` after this long was being sent by a run that stopped before the server
# answered; younger, another run may be sending it now. Either way it is not sent again unasked.
STALE = timedelta(hours=1)
Sender = Callable[[Settings, EmailMessage], None]


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    """Hand `message` to the SMTP server; raises `smtplib.SMTPException` or `OSError` unless the
    server accepted it for its recipient."""
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        refused = smtp.send_message(message)
    if refused:  # some of several recipients refused; one recipient refused raises instead
        raise smtplib.SMTPRecipientsRefused(refused)


@dataclass(frozen=True)
class Outcome:
    email: str
    # "sent", "skipped" (already sent, or being sent by another run), "failed", "written", or
    # "unconfirmed" (a run stopped while the server was being asked: it may have the message)
    status: str
    detail: str = ""


def one_line_reason(error: BaseException) -> str:
    """An error as one line: its kind and its message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"


def _unconfirmed(at: datetime) -> str:
    return (
        f"a run stopped while the server was being asked ({at:%Y-%m-%d %H:%M} UTC), so it may "
        "have the message; check with the recipient, then send it with --resend"
    )


def _audit_detail(person: Recipient, week: date, **more: str) -> dict:
    return {"recipient": person.email, "locations": person.location_ids, "week": week, **more}


def send_weekly(
    engine: Engine,
    settings: Settings,
    *,
    week: date,
    only: Sequence[str] | None = None,
    resend: bool = False,
    send: Sender = smtp_send,
) -> list[Outcome]:
    """Send the week's e-mail to every recipient (or those of `only`) who has not had it; a
    failure is recorded and the others still go. Nothing is marked sent that the server did not
    accept."""
    with engine.connect() as conn:
        people = weekly_recipients(conn, only=only)
    outcomes = []
    for person in people:
        claimed = deliveries.claim(
            engine, recipient=person.email, week=week, locations=person.location_ids,
            resend=resend,
        )  # fmt: skip
        if not claimed:
            with engine.connect() as conn:
                status, at = deliveries.delivery_status(conn, recipient=person.email, week=week)
            if status == deliveries.SENDING and at < datetime.now(UTC).replace(tzinfo=None) - STALE:
                outcomes.append(Outcome(person.email, "unconfirmed", _unconfirmed(at)))
            else:
                outcomes.append(Outcome(person.email, "skipped", f"already {status}"))
            continue
        try:
            with engine.connect() as conn:
                content = weekly_content(
                    conn, person, week=week, dashboard_url=settings.dashboard_url
                )
            message = build_message(content, sender=settings.mail_from, to=person.email)
            send(settings, message)
        # Whatever went wrong for one recipient is recorded and reported; the others still go.
        except Exception as error:
            reason = one_line_reason(error)
            deliveries.mark_failed(engine, recipient=person.email, week=week, error=reason)
            outcomes.append(Outcome(person.email, "failed", reason))
            continue
        message_id = str(message["Message-ID"])
        deliveries.mark_sent(
            engine, recipient=person.email, week=week, message_id=message_id,
            detail=_audit_detail(person, week, message_id=message_id),
        )  # fmt: skip
        outcomes.append(Outcome(person.email, "sent", content.subject))
    return outcomes


def write_dry_run(
    engine: Engine,
    settings: Settings,
    *,
    week: date,
    directory: Path,
    only: Sequence[str] | None = None,
) -> list[Outcome]:
    """Write each recipient's message to `directory` as `<week>_<address>.eml`; nothing is sent
    and nothing is marked sent."""
    directory.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with engine.connect() as conn:
        for person in weekly_recipients(conn, only=only):
            content = weekly_content(conn, person, week=week, dashboard_url=settings.dashboard_url)
            message = build_message(content, sender=settings.mail_from, to=person.email)
            path = directory / f"{week.isoformat()}_{person.email}.eml"
            path.write_bytes(bytes(message))
            outcomes.append(Outcome(person.email, "written", str(path)))
    return outcomes


class NotARecipient(ValueError):
    """A preview was asked for someone with no locations to report."""


# What stops a preview: the server (down, refusing) or a recipient with nothing to report.
PREVIEW_FAILURES = (smtplib.SMTPException, OSError, NotARecipient)


def send_preview(
    engine: Engine,
    settings: Settings,
    *,
    recipient_email: str,
    admin_email: str,
    week: date,
    send: Sender = smtp_send,
) -> str:
    """Send `admin_email` the message `recipient_email` gets for `week`, built through the
    recipient's scope; recorded in the audit log, not as a delivery. Returns its subject."""
    with engine.connect() as conn:
        person = recipient(conn, recipient_email)
        if person is None:
            raise NotARecipient(f"{recipient_email} has no locations to report")
        content = weekly_content(conn, person, week=week, dashboard_url=settings.dashboard_url)
    message = build_message(content, sender=settings.mail_from, to=admin_email)
    message.replace_header("Subject", f"[Preview for {person.email}] {content.subject}")
    send(settings, message)
    audit.record(
        engine, email=admin_email, action=audit.EMAIL_PREVIEW, detail=_audit_detail(person, week)
    )
    return str(message["Subject"])
