"""Who is signed in and what they may see: the users list -> a `Scope`, and when sign-in applies.

The users file of the data contract is stored as `users` (email, role) and `user_locations`.
Admins see every location; managers see their listed ones; anyone else sees nothing.
"""

import enum
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from queries.schema import imports, user_locations, users
from queries.scope import Scope

ADMIN = "admin"
MANAGER = "manager"
# The demo-data generator imports with source "generator"; the importer records each file as
# "generator:<kind>".
GENERATOR_SOURCE = "generator"
NO_LOCATIONS = Scope(allowed=frozenset())


@dataclass(frozen=True)
class Viewer:
    """A signed-in person (or the operator of an open app) and the locations they may read."""

    email: str | None
    role: str | None  # "admin", "manager", or None for someone not in the users list
    scope: Scope

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def has_access(self) -> bool:
        """True when there is at least one location they may read (or every location)."""
        return self.scope.allowed is None or bool(self.scope.allowed)


def normalise_email(email: str) -> str:
    """E-mail addresses match case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def viewer_for_email(conn: Connection, *, email: str | None) -> Viewer:
    """The `Viewer` for a signed-in e-mail: admin -> every location, manager -> their locations,
    anyone not listed (or without an e-mail claim) -> no location at all."""
    if not email or not email.strip():
        return Viewer(email=None, role=None, scope=NO_LOCATIONS)
    address = normalise_email(email)
    role = conn.execute(
        select(users.c.role).where(func.lower(users.c.email) == address)
    ).scalar_one_or_none()
    if role == ADMIN:
        return Viewer(email=address, role=ADMIN, scope=Scope(allowed=None))
    if role == MANAGER:
        listed = conn.scalars(
            select(user_locations.c.location_id).where(
                func.lower(user_locations.c.email) == address
            )
        )
        return Viewer(email=address, role=MANAGER, scope=Scope(allowed=frozenset(listed)))
    # An unknown role is treated like an unlisted user: never fail open.
    return Viewer(email=address, role=None, scope=NO_LOCATIONS)


def listed_scopes(conn: Connection) -> list[Scope]:
    """The distinct scopes of the users list that may read something, every location (an admin)
    first, then each manager's locations: the views the app may compute before they are asked."""
    roles = dict(conn.execute(select(func.lower(users.c.email), users.c.role)).all())
    allowed: dict[str, set[str]] = {}
    for email, location_id in conn.execute(
        select(func.lower(user_locations.c.email), user_locations.c.location_id)
    ):
        allowed.setdefault(email, set()).add(location_id)
    scopes = [Scope(allowed=None)] if ADMIN in roles.values() else []
    for email, role in sorted(roles.items()):
        scope = Scope(allowed=frozenset(allowed.get(email, ())))
        if role == MANAGER and scope.allowed and scope not in scopes:
            scopes.append(scope)
    return scopes


def latest_import(conn: Connection) -> int | None:
    """The id of the latest recorded import: it changes whenever a file is imported."""
    return conn.execute(select(func.max(imports.c.id))).scalar_one()


def is_demo_database(conn: Connection) -> bool:
    """True when the database holds imports and every one of them came from the generator.

    An empty database is not a demo: nothing says its data (once imported) will be synthetic.
    """
    total, from_generator = conn.execute(
        select(
            func.count(),
            func.count().filter(
                or_(
                    imports.c.source == GENERATOR_SOURCE,
                    imports.c.source.startswith(GENERATOR_SOURCE + ":", autoescape=True),
                )
            ),
        )
    ).one()
    return total > 0 and total == from_generator


class AccessMode(enum.Enum):
    """How the app admits visitors."""

    SIGN_IN = "sign_in"  # [auth] configured: everyone signs in, the users list decides
    DEMO = "demo"  # no [auth], demo database: open, with a banner
    OPEN = "open"  # no [auth], DASHBOARD_AUTH=off: open on purpose (single-user install)
    SETUP = "setup"  # no [auth], real data: show how to configure sign-in, and no data


def access_mode(*, auth_configured: bool, auth_setting: str | None, demo: bool) -> AccessMode:
    """Decide the access mode; `auth_setting` is the `DASHBOARD_AUTH` environment value."""
    if auth_configured:
        return AccessMode.SIGN_IN
    if (auth_setting or "").strip().lower() == "off":
        return AccessMode.OPEN
    return AccessMode.DEMO if demo else AccessMode.SETUP
