"""`period_metrics`: the weekly report's metrics pooled over a whole period, worked out by hand.

Rockville (r) has 3 rooms 08:00-16:00 on Mondays and is closed on 2026-03-09; Arlington (l) has
2 rooms 09:00-17:00 on Tuesdays. The period 2026-03-02..2026-03-15 is two Monday weeks.
"""

from datetime import date

import pytest

from queries.period import PERIOD_COLUMNS, period_metrics
from queries.scope import EVERYTHING, Scope
from queries.weekly import weekly_metrics
from tests.builders import (
    add_booking,
    add_capacity,
    add_closure,
    add_consultation,
    add_location,
    refresh_all,
)

PERIOD = {"start": date(2026, 3, 2), "end": date(2026, 3, 15)}


@pytest.fixture
def conn(engine):
    with engine.begin() as c:
        add_location(c, "r")
        add_location(c, "l")
        add_capacity(c, "r", "mon", "08:00", "16:00", 3)
        add_capacity(c, "l", "tue", "09:00", "17:00", 2)
        add_closure(c, "r", date(2026, 3, 9))
        add_consultation(
            c, "c1", "r", "2026-03-02 09:00", first_contact="2026-03-02 09:20",
            consult_at="2026-03-04 10:00", status="completed", patient_ref="p1",
        )  # fmt: skip
        add_consultation(
            c, "c2", "r", "2026-03-03 18:30", first_contact="2026-03-04 08:30",
            consult_at="2026-03-06 11:00", status="completed", patient_ref="p2",
        )  # fmt: skip
        add_consultation(c, "c3", "r", "2026-03-10 09:00", first_contact="2026-03-10 09:50")
        add_consultation(
            c, "c4", "l", "2026-03-05 12:00", first_contact="2026-03-05 12:45",
            consult_at="2026-03-10 09:30", status="completed", patient_ref="p3",
        )  # fmt: skip
        add_consultation(c, "c5", "l", "2026-03-12 10:00")
        add_booking(c, "b1", "r", "p1", "2026-03-06 09:00", duration=100)
        add_booking(c, "b2", "r", "p1", "2026-03-09 09:00", duration=100)
        add_booking(c, "b3", "r", "p2", "2026-03-09 11:00", duration=100, status="no_show")
        add_booking(c, "b4", "l", "p3", "2026-03-10 10:00", duration=90)
        add_booking(c, "b5", "l", "p4", "2026-03-11 10:00", status="late_cancel")
        add_booking(c, "b6", "l", "p5", "2026-03-12 10:00", status="cancelled")
        add_booking(c, "b7", "r", "p9", "2026-03-16 10:00")
        refresh_all(c)
    with engine.connect() as c:
        yield c


# location, requests, median, within 1h %, consults, conversion %, scheduled, completed,
# no-shows, late, cancelled, no-show rate %, new, boosters, series, available h, booked h, util %
EXPECTED = [
    ("l", 2, 45.0, 50.0, 1, 100.0, 2, 1, 0, 1, 1, 0.0, 1, 0, 0, 32.0, 2.5, 7.8),
    ("r", 3, 50.0, 66.7, 2, 50.0, 3, 2, 1, 0, 0, 33.3, 1, 0, 0, 24.0, 5.0, 20.8),
    ("ALL", 5, 47.5, 60.0, 3, 66.7, 5, 3, 1, 1, 1, 20.0, 2, 0, 0, 56.0, 7.5, 13.4),
]


def test_period_pools_counts_and_recomputes_rates_and_median(conn):
    table = period_metrics(conn, scope=EVERYTHING, locations=None, **PERIOD)
    assert list(table.columns) == PERIOD_COLUMNS
    assert [tuple(row) for row in table.itertuples(index=False)] == EXPECTED


def test_period_of_one_week_equals_that_weeks_report_rows(conn):
    week = {"start": date(2026, 3, 9), "end": date(2026, 3, 9)}
    table = period_metrics(conn, scope=EVERYTHING, locations=None, **week)
    report = weekly_metrics(conn, scope=EVERYTHING, locations=None, **week)
    assert table.equals(report[PERIOD_COLUMNS].reset_index(drop=True))


def test_period_scope_keeps_only_allowed_locations(conn):
    table = period_metrics(conn, scope=Scope(allowed=frozenset({"l"})), locations=None, **PERIOD)
    assert [tuple(row) for row in table.itertuples(index=False)] == [
        EXPECTED[0],
        ("ALL", *EXPECTED[0][1:]),
    ]


def test_period_with_nothing_in_scope_is_empty(conn):
    table = period_metrics(conn, scope=Scope(allowed=frozenset()), locations=None, **PERIOD)
    assert table.empty
