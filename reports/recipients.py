"""Who gets the weekly e-mail, and what each of them may see: the users file and its scopes."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from queries.access import ADMIN, normalise_email, viewer_for_email
from queries.catalog import visible_locations
from queries.schema import users
from queries.scope import Scope


@dataclass(frozen=True)
class Recipient:
    """A listed user and the locations their dashboard shows, by id -> name (name order)."""

    email: str
    role: str
    scope: Scope
    names: dict[str, str]

    @property
    def location_ids(self) -> list[str]:
        return sorted(self.names)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


class UnknownRecipient(ValueError):
    """`--to` named someone who does not get the weekly e-mail."""


def recipient(conn: Connection, email: str) -> Recipient | None:
    """`email`'s recipient, scoped as `queries.access` scopes their dashboard; None if the users
    file does not list them or gives them no location."""
    viewer = viewer_for_email(conn, email=email)
    if viewer.role is None or not viewer.has_access:
        return None
    table = visible_locations(conn, scope=viewer.scope)
    names = dict(zip(table["location_id"], table["name"], strict=True))
    if not names:
        return None
    return Recipient(email=viewer.email, role=viewer.role, scope=viewer.scope, names=names)


def weekly_recipients(conn: Connection, *, only: Sequence[str] | None = None) -> list[Recipient]:
    """Every listed user whose weekly e-mail is on (or those of `only`), by address.

    A manager whose locations are all gone from the database is left out: there is nothing of
    theirs to report. An address in `only` that is not listed, or whose e-mail is off, raises
    `UnknownRecipient`.
    """
    stmt = select(users.c.email).where(users.c.weekly_email.is_(True)).order_by(users.c.email)
    subscribed = list(conn.scalars(stmt))
    if only is not None:
        wanted = list(dict.fromkeys(normalise_email(address) for address in only))
        missing = [address for address in wanted if address not in subscribed]
        if missing:
            raise UnknownRecipient(
                "not in the users file with weekly_email yes: " + ", ".join(missing)
            )
        subscribed = wanted
    found = (recipient(conn, address) for address in subscribed)
    return [person for person in found if person is not None]
