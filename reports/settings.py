"""Where and how the weekly e-mail is sent: SMTP settings from the environment or the command line.

Each setting is an environment variable and a flag of `python -m reports.send` (the flag wins).
A missing or bad one is a `SettingError` naming it, raised before anything is built or sent.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import urlsplit

SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
# Environment variable -> what it holds, for `--help` and the command's flags.
SETTINGS = {
    "SMTP_HOST": "SMTP server host name",
    "SMTP_PORT": "SMTP server port (default: 587 for starttls, 465 for ssl, 25 for none)",
    "SMTP_SECURITY": "starttls (default), ssl or none",
    "SMTP_USER": "user name to log in with (optional; needs SMTP_PASSWORD)",
    "SMTP_PASSWORD": "password to log in with",
    "MAIL_FROM": "sender address of the e-mail",
    "DASHBOARD_URL": "address of the dashboard, for the link in each e-mail",
}


class SettingError(ValueError):
    """A setting is missing or cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    host: str | None
    port: int
    security: str
    user: str | None
    password: str | None
    mail_from: str
    dashboard_url: str

    @property
    def sender_domain(self) -> str:
        return self.mail_from.rsplit("@", 1)[-1]


def read_settings(
    environ: Mapping[str, str], overrides: Mapping[str, str | None], *, need_smtp: bool = True
) -> Settings:
    """The settings from `overrides` (flags, keyed by variable name) then `environ`.

    `need_smtp=False` (a dry run) needs only MAIL_FROM and DASHBOARD_URL.
    """

    def get(name: str) -> str | None:
        value = overrides.get(name)
        if value is None:
            value = environ.get(name)
        value = None if value is None else value.strip()
        return value or None

    def required(name: str) -> str:
        value = get(name)
        if value is None:
            flag = "--" + name.lower().replace("_", "-")
            raise SettingError(f"{name} is not set (environment variable or {flag})")
        return value

    security = (get("SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITIES:
        raise SettingError(f"SMTP_SECURITY is {security!r}; expected starttls, ssl or none")
    host = required("SMTP_HOST") if need_smtp else get("SMTP_HOST")
    port_text = get("SMTP_PORT")
    if port_text is None:
        port = DEFAULT_PORTS[security]
    elif port_text.isdigit() and 0 < int(port_text) < 65536:
        port = int(port_text)
    else:
        raise SettingError(f"SMTP_PORT is {port_text!r}; expected a port number 1-65535")
    user, password = get("SMTP_USER"), get("SMTP_PASSWORD")
    if need_smtp and user is not None and password is None:
        raise SettingError("SMTP_PASSWORD is not set but SMTP_USER is")
    mail_from = required("MAIL_FROM")
    if not _is_address(mail_from):
        raise SettingError(f"MAIL_FROM is {mail_from!r}; expected an address like a@example.org")
    dashboard_url = required("DASHBOARD_URL")
    parts = urlsplit(dashboard_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingError(f"DASHBOARD_URL is {dashboard_url!r}; expected an http(s):// address")
    return Settings(host, port, security, user, password, mail_from, dashboard_url)


def _is_address(text: str) -> bool:
    _name, address = parseaddr(text)
    if not address or address.count("@") != 1:
        return False
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    return True
