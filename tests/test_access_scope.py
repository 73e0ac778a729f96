"""Every query function in queries/ narrows what it reads through the caller's Scope.

The registry below must name every public function of `queries` that takes a connection; a new
one fails `test_every_query_function_is_registered` until it is given a scope check (or an
exemption with its reason).
"""

import importlib
import inspect
import pkgutil
import typing
from datetime import date

import numpy as np
import pandas as pd
import pytest

import queries
from data.load import import_files
from queries.access import NO_LOCATIONS
from queries.scope import EVERYTHING, Scope
from tests.conftest import TWO_WEEKS

MANAGER = Scope(allowed=frozenset({"arlington"}))
PERIOD = {"start": date(2026, 3, 2), "end": date(2026, 3, 15)}

# Query functions that take `locations`: name -> the other arguments they need.
WITH_LOCATIONS = {
    "queries.attention.attention_status": {"week": date(2026, 3, 9)},
    "queries.capacity.occupied_rooms_by_weekday_hour": PERIOD,
    "queries.capacity.utilization_by_location_and_week": PERIOD,
    "queries.capacity.weeks_ahead": {"today": date(2026, 3, 2), "weeks": 2},
    "queries.consultations.funnel_by_location": PERIOD,
    "queries.consultations.indication_mix": PERIOD,
    "queries.consultations.requests_by_week_and_channel": PERIOD,
    "queries.consultations.response_time_distribution": PERIOD,
    "queries.infusions.bookings_by_week_and_status": PERIOD,
    "queries.infusions.no_shows_by_location_and_weekday": PERIOD,
    "queries.overview.kpi_summary": {"week": date(2026, 3, 9)},
    "queries.period.period_metrics": PERIOD,
    "queries.report.report_counts": PERIOD,
    "queries.targets.effective_targets": {},
    "queries.targets.resolved_targets": {},
    "queries.weekly.weekly_metrics": PERIOD,
}
# Scoped query functions without `locations`: checked by hand below.
SCOPE_ONLY = {
    "queries.catalog.latest_activity_date",
    "queries.catalog.visible_locations",
    "queries.audit.read_log",
    # Hand-checked in tests/test_attention.py (its list is often empty, so the loop cannot tell).
    "queries.attention.needs_attention",
    "queries.targets.stored_targets",
    "queries.deliveries.read_deliveries",
}
EXEMPT = {
    # Where a Scope comes from: reads the users list for the signed-in address.
    "queries.access.viewer_for_email": "source of the scope",
    # Reads only the imports table (sources), never clinic data.
    "queries.access.is_demo_database": "no clinic data",
    # Writes an event; reading is `read_log`, checked here.
    "queries.audit.record": "write only",
    "queries.audit.append": "write only",
    "queries.targets.replace_targets": "write only (admins, through the importer or Targets page)",
    "queries.db.upgrade": "schema migration",
    "queries.db.at_head": "reads only the schema's migration id",
    "queries.roles.grant_app_role": "database grants, no clinic data",
    # The warm-up's own reads: which scopes exist and whether an import happened, no figures.
    "queries.access.listed_scopes": "the users list, for the warm-up",
    "queries.access.latest_import": "the imports table's newest id",
    # The weekly e-mail's sender: its own bookkeeping of one recipient's week, shown to nobody;
    # reading the deliveries is `read_deliveries`, checked here.
    "queries.deliveries.claim": "write only",
    "queries.deliveries.mark_sent": "write only",
    "queries.deliveries.mark_failed": "write only",
    "queries.deliveries.delivery_status": "sender internal, one recipient's own row",
    # Importer-internal: recomputes derived columns, returns nothing to a viewer.
    "queries.derived.refresh_after_import": "importer internal, returns nothing",
    "queries.derived.refresh_all_conversions": "importer internal, returns nothing",
    "queries.derived.refresh_changed": "importer internal, returns nothing",
    "queries.daily_stats.rebuild_all_stats": "importer internal, returns nothing",
    "queries.daily_stats.rebuild_stats": "importer internal, returns nothing",
    "queries.daily_stats.recount_consultation_stats": "importer internal, returns nothing",
    "queries.daily_stats.dialect_insert": "builds a statement, reads nothing",
    "queries.table_keys.add_keys": "importer internal, returns nothing",
    "queries.table_keys.drop_keys": "importer internal, returns constraint definitions",
    "queries.temporary_tables.create_empty": "creates this connection's empty work tables",
}


