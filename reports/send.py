"""`python -m reports.send`: e-mail every recipient their own week's metrics, once.

Exit status 0 when every recipient has their message (sent now or before), 1 when some could not
be sent (listed on stderr; the next run tries them again) or a stopped run left one unconfirmed
(sent again only with --resend), 2 for a bad setting or argument.
A run with nothing new to send prints nothing, so a timer may run it hourly.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from queries.db import default_url, open_database
from reports.content import WeekNotOver, report_week
from reports.delivery import send_weekly, write_dry_run
from reports.recipients import UnknownRecipient
from reports.settings import SETTINGS, SettingError, read_settings


def _flag(name: str) -> str:
    return "--" + name.lower().replace("_", "-")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reports.send",
        description="E-mail each user in the users file (weekly_email yes) their own week: "
        "managers their locations, admins the whole network. Sends each message once.",
    )
    parser.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or data/)")
    parser.add_argument(
        "--week", type=_day, default=None,
        help="a day of the week to report, YYYY-MM-DD (default: the latest complete Monday week)",
    )  # fmt: skip
    parser.add_argument(
        "--to", action="append", dest="to", metavar="EMAIL",
        help="send only to this recipient (repeatable; default: everyone whose e-mail is on)",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", type=Path, metavar="DIR",
        help="write each message to DIR as an .eml file instead of sending; marks nothing sent",
    )  # fmt: skip
    parser.add_argument(
        "--resend", action="store_true", help="send again to recipients who already have it"
    )
    settings = parser.add_argument_group("settings (each defaults to its environment variable)")
    for name, text in SETTINGS.items():
        settings.add_argument(_flag(name), dest=name, metavar=name, help=text)
    return parser.parse_args(argv)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-16: {text!r}") from None


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def main(argv: Sequence[str] | None = None, *, today: date | None = None) -> int:
    args = _parse_args(argv)
    today = today or date.today()
    overrides = {name: getattr(args, name) for name in SETTINGS}
    try:
        settings = read_settings(os.environ, overrides, need_smtp=args.dry_run is None)
        week = report_week(args.week, today)
    except (SettingError, WeekNotOver) as error:
        return _fail(str(error))
    try:
        engine = open_database(args.db or default_url())
    except SQLAlchemyError as error:
        return _fail(f"cannot open the database: {_reason(error)}")
    try:
        if args.dry_run is not None:
            outcomes = write_dry_run(
                engine, settings, week=week, directory=args.dry_run, only=args.to
            )
        else:
            outcomes = send_weekly(engine, settings, week=week, only=args.to, resend=args.resend)
    except UnknownRecipient as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"{args.dry_run}: {error.strerror or error}")
    except SQLAlchemyError as error:
        return _fail(f"database: {_reason(error)}")
    finally:
        engine.dispose()
    for outcome in outcomes:
        if outcome.status in ("sent", "written"):
            print(f"{outcome.status}: {outcome.email}: {outcome.detail}")
    failed = [outcome for outcome in outcomes if outcome.status in ("failed", "unconfirmed")]
    for outcome in failed:
        label = "not sent" if outcome.status == "failed" else "not confirmed"
        sys.stderr.write(f"{label}: {outcome.email}: {outcome.detail}\n")
    return 1 if failed else 0


def _reason(error: SQLAlchemyError) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


if __name__ == "__main__":
    sys.exit(main())
