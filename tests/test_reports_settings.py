"""SMTP settings: environment or flag (the flag wins), defaults, and one-line errors naming them."""

import pytest

from reports.settings import SettingError, read_settings

BASE = {
    "SMTP_HOST": "mail.test",
    "MAIL_FROM": "reports@clinic.test",
    "DASHBOARD_URL": "https://d.test",
}


def test_defaults_are_starttls_on_587_without_login():
    settings = read_settings(BASE, {})
    assert (settings.host, settings.port, settings.security, settings.user) == (
        "mail.test", 587, "starttls", None,
    )  # fmt: skip


def test_a_flag_wins_over_the_environment_and_ssl_defaults_to_465():
    settings = read_settings({**BASE, "SMTP_SECURITY": "none"}, {"SMTP_SECURITY": "SSL"})
    assert (settings.security, settings.port) == ("ssl", 465)
    assert read_settings({**BASE, "SMTP_SECURITY": "none"}, {}).port == 25


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SMTP_HOST": "  "}, "SMTP_HOST is not set (environment variable or --smtp-host)"),
        ({"SMTP_SECURITY": "tls"}, "SMTP_SECURITY is 'tls'; expected starttls, ssl or none"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT is '70000'; expected a port number 1-65535"),
        ({"SMTP_USER": "bot"}, "SMTP_PASSWORD is not set but SMTP_USER is"),
        ({"MAIL_FROM": "r"}, "MAIL_FROM is 'r'; expected an address like a@example.org"),
        ({"DASHBOARD_URL": "dash"}, "DASHBOARD_URL is 'dash'; expected an http(s):// address"),
    ],
)
def test_a_bad_setting_names_itself(changes, message):
    with pytest.raises(SettingError) as error:
        read_settings({**BASE, **changes}, {})
    assert str(error.value) == message


def test_a_dry_run_needs_no_smtp_server():
    only = {"MAIL_FROM": "r@c.test", "DASHBOARD_URL": "http://d"}
    settings = read_settings(only, {}, need_smtp=False)
    assert settings.host is None
