"""The targets the Overview's loader keeps give "Needs attention" the same targets as a read.

The database holds the hand-checked two-weeks fixture: rockville and arlington.
"""

import pandas as pd
import pytest

from data.load import import_files
from queries.scope import EVERYTHING, Scope
from queries.targets import effective_targets, replace_targets, resolved_from, resolved_targets
from tests.conftest import TWO_WEEKS


@pytest.mark.parametrize(
    ("scope", "locations"),
    [
        (EVERYTHING, None),
        (EVERYTHING, ["arlington"]),
        (Scope(allowed=frozenset({"rockville"})), None),
    ],
)
def test_resolved_from_the_effective_frame_equals_resolved_targets(engine, scope, locations):
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if "expected" not in p.name])
    rows = pd.DataFrame(
        {
            "location_id": ["arlington", "*", "*"],
            "metric": ["no_show_rate_pct", "no_show_rate_pct", "new_patients"],
            "min": [None, None, 5.0],
            "max": [5.0, 12.0, None],
            "weeks": [3, 2, 1],
        }
    )
    with engine.begin() as conn:
        replace_targets(conn, rows, email="director@clinic.example", source="test")
    with engine.connect() as conn:
        read = resolved_targets(conn, scope=scope, locations=locations)
        effective = effective_targets(conn, scope=scope, locations=locations)
    again = resolved_from(effective)
    assert again == read
    # In the same order: "Needs attention" lists its rows in it.
    assert [(loc, list(m)) for loc, m in again.items()] == [
        (loc, list(m)) for loc, m in read.items()
    ]
    # Location rows, `*` rows and defaults all came through.
    sources = {source for by_metric in read.values() for _, source in by_metric.values()}
    assert sources >= {"*", "default"}
