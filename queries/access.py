"""Who is signed in and what they may see: the users list -> a `Scope`, and when sign-in applies.

The users file of the data contract is stored as `users` (email, role) and `user_locations`.
Admins see every location; managers see their listed ones; anyone else sees nothing.
"""

import enum
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from queries.schema import imports, user_locations, users
from queries.scope import EVERYTHING, Scope

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
        return self.scope.every_location or bool(self.scope.allowed)


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
        return Viewer(email=address, role=ADMIN, scope=EVERYTHING)
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
    scopes = [EVERYTHING] if ADMIN in roles.values() else []
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


def access_mode(
    *,
    auth_configured: bool,
    auth_setting: str | None,
    demo: bool | Callable[[], bool],
    loopback: bool,
) -> AccessMode:
    """Decide the access mode; `auth_setting` is the `DASHBOARD_AUTH` environment value and
    `loopback` whether the server listens on a loopback address only. `demo` says whether the
    database holds demo data only, or is a function that reads it, called only when the mode
    depends on it (neither sign-in nor `DASHBOARD_AUTH=off`): the app decides on every run.

    `DASHBOARD_AUTH=off` opens every location and the admin pages to whoever reaches the port,
    so it is honoured only where nobody but this machine can reach it.
    """
    if auth_configured:
        return AccessMode.SIGN_IN
    if (auth_setting or "").strip().lower() == "off":
        return AccessMode.OPEN if loopback else AccessMode.SETUP
    return AccessMode.DEMO if (demo() if callable(demo) else demo) else AccessMode.SETUP


def is_loopback(address: str | None) -> bool:
    """Whether a server listening on `address` (Streamlit's `server.address`) is reachable from
    this machine alone; no address means every interface."""
    if not address or not address.strip():
        return False
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False


# The value `.streamlit/secrets.toml.example` ships with; a copy left unchanged signs identity
# cookies with a secret everyone can read.
EXAMPLE_COOKIE_SECRET = "replace-with-a-long-random-string"
MIN_COOKIE_SECRET = 32
# A random string of 32 characters has far more distinct characters than this.
MIN_DISTINCT_CHARACTERS = 10


def cookie_secret_problem(secret: object) -> str | None:
    """Why `[auth] cookie_secret` cannot sign identity cookies safely, or None if it can."""
    if not isinstance(secret, str) or not secret.strip():
        return "`cookie_secret` is missing"
    if secret.strip() == EXAMPLE_COOKIE_SECRET:
        return "`cookie_secret` is still the example's value"
    if len(secret) < MIN_COOKIE_SECRET:
        return f"`cookie_secret` is shorter than {MIN_COOKIE_SECRET} characters"
    if len(set(secret)) < MIN_DISTINCT_CHARACTERS:
        return "`cookie_secret` does not look random (too few different characters)"
    return None


@dataclass(frozen=True)
class EmailTrust:
    """Providers whose e-mail claim is trusted without `email_verified` (docs/access.md):
    by issuer (`iss`, exactly) or by the address's domain. An explicit `false` always wins."""

    issuers: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> "EmailTrust":
        """From the `[signin]` section: `trust_unverified_issuers`, `trust_unverified_domains`."""

        def names(key: str) -> frozenset[str]:
            value = settings.get(key) or ()
            if isinstance(value, str):
                value = (value,)
            return frozenset(str(item).strip() for item in value if str(item).strip())

        return cls(
            issuers=names("trust_unverified_issuers"),
            domains=frozenset(d.lower().lstrip("@") for d in names("trust_unverified_domains")),
        )


def verified_email(claims: Mapping[str, object], trust: EmailTrust) -> str | None:
    """The signed-in e-mail address the provider vouches for, else None.

    `email_verified` must be true; a provider that does not send it is trusted only if named in
    `trust` (by issuer or the address's domain).
    """
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    verified = claims.get("email_verified")
    if verified is True or (isinstance(verified, str) and verified.lower() == "true"):
        return email
    if verified is not None:
        return None
    domain = email.strip().rsplit("@", 1)[-1].lower()
    if claims.get("iss") in trust.issuers or domain in trust.domains:
        return email
    return None
