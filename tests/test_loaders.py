"""The cached loaders (dashboard/loaders.py): what a new view reads again, and what it does not.

The database holds the hand-checked two-weeks fixture: rockville and arlington.
"""

from datetime import date

import pandas as pd
import pytest
import streamlit as st

from dashboard import loaders
from data.load import import_files
from queries.scope import EVERY_LOCATION
from queries.targets import replace_targets
from tests.conftest import TWO_WEEKS
from tests.loader_reads import counted_reads


@pytest.fixture
def reads(engine, monkeypatch):
    """Every read the loaders make, as (query, allowed)."""
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if "expected" not in p.name])
    with counted_reads(monkeypatch) as made:
        yield made


def test_targets_are_read_once_for_every_period_of_the_same_locations(db_url, engine, reads):
    with engine.begin() as conn:
        rows = pd.DataFrame(
            {
                "location_id": ["arlington", "rockville"],
                "metric": ["no_show_rate_pct"] * 2,
                "min": [None, None],
                "max": [5.0, 12.0],
                "weeks": [2, 2],
            }
        )
        replace_targets(conn, rows, email="director@clinic.example", source="test")
    first = loaders.Query(
        db_url, EVERY_LOCATION, ("arlington",), date(2026, 3, 2), date(2026, 3, 8), "mon"
    )
    other_period = first._replace(start=date(2025, 12, 15), week_start="sun")
    targets = loaders.effective_targets(first)
    assert loaders.effective_targets(other_period).equals(targets)
    assert reads == [("effective_targets", EVERY_LOCATION)]

    # Other locations, or another scope, are read for themselves.
    rockville = loaders.effective_targets(first._replace(locations=("rockville",)))
    arlington = loaders.effective_targets(first._replace(allowed=("arlington",)))
    assert len(reads) == 3
    no_shows = rockville[rockville["metric"] == "no_show_rate_pct"]
    assert no_shows[["location_id", "max"]].values.tolist() == [["rockville", 12.0]]
    no_shows = arlington[arlington["metric"] == "no_show_rate_pct"]
    assert no_shows[["location_id", "max"]].values.tolist() == [["arlington", 5.0]]


def test_the_cards_and_needs_attention_share_one_read_of_their_weeks(db_url, reads):
    week = loaders.Query(
        db_url, EVERY_LOCATION, ("arlington",), date(2026, 3, 2), date(2026, 3, 2), "mon"
    )
    loaders.attention_status(week)
    loaders.kpi_summary(week)
    assert [name for name, _ in reads].count("report_counts") == 1
    # Another scope reads for itself.
    loaders.kpi_summary(week._replace(allowed=("arlington",)))
    assert [name for name, _ in reads].count("report_counts") == 2


def test_a_weekly_result_keeps_its_id_out_of_the_cache_and_a_new_one_gets_another(db_url, reads):
    query = loaders.Query(
        db_url, EVERY_LOCATION, ("arlington",), date(2026, 3, 2), date(2026, 3, 8), "mon"
    )
    first, again = loaders.weekly(query), loaders.weekly(query)
    assert first is not again
    assert loaders.result_id(first) is not None
    assert loaders.result_id(again) == loaders.result_id(first)
    st.cache_data.clear()
    assert loaders.result_id(loaders.weekly(query)) != loaders.result_id(first)
    assert loaders.result_id(pd.DataFrame({"a": [1]})) is None
