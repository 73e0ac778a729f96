"""`python -m reports.send` against a real SMTP server on loopback, on SQLite and PostgreSQL.

Three locations with names no other text holds; four users: an admin, a manager of one location,
a manager of two, and a manager whose weekly e-mail is off. Week reported: Monday 6 Apr 2026;
the files cover the 12 weeks 19 Jan to 12 Apr 2026.
"""

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import openpyxl
import pytest
from sqlalchemy import select

from data.load import import_files
from queries.audit import EMAIL_PREVIEW, EMAIL_SENT, read_log
from queries.db import make_engine, normalise_url
from queries.schema import deliveries
from queries.scope import EVERYTHING
from reports import send
from reports.delivery import send_preview
from reports.settings import read_settings
from tests.builders import add_booking, add_capacity, add_location, refresh_all
from tests.smtp_server import HOST, SmtpServer, free_port

WEEK = "2026-04-06"
START, END = date(2026, 1, 19), date(2026, 4, 12)
ADMIN, ONE, TWO, OFF = "boss@clinic.test", "solo@clinic.test", "pair@clinic.test", "off@clinic.test"
# Every spelling of each location that a message could carry.
SPELLINGS = {
    "zeta-north": ("zeta-north", "Zeta-North", "zeta"),
    "omega-south": ("omega-south", "Omega-South", "omega"),
    "kappa-east": ("kappa-east", "Kappa-East", "kappa"),
}
SETTING_NAMES = (
    "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM",
    "DASHBOARD_URL",
)  # fmt: skip


