"""A manager's funnel and conversion count a first infusion and a completed series anywhere in the
group (docs/metrics.md, docs/access.md): the outcome of their own requests, never another
location's rows."""

from datetime import date

from queries.consultations import funnel_by_location
from queries.scope import Scope
from queries.weekly import weekly_metrics
from tests.builders import add_booking, add_consultation, add_location, refresh_all

ARLINGTON_MANAGER = Scope(allowed=frozenset({"arlington"}))


def _patient_consults_at_arlington_and_is_treated_at_rockville(engine) -> None:
    with engine.begin() as conn:
        add_location(conn, "arlington")
        add_location(conn, "rockville")
        add_consultation(
            conn, "r1", "arlington", "2026-03-02 09:00", first_contact="2026-03-02 09:10",
            consult_at="2026-03-03 10:00", status="completed", patient_ref="p1",
        )  # fmt: skip
        # Six completed initial infusions at rockville after the consult: a whole series.
        for day in range(4, 10):
            add_booking(conn, f"b{day}", "rockville", "p1", f"2026-03-{day:02d} 10:00")
        refresh_all(conn)


def test_a_managers_funnel_counts_infusions_at_other_locations_of_the_group(engine):
    _patient_consults_at_arlington_and_is_treated_at_rockville(engine)
    with engine.connect() as conn:
        table = funnel_by_location(
            conn, scope=ARLINGTON_MANAGER, locations=None,
            start=date(2026, 3, 2), end=date(2026, 3, 8),
        )  # fmt: skip
    assert [tuple(row) for row in table.itertuples(index=False)] == [
        ("arlington", "Requests", 1),
        ("arlington", "Contacted", 1),
        ("arlington", "Consult completed", 1),
        ("arlington", "First infusion", 1),
        ("arlington", "Series completed", 1),
    ]


def test_the_managers_weekly_conversion_agrees_and_shows_no_rockville_row(engine):
    _patient_consults_at_arlington_and_is_treated_at_rockville(engine)
    with engine.connect() as conn:
        report = weekly_metrics(
            conn, scope=ARLINGTON_MANAGER, locations=None,
            start=date(2026, 3, 2), end=date(2026, 3, 8),
        )  # fmt: skip
    assert set(report["location_id"]) == {"arlington", "ALL"}
    arlington = report[report["location_id"] == "arlington"].iloc[0]
    assert arlington["consults_completed"] == 1
    assert arlington["consult_conversion_pct"] == 100.0
    # The infusions themselves are rockville's, and not counted at arlington.
    assert arlington["infusions_completed"] == 0
