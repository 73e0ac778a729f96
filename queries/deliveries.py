"""The weekly e-mail's deliveries: one row per recipient and week, claimed before the SMTP server
is asked, so a message goes out once however often (or how many at once) the sender runs.

A row moves `sending` -> `sent` (the server accepted the message) or `sending` -> `failed` (it did
not; the next run tries again). A run claims a recipient's week only by changing the row from the
state it read (or inserting it), so two runs at the same time cannot both claim it. A `sending`
row that stays (the sender died while the server was being asked) is not sent again by itself:
the server may have taken it; `--resend` sends it on purpose.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from queries import audit
from queries.schema import deliveries
from queries.scope import Scope

SENDING, SENT, FAILED = "sending", "sent", "failed"
COLUMNS = ["week", "recipient", "locations", "status", "at", "attempts", "message_id", "error"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _key(recipient: str, week: date):
    return (deliveries.c.recipient == recipient) & (deliveries.c.week == week)


def delivery_status(conn: Connection, *, recipient: str, week: date) -> tuple[str, datetime] | None:
    """The recipient's status for the week (`sending`, `sent`, `failed`) and when it was set
    (UTC), or None if never tried.

    Not scoped: the sender asks about the one recipient it is working for."""
    row = conn.execute(
        select(deliveries.c.status, deliveries.c.at).where(_key(recipient, week))
    ).first()
    return None if row is None else (row.status, row.at)


def claim(
    engine: Engine, *, recipient: str, week: date, locations: Sequence[str], resend: bool = False
) -> bool:
    """Mark the recipient's week `sending` if it is to be sent now; False if it is not: already
    sent (unless `resend`), being sent by another run, or claimed by one meanwhile."""
    listed = " ".join(sorted(locations))
    with engine.begin() as conn:
        state = conn.execute(
            select(deliveries.c.status, deliveries.c.attempts).where(_key(recipient, week))
        ).first()
        if state is not None:
            if state.status != FAILED and not resend:
                return False
            # Compare and set: only the run that still sees the state it read may claim it.
            changed = conn.execute(
                update(deliveries)
                .where(_key(recipient, week), deliveries.c.status == state.status)
                .where(deliveries.c.attempts == state.attempts)
                .values(
                    status=SENDING,
                    locations=listed,
                    at=_now(),
                    attempts=state.attempts + 1,
                    error=None,
                    message_id=None,
                )
            ).rowcount
            return changed == 1
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(deliveries).values(
                    recipient=recipient,
                    week=week,
                    locations=listed,
                    status=SENDING,
                    at=_now(),
                    attempts=1,
                )
            )
    except IntegrityError:
        return False  # another run inserted it first
    return True


def mark_sent(
    engine: Engine, *, recipient: str, week: date, message_id: str, detail: Mapping[str, object]
) -> None:
    """The SMTP server accepted the recipient's message: the row says so and the audit log gets
    its entry (`detail`: recipient, locations, week), in one transaction, so neither is kept
    without the other."""
    with engine.begin() as conn:
        conn.execute(
            update(deliveries)
            .where(_key(recipient, week))
            .values(status=SENT, message_id=message_id, at=_now(), error=None)
        )
        audit.append(conn, email=recipient, action=audit.EMAIL_SENT, detail=detail)


def mark_failed(engine: Engine, *, recipient: str, week: date, error: str) -> None:
    """The message was not accepted; the next run sends it again."""
    with engine.begin() as conn:
        conn.execute(
            update(deliveries)
            .where(_key(recipient, week))
            .values(status=FAILED, at=_now(), error=error[:2000])
        )


def read_deliveries(conn: Connection, *, scope: Scope, since: date) -> pd.DataFrame:
    """The deliveries of the weeks from `since`, newest week first, by recipient: `COLUMNS`.

    Only an unrestricted scope (an admin) may read them: they name every recipient's locations.
    """
    if not scope.every_location:
        raise PermissionError("only an admin may read the e-mail deliveries")
    stmt = (
        select(*(deliveries.c[name] for name in COLUMNS))
        .where(deliveries.c.week >= since)
        .order_by(deliveries.c.week.desc(), deliveries.c.recipient)
    )
    return pd.DataFrame(conn.execute(stmt).all(), columns=COLUMNS)
