from datetime import date

from sqlalchemy import func, select

from queries.calendar_table import week_start
from queries.db import normalise_url, upgrade
from queries.schema import calendar


def test_upgrade_is_idempotent_and_fills_calendar(engine):
    upgrade(engine)
    with engine.connect() as conn:
        days = conn.scalar(select(func.count()).select_from(calendar))
        row = conn.execute(select(calendar).where(calendar.c.day == date(2026, 3, 8))).one()
    assert days == 36525
    assert row.weekday == 6
    assert row.week_mon == date(2026, 3, 2)
    assert row.week_sun == date(2026, 3, 8)


def test_week_start_for_sunday_weeks():
    assert week_start(date(2026, 3, 7), "sun") == date(2026, 3, 1)
    assert week_start(date(2026, 3, 7), "mon") == date(2026, 3, 2)


def test_plain_postgres_urls_use_psycopg():
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x") == "sqlite:///x"