@pytest.fixture
def clinic(db_url, tmp_path, monkeypatch):
    """The three locations' bookings and the users file; returns the database URL."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for location_id in SPELLINGS:
            add_location(conn, location_id)
            add_capacity(conn, location_id, "mon", "08:00", "16:00", 2)
        # Week of 30 Mar: zeta-north 1 completed.
        add_booking(conn, "z0", "zeta-north", "p1", "2026-03-30 09:00")
        # Week of 6 Apr: zeta-north 2 completed and 1 no-show; omega-south 3; kappa-east 1.
        add_booking(conn, "z1", "zeta-north", "p1", "2026-04-06 09:00")
        add_booking(conn, "z2", "zeta-north", "p2", "2026-04-07 09:00")
        add_booking(conn, "z3", "zeta-north", "p3", "2026-04-08 09:00", status="no_show")
        for n in range(3):
            add_booking(conn, f"o{n}", "omega-south", f"q{n}", f"2026-04-0{6 + n} 10:00")
        add_booking(conn, "k1", "kappa-east", "r1", "2026-04-06 11:00")
        refresh_all(conn)
    users = tmp_path / "users.csv"
    users.write_text(
        "email,role,locations,weekly_email\n"
        f"{ADMIN},admin,,\n"
        f"{ONE},manager,zeta-north,yes\n"
        f"{TWO},manager,zeta-north omega-south,YES\n"
        f"{OFF},manager,kappa-east,no\n"
    )
    import_files(engine, [users])
    engine.dispose()
    return db_url


def _run(url: str, port: int, *extra: str) -> int:
    return send.main(
        [
            "--db",
            url,
            "--week",
            WEEK,
            "--smtp-host",
            HOST,
            "--smtp-port",
            str(port),
            "--smtp-security",
            "none",
            "--mail-from",
            "reports@clinic.test",
            "--dashboard-url",
            "https://dash.clinic.test/",
            *extra,
        ]
    )


def _texts(message: EmailMessage) -> list[str]:
    """Everything a reader could find in the message, as text: headers, parts, file contents
    (the workbook's every XML part). The picture is checked by its legend's source instead."""
    found = [f"{key}: {value}" for key, value in message.items()]
    for part in message.walk():
        found += [f"{key}: {value}" for key, value in part.items()]
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if part.get_content_type().endswith("spreadsheetml.sheet"):
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                found += [book.read(name).decode("utf-8") for name in book.namelist()]
        elif part.get_content_maintype() == "text":
            found.append(part.get_content())
    return found


def _attachment(message: EmailMessage, suffix: str) -> tuple[str, bytes]:
    (part,) = [p for p in message.iter_attachments() if p.get_filename().endswith(suffix)]
    return part.get_filename(), part.get_payload(decode=True)


def _deliveries(url: str) -> dict[str, tuple[str, str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(deliveries.c.recipient, deliveries.c.status, deliveries.c.locations)
        ).all()
    engine.dispose()
    return {recipient: (status, locations) for recipient, status, locations in rows}


def test_each_recipient_gets_one_message_of_their_own_locations(clinic, capsys):
    with SmtpServer() as server:
        assert _run(clinic, server.port) == 0
    inbox = server.inbox
    assert sorted(rcpt for rcpt, _ in inbox.received) == [[ADMIN], [TWO], [ONE]]
    (solo,), (pair,), (boss,) = inbox.to(ONE), inbox.to(TWO), inbox.to(ADMIN)
    assert solo["Subject"] == "Weekly metrics, week of 06 Apr 2026: Zeta-North"
    assert pair["Subject"] == "Weekly metrics, week of 06 Apr 2026: 2 locations"
    assert boss["Subject"] == "Weekly metrics, week of 06 Apr 2026: all locations"
    # Completed infusions, this week and the week before: zeta-north 2 and 1; with omega-south
    # 5 and 1; with kappa-east too 6 and 1.
    assert "Infusions completed: 2 (+1 against the week before" in _plain(solo)
    assert "Infusions completed: 5 (+4 against the week before" in _plain(pair)
    assert "Infusions completed: 6 (+5 against the week before" in _plain(boss)
    # zeta-north's no-show rate: 1 no-show of 3 bookings = 33.3 %.
    assert "No-show rate: 33.3%" in _plain(solo)
    # The link opens the recipient's own selection: all of theirs (no `location`), 12 weeks.
    assert "https://dash.clinic.test/?start=2026-01-19&end=2026-04-12" in _plain(solo)
    assert _deliveries(clinic) == {
        ADMIN: ("sent", "kappa-east omega-south zeta-north"),
        ONE: ("sent", "zeta-north"),
        TWO: ("sent", "omega-south zeta-north"),
    }
    assert capsys.readouterr().out.count("sent: ") == 3


def _plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_nothing_of_another_location_appears_anywhere_in_a_message(clinic):
    with SmtpServer() as server:
        assert _run(clinic, server.port) == 0
    for address, own in ((ONE, {"zeta-north"}), (TWO, {"zeta-north", "omega-south"})):
        (message,) = server.inbox.to(address)
        text = "\n".join(_texts(message)).lower()
        for location_id, spellings in SPELLINGS.items():
            present = [s for s in spellings if s.lower() in text]
            assert bool(present) == (location_id in own), (address, location_id, present)
        # The CSV's ALL row pools the recipient's locations only: the week's 2 (+3) completed
        # infusions, the 9th column.
        _name, data = _attachment(message, ".csv")
        all_row = [line for line in data.decode().splitlines() if line.startswith(f"{WEEK},ALL")]
        assert all_row[0].split(",")[8] == ("2" if address == ONE else "5")


def test_each_attachment_is_the_dashboards_download_for_that_selection(clinic):
    from dashboard import loaders

    with SmtpServer() as server:
        assert _run(clinic, server.port) == 0
    url = normalise_url(clinic)
    for address, ids in ((ONE, ("zeta-north",)), (TWO, ("omega-south", "zeta-north"))):
        (message,) = server.inbox.to(address)
        name, csv = _attachment(message, ".csv")
        assert name == "weekly-metrics_2026-01-19_2026-04-12.csv"
        query = loaders.Query(url, ids, ids, START, END, "mon")
        assert csv == loaders.weekly_csv(query)
        name, xlsx = _attachment(message, ".xlsx")
        assert name == "weekly-metrics_2026-01-19_2026-04-12.xlsx"
        assert _cells(xlsx) == _cells(loaders.weekly_xlsx(query))


def _cells(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet's cell values, but the generated-at stamp (the time the file was made)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {
        sheet.title: [row for row in sheet.iter_rows(values_only=True) if row[0] != "generated_at"]
        for sheet in book.worksheets
    }


def test_a_second_run_sends_nothing_and_resend_sends_again(clinic, capsys):
    with SmtpServer() as server:
        assert _run(clinic, server.port) == 0
        capsys.readouterr()
        assert _run(clinic, server.port) == 0
        assert len(server.inbox.received) == 3
        assert capsys.readouterr() == ("", "")  # quiet: a timer may run it hourly
        assert _run(clinic, server.port, "--resend", "--to", ONE.upper()) == 0
    assert len(server.inbox.received) == 4 and len(server.inbox.to(ONE)) == 2


def test_a_refused_recipient_is_retried_next_run_and_the_others_still_go(clinic, capsys):
    with SmtpServer() as server:
        server.inbox.refuse = {TWO}
        assert _run(clinic, server.port) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"not sent: {TWO}: SMTPRecipientsRefused") and err.count("\n") == 1
        assert [rcpt for rcpt, _ in server.inbox.received] == [[ADMIN], [ONE]]
        assert _deliveries(clinic)[TWO][0] == "failed"
        server.inbox.refuse = set()
        assert _run(clinic, server.port) == 0
    assert [rcpt for rcpt, _ in server.inbox.received] == [[ADMIN], [ONE], [TWO]]
    assert {status for status, _ in _deliveries(clinic).values()} == {"sent"}


def test_a_server_that_is_down_marks_nothing_sent(clinic, capsys):
    assert _run(clinic, free_port()) == 1  # nothing listens there
    err = capsys.readouterr().err.splitlines()
    assert sorted(line.split(": ")[1] for line in err) == [ADMIN, TWO, ONE]
    assert all(line.startswith("not sent: ") for line in err)
    assert {status for status, _ in _deliveries(clinic).values()} == {"failed"}
    engine = make_engine(clinic)
    with engine.connect() as conn:
        assert read_log(conn, scope=EVERYTHING, actions=[EMAIL_SENT]).empty
    engine.dispose()


def test_each_sent_message_is_in_the_audit_log(clinic):
    with SmtpServer() as server:
        assert _run(clinic, server.port, "--to", TWO) == 0
    engine = make_engine(clinic)
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING, actions=[EMAIL_SENT])
    engine.dispose()
    assert list(log["email"]) == [TWO]
    detail = json.loads(log["detail"].iloc[0])
    assert detail["locations"] == ["omega-south", "zeta-north"]
    assert (detail["recipient"], detail["week"]) == (TWO, WEEK)
    (message,) = server.inbox.to(TWO)
    assert detail["message_id"] == message["Message-ID"]


def test_dry_run_writes_eml_files_and_marks_nothing_sent(clinic, tmp_path, capsys):
    out = tmp_path / "out"
    with SmtpServer() as server:
        code = send.main(
            [
                "--db",
                clinic,
                "--week",
                WEEK,
                "--dry-run",
                str(out),
                "--mail-from",
                "reports@clinic.test",
                "--dashboard-url",
                "https://d.test",
            ]
        )
    assert code == 0 and server.inbox.received == []
    files = sorted(path.name for path in out.iterdir())
    assert files == [f"{WEEK}_{ADMIN}.eml", f"{WEEK}_{TWO}.eml", f"{WEEK}_{ONE}.eml"]
    message = message_from_bytes((out / files[2]).read_bytes(), policy=policy.default)
    assert message["To"] == ONE and message["Subject"].endswith(": Zeta-North")
    html = message.get_body(("html",))
    (image,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert f'src="cid:{image["Content-ID"][1:-1]}"' in html.get_content()
    assert image.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    assert "<script" not in html.get_content() and "http://" not in html.get_content()
    assert _deliveries(clinic) == {}


@pytest.mark.parametrize("missing", ["MAIL_FROM", "SMTP_HOST", "DASHBOARD_URL"])
def test_a_missing_setting_is_a_one_line_error_naming_it(clinic, capsys, missing):
    given = {
        "SMTP_HOST": ["--smtp-host", HOST],
        "MAIL_FROM": ["--mail-from", "reports@clinic.test"],
        "DASHBOARD_URL": ["--dashboard-url", "https://d.test"],
    }
    argv = ["--db", clinic, "--week", WEEK]
    for name, flags in given.items():
        argv += [] if name == missing else flags
    assert send.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {missing} is not set")
    assert _deliveries(clinic) == {}


def test_to_an_address_that_gets_no_weekly_email_is_an_error(clinic, capsys):
    with SmtpServer() as server:
        assert _run(clinic, server.port, "--to", OFF) == 2
    assert capsys.readouterr().err == (
        f"error: not in the users file with weekly_email yes: {OFF}\n"
    )
    assert server.inbox.received == []


def test_an_admin_preview_is_the_recipients_message_sent_to_the_admin(clinic):
    with SmtpServer() as server:
        settings = read_settings(
            {}, {"SMTP_HOST": HOST, "SMTP_PORT": str(server.port), "SMTP_SECURITY": "none",
                 "MAIL_FROM": "reports@clinic.test", "DASHBOARD_URL": "https://d.test"},
        )  # fmt: skip
        engine = make_engine(clinic)
        subject = send_preview(
            engine, settings, recipient_email=ONE, admin_email=ADMIN, week=date(2026, 4, 6),
        )  # fmt: skip
    (message,) = server.inbox.to(ADMIN)
    assert subject == message["Subject"]
    assert message["Subject"] == (
        f"[Preview for {ONE}] Weekly metrics, week of 06 Apr 2026: Zeta-North"
    )
    assert "omega" not in "\n".join(_texts(message)).lower()
    with engine.connect() as conn:
        log = read_log(conn, scope=EVERYTHING, actions=[EMAIL_PREVIEW])
    engine.dispose()
    assert list(log["email"]) == [ADMIN]
    assert _deliveries(clinic) == {}


def test_the_message_opens_with_what_needs_attention_in_the_recipients_locations(clinic):
    # Utilization, default target 70-90 % for two weeks: zeta-north held 3 of 16 room-hours in
    # the week of 6 Apr (18.8 %) and 1 of 16 the week before (6.3 %).
    with SmtpServer() as server:
        assert _run(clinic, server.port, "--to", ONE) == 0
    (message,) = server.inbox.to(ONE)
    lines = _plain(message).splitlines()
    # Outside since the first of the 26 weeks looked back: 13 Oct 2025 (no room was ever used).
    assert lines[2:4] == [
        "Needs attention:",
        "- Zeta-North: Utilization 18.8%, target 70-90%, outside since 2025-10-13",
    ]
    html = message.get_body(("html",)).get_content()
    assert html.index("Needs attention") < html.index("Consult requests")


def _admin_app(url: str, monkeypatch):
    """The app as Streamlit runs it, signed in as the admin of the users file."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.test_app_import_page import AUTH

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    app = AppTest.from_file(
        str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py"), default_timeout=60
    )
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": True, "email": ADMIN, "email_verified": True}
    app.run()
    return app.switch_page("app_pages/emails.py").run()


def test_the_emails_page_lists_deliveries_and_sends_the_admin_a_preview(clinic, monkeypatch):
    with SmtpServer() as server:
        server.inbox.refuse = {TWO}
        assert _run(clinic, server.port) == 1
        settings = {
            "SMTP_HOST": HOST, "SMTP_PORT": str(server.port), "SMTP_SECURITY": "none",
            "MAIL_FROM": "reports@clinic.test", "DASHBOARD_URL": "https://d.test",
        }  # fmt: skip
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        app = _admin_app(clinic, monkeypatch)
        assert not app.exception and not app.error
        app.date_input(key="emails_since").set_value(date(2026, 4, 6)).run()
        (table,) = app.dataframe
        shown = table.value.set_index("recipient")
        assert shown.loc[[ADMIN, ONE, TWO], "status"].tolist() == ["sent", "sent", "failed"]
        assert str(shown.loc[TWO, "week"])[:10] == WEEK
        app.selectbox(key="emails_recipient").set_value(ONE)
        app.date_input(key="emails_week").set_value(date(2026, 4, 8)).run()
        app.button(key="emails_preview").click().run()
        assert not app.error
    (preview,) = server.inbox.to(ADMIN)[1:]  # the first is the admin's own weekly e-mail
    assert preview["Subject"] == (
        f"[Preview for {ONE}] Weekly metrics, week of 06 Apr 2026: Zeta-North"
    )
    assert "omega" not in "\n".join(_texts(preview)).lower()


def test_without_mail_settings_the_preview_button_is_off(clinic, monkeypatch):
    app = _admin_app(clinic, monkeypatch)
    assert not app.exception and not app.error
    assert app.button(key="emails_preview").disabled
    assert (
        "MAIL_FROM is not set" in app.info[0].value or "SMTP_HOST is not set" in app.info[0].value
    )


def test_a_message_a_stopped_run_left_sending_is_reported_not_sent_again(clinic, capsys):
    # A run stopped two hours ago while the server was being asked for solo's message.
    engine = make_engine(clinic)
    with engine.begin() as conn:
        conn.execute(
            deliveries.insert().values(
                recipient=ONE,
                week=date(2026, 4, 6),
                locations="zeta-north",
                status="sending",
                at=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=2),
                attempts=1,
            )
        )
    engine.dispose()
    with SmtpServer() as server:
        assert _run(clinic, server.port) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"not confirmed: {ONE}: a run stopped while the server was")
        assert sorted(rcpt for rcpt, _ in server.inbox.received) == [[ADMIN], [TWO]]
        assert _run(clinic, server.port, "--resend", "--to", ONE) == 0
    assert len(server.inbox.to(ONE)) == 1
    assert _deliveries(clinic)[ONE][0] == "sent"
