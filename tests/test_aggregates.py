"""Figures read from the import-time aggregates equal figures computed from the raw rows.

The reference is `bench.naive`: the spec's definitions in pandas over the raw stored columns,
never the derived ones. Each check runs after a first import and after a re-import that replaces
rows (statuses, days, locations and patients changed), on SQLite and PostgreSQL.
"""

from datetime import date, timedelta

import pandas as pd
import pytest

from bench.naive import read_raw, weekly_report
from data import store
from data.generate import generate_frames
from data.load import import_frames
from queries.consultations import FUNNEL_STAGES, funnel_by_location
from queries.metric_definitions import column
from queries.overview import KPIS, kpi_summary
from queries.period import period_metrics
from queries.report import report_counts
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics
from tests.builders import add_consultation, add_location, refresh_all, report
from tests.week_reexport import week_reexport

TODAY = date(2025, 3, 31)
START = date(2024, 12, 2)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate_frames(locations=3, years=0.4, seed=5, today=TODAY)


def _replacements(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Rows of the same ids with outcomes, days, locations and patients changed."""
    sites = list(frames["locations"]["location_id"])
    b = frames["bookings"].iloc[::7].copy()
    flip = {"completed": "no_show", "no_show": "completed", "scheduled": "cancelled"}
    b["status"] = b["status"].map(lambda s: flip.get(s, s))
    moved = b.index[::3]
    b.loc[moved, "starts_at"] = b.loc[moved, "starts_at"] + pd.Timedelta(days=2)
    relocated = b.index[1::4]
    b.loc[relocated, "location_id"] = b.loc[relocated, "location_id"].map(
        lambda loc: sites[(sites.index(loc) + 1) % len(sites)]
    )
    others = frames["bookings"]["patient_ref"].iloc[::-7].to_numpy()[: len(b)]
    b.loc[b.index[2::5], "patient_ref"] = others[2::5]
    c = frames["consultations"].iloc[::5].copy()
    consulted = c["consult_at"].notna()
    c.loc[consulted, "consult_status"] = (
        c.loc[consulted, "consult_status"].map({"completed": "no_show"}.get).fillna("completed")
    )
    c.loc[c.index[::4], "patient_ref"] = None
    return {"consultations": c, "bookings": b}


def _assert_equal(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        ours.reset_index(drop=True), reference.reset_index(drop=True), check_dtype=False
    )


def _check_reports(engine) -> None:
    selection = {"scope": EVERYTHING, "locations": None, "start": START, "end": TODAY}
    with engine.connect() as conn:
        raw = read_raw(conn)
        weekly = weekly_metrics(conn, **selection)
        period = period_metrics(conn, **selection)
        # The dashboard reads the counts once and hands them to both.
        counts = report_counts(conn, **selection)
        shared_weekly = weekly_metrics(conn, **selection, counts=counts)
        shared_period = period_metrics(conn, **selection, counts=counts)
        # Fewer weeks out of the same counts (the Overview's cards and "Needs attention"): each
        # table as if those weeks alone had been read.
        first, last = START + timedelta(weeks=3), TODAY - timedelta(weeks=2)
        fewer = counts.of_weeks(first, last + timedelta(days=6 - last.weekday()))
        part = {**selection, "start": first, "end": last}
        part_weekly = weekly_metrics(conn, **part, counts=fewer)
        part_period = period_metrics(conn, **part, counts=fewer)
    expected_weekly = weekly_report(raw, start=START, end=TODAY)
    expected = weekly_report(raw, start=START, end=TODAY, whole_period=True)
    for ours in (weekly, shared_weekly):
        _assert_equal(ours, expected_weekly)
    for ours in (period, shared_period):
        _assert_equal(ours, expected.drop(columns="week_start"))
    _assert_equal(part_weekly, weekly_report(raw, start=first, end=last))
    expected = weekly_report(raw, start=first, end=last, whole_period=True)
    _assert_equal(part_period, expected.drop(columns="week_start"))


@pytest.mark.parametrize("refresh", ["touched", "everything"])
def test_weekly_and_period_figures_equal_raw_rows_after_import_and_replacing_reimport(
    engine, frames, monkeypatch, refresh
):
    if refresh == "everything":
        # A re-import touching more patients than this refreshes everything, and a
        # consultations file then recounts every day's consultation counts.
        monkeypatch.setattr(store, "FULL_REFRESH_KEYS", 0)
    import_frames(engine, frames)
    _check_reports(engine)
    import_frames(engine, _replacements(frames))
    _check_reports(engine)


def test_weekly_and_period_figures_equal_raw_rows_after_a_weeks_reexport(engine, frames):
    import_frames(engine, frames)
    import_frames(engine, week_reexport(frames, last_day=TODAY))
    _check_reports(engine)


def _funnel_reference(raw: dict[str, pd.DataFrame], first: date, last: date) -> dict:
    """(location, stage) -> requests, from the raw rows (funnel_by_location's docstring)."""
    c, b = raw["consultations"], raw["bookings"]
    done = b[b["status"] == "completed"].sort_values(["patient_ref", "starts_at", "booking_id"])
    initials = done[done["kind"] == "initial"]
    sixth = initials[initials.groupby("patient_ref").cumcount() == 5]
    first_at = done.groupby("patient_ref")["starts_at"].max()  # latest completed booking
    sixth_at = sixth.set_index("patient_ref")["starts_at"]
    days = c["received_date"].dt.date
    c = c[(days >= first) & (days <= last)]
    counts = {}
    for location, group in c.groupby("location_id"):
        completed = group["consult_status"] == "completed"
        latest = group["patient_ref"].map(first_at)
        series_at = group["patient_ref"].map(sixth_at)
        stages = [
            len(group),
            int(group["first_contact_at"].notna().sum()),
            int(completed.sum()),
            int((completed & (latest >= group["consult_at"])).sum()),
            int((completed & (series_at >= group["consult_at"])).sum()),
        ]
        for stage, count in zip(FUNNEL_STAGES, stages, strict=True):
            counts[(location, stage)] = count
    return counts


def test_funnel_from_derived_sequences_equals_raw_rows_after_replacing_reimport(engine, frames):
    import_frames(engine, frames)
    import_frames(engine, _replacements(frames))
    first, last = START - timedelta(days=START.weekday()), TODAY + timedelta(days=6)
    with engine.connect() as conn:
        funnel = funnel_by_location(conn, scope=EVERYTHING, locations=None, start=START, end=TODAY)
        expected = _funnel_reference(read_raw(conn), first, last)
    got = {(r.location_id, r.stage): r.requests for r in funnel.itertuples()}
    assert got == expected
    assert sum(v for (_, stage), v in got.items() if stage == "Series completed") > 0


def test_median_half_way_between_odd_seconds_rounds_up(engine):
    # 32 min 55 s and 34 min 23 s: the median is exactly 33 min 39 s = 33.65 min -> 33.7.
    with engine.begin() as conn:
        add_location(conn, "arlington")
        add_consultation(
            conn, "r1", "arlington", "2026-03-03 09:00:00", first_contact="2026-03-03 09:32:55"
        )
        add_consultation(
            conn, "r2", "arlington", "2026-03-03 10:00:00", first_contact="2026-03-03 10:34:23"
        )
        refresh_all(conn)
    with engine.connect() as conn:
        rows = report(conn, date(2026, 3, 2), date(2026, 3, 8))
    assert rows[("2026-03-02", "arlington")]["median_response_minutes"] == 33.7
    assert rows[("2026-03-02", "ALL")]["median_response_minutes"] == 33.7


def test_kpi_cards_equal_the_raw_rows_after_replacing_reimport(engine, frames):
    """The Overview's cards: the week and the week before from the pooled weekly rows; a count's
    12-week figure the average of the 12 weeks before, a rate's the 12 weeks pooled."""
    import_frames(engine, frames)
    import_frames(engine, _replacements(frames))
    week = TODAY - timedelta(days=TODAY.weekday() + 7)
    history_start, previous = week - timedelta(weeks=12), week - timedelta(weeks=1)
    with engine.connect() as conn:
        cards = kpi_summary(conn, week=week, scope=EVERYTHING, locations=None)
        # The dashboard hands it the counts of the 26 weeks "Needs attention" reads.
        counts = report_counts(
            conn, scope=EVERYTHING, locations=None, start=week - timedelta(weeks=25), end=week
        )
        shared = kpi_summary(conn, week=week, scope=EVERYTHING, locations=None, counts=counts)
        raw = read_raw(conn)
    weekly = weekly_report(raw, start=history_start, end=week)
    pooled = weekly[weekly["location_id"] == "ALL"].set_index("week_start")
    twelve = weekly_report(raw, start=history_start, end=previous, whole_period=True)
    twelve = twelve[twelve["location_id"] == "ALL"].iloc[0]

    def plain(value):
        return None if pd.isna(value) else float(value)

    assert list(cards["metric"]) == KPIS
    assert list(shared["metric"]) == KPIS
    for card in [*cards.itertuples(), *shared.itertuples()]:
        assert card.value == plain(pooled.at[week, card.metric]), card.metric
        assert card.previous_week == plain(pooled.at[previous, card.metric]), card.metric
        if column(card.metric).kind == "count":
            history = pooled.loc[pooled.index < week, card.metric]
            assert len(history) == 12
            assert card.twelve_week == round(float(history.sum()) / 12, 1), card.metric
        else:
            assert card.twelve_week == plain(twelve[card.metric]), card.metric
