"""Warm-up (dashboard/warmup.py): the default views of the users list's scopes, and only those,
are computed before anyone asks; after an import they are computed again.

The database holds the hand-checked two-weeks fixture: rockville and arlington, last activity on
Friday 13 March 2026, so the latest complete week starts on 2 March and the default period (the
last 12 complete weeks) runs from 15 December 2025 to 8 March 2026.
"""

from datetime import date

import pytest
from sqlalchemy import insert

from dashboard import auth, loaders, warmup
from data.load import import_files
from queries.access import listed_scopes
from queries.schema import user_locations, users
from queries.scope import EVERY_LOCATION, EVERYTHING, Scope
from tests.conftest import TWO_WEEKS
from tests.loader_reads import counted_reads

START, END, LATEST_WEEK = date(2025, 12, 15), date(2026, 3, 8), date(2026, 3, 2)
BOTH = ("arlington", "rockville")


def _fill(engine) -> None:
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if "expected" not in p.name])
    with engine.begin() as conn:
        conn.execute(
            insert(users),
            [
                {"email": "director@clinic.example", "role": "admin"},
                {"email": "arl.one@clinic.example", "role": "manager"},
                {"email": "arl.two@clinic.example", "role": "manager"},
                {"email": "both@clinic.example", "role": "manager"},
                {"email": "nowhere@clinic.example", "role": "manager"},
                {"email": "guest@clinic.example", "role": "viewer"},
            ],
        )
        conn.execute(
            insert(user_locations),
            [
                {"email": "arl.one@clinic.example", "location_id": "arlington"},
                {"email": "arl.two@clinic.example", "location_id": "arlington"},
                {"email": "both@clinic.example", "location_id": "rockville"},
                {"email": "both@clinic.example", "location_id": "arlington"},
                {"email": "guest@clinic.example", "location_id": "rockville"},
            ],
        )


def test_listed_scopes_are_distinct_admin_first_and_only_those_with_access(engine):
    _fill(engine)
    with engine.connect() as conn:
        scopes = listed_scopes(conn)
    # The admin's, arlington (two managers share it), both; not the manager without locations
    # nor the unknown role.
    assert scopes == [
        EVERYTHING,
        Scope(allowed=frozenset({"arlington"})),
        Scope(allowed=frozenset(BOTH)),
    ]


@pytest.fixture
def reads(engine, db_url, monkeypatch):
    """Every read the loaders make, as (query, allowed), with sign-in configured."""
    _fill(engine)
    monkeypatch.setattr(auth, "auth_configured", lambda: True)
    with counted_reads(monkeypatch) as made:
        yield made


def test_warm_up_computes_each_scopes_default_view_and_no_other(db_url, reads):
    warmup.Warmup(db_url).refresh(first=True)
    assert {allowed for _, allowed in reads} == {EVERY_LOCATION, ("arlington",), BOTH}
    assert {name for name, _ in reads} >= {"weekly_metrics", "period_metrics", "kpi_summary"}

    # The arlington manager's first visit reads nothing: the view is there, with arlington only.
    reads.clear()
    query = loaders.Query(db_url, ("arlington",), ("arlington",), START, END, "mon")
    week = loaders.weekly(query)
    period = loaders.period_metrics(query)
    kpis = loaders.kpi_summary(query.of_weeks(LATEST_WEEK, LATEST_WEEK))
    loaders.effective_targets(query)
    loaders.attention_status(query.of_weeks(LATEST_WEEK, LATEST_WEEK))
    assert reads == []
    assert set(week["location_id"]) == {"arlington", "ALL"}
    assert set(period["location_id"]) <= {"arlington", "ALL"}
    assert not kpis.empty

    # A scope nobody has was not computed.
    loaders.weekly(loaders.Query(db_url, ("rockville",), ("rockville",), START, END, "mon"))
    assert ("report_counts", ("rockville",)) in reads


def test_warm_up_computes_again_after_an_import_and_not_before(db_url, engine, reads):
    warm = warmup.Warmup(db_url)
    warm.refresh(first=True)
    reads.clear()
    warm.refresh(first=False)
    assert reads == []  # nothing imported since

    import_files(engine, [TWO_WEEKS / "locations.csv"])
    warm.refresh(first=False)
    assert {allowed for _, allowed in reads} == {EVERY_LOCATION, ("arlington",), BOTH}


def test_a_failing_warm_up_is_logged_and_the_session_goes_on(db_url, reads, monkeypatch):
    def broken(url, allowed):
        raise ValueError("a bug in a loader")

    monkeypatch.setattr(warmup, "default_view", broken)
    warm = warmup.Warmup(db_url)
    warm.attempt(first=True)  # does not raise
    assert not warm.warmed
