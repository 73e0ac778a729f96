"""The audit log: who signed in, which pages and selections they viewed, what they downloaded
and imported, and which weekly e-mails went to whom.

Append-only: this module writes rows and reads them, nothing in the code base updates or deletes
them, and the database refuses to (migrations 0002 and 0005).
"""

import getpass
import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select

from queries.schema import audit_log
from queries.scope import Scope

SIGN_IN = "sign_in"
PAGE_VIEW = "page_view"
DOWNLOAD = "download"
IMPORT = "import"  # one file applied, in the same transaction as its rows
IMPORT_REFUSED = "import_refused"  # one file with bad rows: nothing from it stored
IMPORT_FAILED = "import_failed"  # an import stopped on an error: the file it was on not stored
NO_ACCESS = "no_access"
SIGN_OUT = "sign_out"
TARGETS = "targets"  # the stored targets replaced, by an import or the Targets page
EMAIL_SENT = "weekly_email"  # the SMTP server accepted a recipient's weekly e-mail
EMAIL_PREVIEW = "email_preview"  # an admin sent themselves a recipient's weekly e-mail
ACTIONS = (
    SIGN_IN,
    PAGE_VIEW,
    DOWNLOAD,
    IMPORT,
    IMPORT_REFUSED,
    IMPORT_FAILED,
    NO_ACCESS,
    SIGN_OUT,
    TARGETS,
    EMAIL_SENT,
    EMAIL_PREVIEW,
)
# Who acts from the command line: the operating-system user, as `os:<name>`.
OS_USER_PREFIX = "os:"
COLUMNS = ["at", "email", "action", "detail"]


def record(
    engine: Engine,
    *,
    email: str | None,
    action: str,
    detail: Mapping[str, object] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event in its own transaction, so it is kept even if the caller's work fails."""
    with engine.begin() as conn:
        append(conn, email=email, action=action, detail=detail, at=at)


def append(
    conn: Connection,
    *,
    email: str | None,
    action: str,
    detail: Mapping[str, object] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event in the caller's transaction: kept exactly when the change it records is.

    `detail` is stored as JSON (keys sorted; dates and sets written as strings and sorted lists).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {ACTIONS}")
    moment = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    text = json.dumps(dict(detail or {}), sort_keys=True, default=_json_default)
    conn.execute(insert(audit_log).values(at=moment, email=email, action=action, detail=text))


def os_user() -> str:
    """The actor of a command run from a shell: `os:` and the operating-system user name."""
    try:
        name = getpass.getuser()
    except OSError:  # no user name in the environment or the password database
        name = f"uid {os.getuid()}"
    return OS_USER_PREFIX + name


def _json_default(value: object) -> object:
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def read_log(
    conn: Connection,
    *,
    scope: Scope,
    since: datetime | None = None,
    until: datetime | None = None,
    email: str | None = None,
    actions: Iterable[str] | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """Newest events first: `at` (UTC), `email`, `action`, `detail` (JSON text).

    Only an unrestricted scope (an admin) may read the log: it names every location anyone viewed.
    `email` matches part of the address, case-insensitively; `since`/`until` are UTC, inclusive.
    """
    if not scope.every_location:
        raise PermissionError("only an admin may read the audit log")
    stmt = select(audit_log.c.at, audit_log.c.email, audit_log.c.action, audit_log.c.detail)
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= _naive_utc(since))
    if until is not None:
        stmt = stmt.where(audit_log.c.at <= _naive_utc(until))
    if email:
        # `contains(..., autoescape=True)` escapes % and _ so they match literally.
        stmt = stmt.where(func.lower(audit_log.c.email).contains(email.lower(), autoescape=True))
    if actions is not None:
        stmt = stmt.where(audit_log.c.action.in_(list(actions)))
    stmt = stmt.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    return pd.DataFrame(conn.execute(stmt).all(), columns=COLUMNS)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