def _query_functions() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(queries.__path__):
        module = importlib.import_module(f"queries.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters and parameters[0] in ("conn", "connection", "engine"):
                found.add(f"{module.__name__}.{name}")
    return found


def _function(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _same(left, right) -> bool:
    if isinstance(left, pd.DataFrame):
        return left.equals(right)
    if isinstance(left, np.ndarray):
        return np.array_equal(left, right)
    if isinstance(left, tuple):
        return len(left) == len(right) and all(map(_same, left, right))
    return left == right


def test_every_query_function_is_registered():
    registered = set(WITH_LOCATIONS) | SCOPE_ONLY | set(EXEMPT)
    missing = _query_functions() - registered
    assert not missing, f"give these a scope test in {__name__}: {sorted(missing)}"


def _keyword_only(function, name: str) -> bool:
    """Whether `function` takes `name` by keyword only: a keyword-only parameter, or a key of
    the TypedDict its `**arguments: Unpack[...]` declares (keywords by construction)."""
    parameters = inspect.signature(function).parameters
    if name in parameters:
        return parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    for parameter in parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            (arguments,) = typing.get_args(parameter.annotation)
            return name in arguments.__required_keys__
    return False


def test_every_registered_function_takes_a_keyword_only_scope():
    for path in set(WITH_LOCATIONS) | SCOPE_ONLY:
        assert _keyword_only(_function(path), "scope"), path


@pytest.fixture
def two_locations(engine):
    """The two-weeks fixture: rockville and arlington, both with activity."""
    import_files(
        engine, [p for p in TWO_WEEKS.glob("*.csv") if p.stem != "expected-weekly-metrics"]
    )
    return engine


def _scope_failures(conn, path: str) -> list[str]:
    function, extra = _function(path), WITH_LOCATIONS[path]

    def call(scope, locations):
        return function(conn, scope=scope, locations=locations, **extra)

    own = call(EVERYTHING, ["arlington"])
    nothing = call(EVERYTHING, [])
    checks = {
        # The fixture makes the scope matter: rockville changes the answer.
        "rockville changes the answer": not _same(
            own, call(EVERYTHING, ["arlington", "rockville"])
        ),
        # A manager of arlington gets arlington's answer (ALL pooled over arlington alone),
        # whether they ask for both locations, for everything, or for rockville alone.
        "manager asking for both": _same(call(MANAGER, ["arlington", "rockville"]), own),
        "manager asking for all": _same(call(MANAGER, None), own),
        "manager asking for another": _same(call(MANAGER, ["rockville"]), nothing),
        # No locations allowed: the answer for no locations at all.
        "no access, all asked": _same(call(NO_LOCATIONS, None), nothing),
        "no access, both asked": _same(call(NO_LOCATIONS, ["arlington", "rockville"]), nothing),
    }
    return [f"{path}: {name}" for name, ok in checks.items() if not ok]


def test_scope_narrows_whatever_locations_are_asked_for(two_locations):
    # One import, every function: a loop keeps the suite fast; the message names each failure.
    with two_locations.connect() as conn:
        failures = [f for path in sorted(WITH_LOCATIONS) for f in _scope_failures(conn, path)]
    assert not failures, "\n".join(failures)


def test_visible_locations_are_those_the_scope_allows(two_locations):
    from queries.catalog import visible_locations

    with two_locations.connect() as conn:
        assert visible_locations(conn, scope=MANAGER)["location_id"].tolist() == ["arlington"]
        assert visible_locations(conn, scope=NO_LOCATIONS).empty
        assert visible_locations(conn, scope=EVERYTHING)["location_id"].tolist() == [
            "arlington",
            "rockville",
        ]


def test_latest_activity_date_looks_only_at_the_scope(two_locations):
    from queries.catalog import latest_activity_date

    with two_locations.connect() as conn:
        # arlington: last completed booking b5 on 2026-03-12; rockville: b4 on 2026-03-13.
        assert latest_activity_date(conn, scope=MANAGER) == date(2026, 3, 12)
        assert latest_activity_date(conn, scope=EVERYTHING) == date(2026, 3, 13)
        assert latest_activity_date(conn, scope=NO_LOCATIONS) is None


def test_audit_log_is_readable_only_with_an_unrestricted_scope(engine):
    from queries.audit import read_log

    with engine.connect() as conn:
        assert read_log(conn, scope=EVERYTHING).empty
        for scope in (MANAGER, NO_LOCATIONS):
            with pytest.raises(PermissionError):
                read_log(conn, scope=scope)


def test_email_deliveries_are_readable_only_with_an_unrestricted_scope(engine):
    from queries.deliveries import read_deliveries

    with engine.connect() as conn:
        assert read_deliveries(conn, scope=EVERYTHING, since=date(2026, 1, 5)).empty
        for scope in (MANAGER, NO_LOCATIONS):
            with pytest.raises(PermissionError):
                read_deliveries(conn, scope=scope, since=date(2026, 1, 5))
