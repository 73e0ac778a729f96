"""Targets per location and weekly metric: the defaults, the stored rows, and which one applies.

A location's own row wins over the `*` row, and the `*` row over the default (docs/metrics.md,
"Targets"). Stored targets change only through `replace_targets`, which writes the audit entry
in the same transaction, whether a file or the Targets page sent them.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from queries.audit import TARGETS, append
from queries.metric_definitions import WEEKLY_COLUMNS, column
from queries.page_filters import location_condition
from queries.schema import locations as locations_table
from queries.schema import targets
from queries.scope import Scope
from queries.vocabulary import ALL

# The `location_id` of a target row that holds for every location without a row of its own.
EVERY_LOCATION_ROW = "*"
DEFAULT_WEEKS = 2
# Any count or rate of the weekly report may have a target.
TARGET_METRICS: tuple[str, ...] = tuple(c.name for c in WEEKLY_COLUMNS if c.kind != "date")[1:]
TARGET_COLUMNS = ["location_id", "metric", "min", "max", "weeks"]
EFFECTIVE_COLUMNS = [*TARGET_COLUMNS, "source"]


@dataclass(frozen=True)
class Target:
    """Inside when `min` ≤ value ≤ `max` (a missing bound does not limit); `weeks` consecutive
    complete weeks outside make a location need attention."""

    min: float | None = None
    max: float | None = None
    weeks: int = DEFAULT_WEEKS

    def outside(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        )

    def describe(self, unit: str) -> str:
        """'at most 8%', 'at least 80%', '70-90%', '60 min or less' as a person reads it."""
        if self.min is not None and self.max is not None:
            return f"{_number(self.min)}-{_with_unit(self.max, unit)}"
        if self.max is not None:
            return f"at most {_with_unit(self.max, unit)}"
        return f"at least {_with_unit(self.min, unit)}"


def _number(value: float) -> str:
    return f"{value:g}"


def _with_unit(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:g}%"
    return f"{value:g} {unit}".rstrip()


# Used where no stored row applies; each is documented with its source in docs/metrics.md.
DEFAULTS: dict[str, Target] = {
    "no_show_rate_pct": Target(max=8.0),
    "utilization_pct": Target(min=70.0, max=90.0),
    "median_response_minutes": Target(max=60.0),
    "contacted_within_1h_pct": Target(min=80.0),
}


def describe(target: Target, metric: str) -> str:
    """A target in words, with the metric's unit."""
    return target.describe(column(metric).unit)


def stored_targets(conn: Connection, *, scope: Scope) -> pd.DataFrame:
    """Every stored target row, `*` first: columns `TARGET_COLUMNS`. Admins only: the rows of
    every location are edited together."""
    if not scope.every_location:
        raise PermissionError("only an admin may read every location's targets")
    return _stored(conn, None)


def _stored(conn: Connection, location_ids: Sequence[str] | None) -> pd.DataFrame:
    t = targets.c
    stmt = select(t.location_id, t.metric, t.min_value, t.max_value, t.weeks)
    if location_ids is not None:
        stmt = stmt.where(t.location_id.in_([EVERY_LOCATION_ROW, *location_ids]))
    rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    order = {name: n for n, name in enumerate(TARGET_METRICS)}
    frame["_every"] = frame["location_id"] != EVERY_LOCATION_ROW
    frame["_metric"] = frame["metric"].map(order)
    frame = frame.sort_values(["_every", "location_id", "_metric"]).drop(
        columns=["_every", "_metric"]
    )
    return frame.astype({"min": "float64", "max": "float64", "weeks": "int64"}).reset_index(
        drop=True
    )


def effective_targets(
    conn: Connection, *, scope: Scope, locations: Sequence[str] | None
) -> pd.DataFrame:
    """The target that applies to each selected location and metric that has one: columns
    `EFFECTIVE_COLUMNS`, `source` being "location", "*" or "default"."""
    rows = [
        (location_id, metric, target, source)
        for location_id, by_metric in resolved_targets(
            conn, scope=scope, locations=locations
        ).items()
        for metric, (target, source) in by_metric.items()
    ]
    # Each column in its final dtype: a frame of objects converted with `astype` cost more than
    # the read.
    return pd.DataFrame(
        {
            "location_id": pd.Series([row[0] for row in rows], dtype=object),
            "metric": pd.Series([row[1] for row in rows], dtype=object),
            "min": np.array([row[2].min for row in rows], dtype="float64"),
            "max": np.array([row[2].max for row in rows], dtype="float64"),
            "weeks": np.array([row[2].weeks for row in rows], dtype="int64"),
            "source": pd.Series([row[3] for row in rows], dtype=object),
        },
        columns=EFFECTIVE_COLUMNS,
    )


def resolved_targets(
    conn: Connection, *, scope: Scope, locations: Sequence[str] | None
) -> dict[str, dict[str, tuple[Target, str]]]:
    """Per selected location (stored ones the scope allows; `None` = all), per metric: the
    target that applies and where it comes from ("location", "*" or "default")."""
    stmt = select(locations_table.c.location_id).where(
        location_condition(locations_table.c.location_id, scope=scope, locations=locations)
    )
    selected = sorted(conn.scalars(stmt))
    t = targets.c
    # Plain rows, no frame: every new selection resolves its targets, and a frame's
    # construction, sorting and conversions cost more than the rows.
    rows = conn.execute(
        select(t.location_id, t.metric, t.min_value, t.max_value, t.weeks).where(
            t.location_id.in_([EVERY_LOCATION_ROW, *selected])
        )
    )
    stored = {
        (location_id, metric): Target(min=_bound(low), max=_bound(high), weeks=int(weeks))
        for location_id, metric, low, high, weeks in rows
    }
    return resolve(stored, selected)


def resolved_from(effective: pd.DataFrame) -> dict[str, dict[str, tuple[Target, str]]]:
    """`resolved_targets` again from the `effective_targets` frame of the same selection (a page
    has it cached), in its order: per location, per metric, the target and its source."""
    resolved: dict[str, dict[str, tuple[Target, str]]] = {}
    for location_id, metric, low, high, weeks, source in zip(
        *(effective[name] for name in EFFECTIVE_COLUMNS), strict=True
    ):
        target = Target(min=_bound(low), max=_bound(high), weeks=int(weeks))
        resolved.setdefault(location_id, {})[metric] = (target, source)
    return resolved


def resolve(
    stored: Mapping[tuple[str, str], Target], location_ids: Iterable[str]
) -> dict[str, dict[str, tuple[Target, str]]]:
    """Per location, per metric: the target that applies and where it comes from. `stored`
    holds the stored rows by (location or `*`, metric)."""
    resolved: dict[str, dict[str, tuple[Target, str]]] = {}
    for location_id in location_ids:
        by_metric = {}
        for metric in TARGET_METRICS:
            if (location_id, metric) in stored:
                by_metric[metric] = (stored[(location_id, metric)], "location")
            elif (EVERY_LOCATION_ROW, metric) in stored:
                by_metric[metric] = (stored[(EVERY_LOCATION_ROW, metric)], EVERY_LOCATION_ROW)
            elif metric in DEFAULTS:
                by_metric[metric] = (DEFAULTS[metric], "default")
        resolved[location_id] = by_metric
    return resolved


def _bound(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def common_target(effective: pd.DataFrame, metric: str) -> Target | None:
    """The target of `metric` when every location of `effective` has the same one, else None
    (a pooled figure has no one target when its locations' targets differ)."""
    return common_targets(effective).get(metric)


def common_targets(effective: pd.DataFrame) -> dict[str, Target | None]:
    """`common_target` of every metric `effective` has a row for, in one pass over its rows: a
    page works out each target once, not by filtering the frame for every card and chart."""
    locations = effective["location_id"].nunique()
    found: dict[str, set[Target]] = {}
    rows: dict[str, int] = {}
    for metric, low, high, weeks in zip(
        effective["metric"], effective["min"], effective["max"], effective["weeks"], strict=True
    ):
        target = Target(min=_bound(low), max=_bound(high), weeks=int(weeks))
        found.setdefault(metric, set()).add(target)
        rows[metric] = rows.get(metric, 0) + 1
    shared: dict[str, Target | None] = {}
    for metric, targets_of_metric in found.items():
        alike = len(targets_of_metric) == 1 and rows[metric] == locations
        shared[metric] = next(iter(targets_of_metric)) if alike else None
    return shared


def outside_targets(table: pd.DataFrame, effective: pd.DataFrame) -> pd.DataFrame:
    """Which cells of a `period_metrics`-shaped table are outside their location's target (the
    pooled `ALL` row against the target its locations share): True where outside."""
    flags = pd.DataFrame(False, index=table.index, columns=table.columns)
    flags["location_id"] = table["location_id"]
    by_location = {
        (row.location_id, row.metric): Target(min=_bound(row.min), max=_bound(row.max))
        for row in effective.itertuples()
    }
    shared = common_targets(effective)
    for index, row in table.iterrows():
        for metric in table.columns:
            if metric == "location_id" or pd.isna(row[metric]):
                continue
            if row["location_id"] == ALL:
                target = shared.get(metric)
            else:
                target = by_location.get((row["location_id"], metric))
            if target is not None and target.outside(float(row[metric])):
                flags.at[index, metric] = True
    return flags


def replace_targets(conn: Connection, rows: pd.DataFrame, *, email: str | None, source: str) -> int:
    """Replace every stored target with `rows` (columns `TARGET_COLUMNS`, already checked by
    the contract) and append the audit entry saying who changed what; returns rows removed."""
    before = _stored(conn, None)
    removed = conn.execute(delete(targets)).rowcount
    records = [
        {
            "location_id": row.location_id,
            "metric": row.metric,
            "min_value": _bound(row.min),
            "max_value": _bound(row.max),
            "weeks": int(row.weeks),
        }
        for row in rows.itertuples()
    ]
    if records:
        conn.execute(insert(targets), records)
    append(
        conn,
        email=email,
        action=TARGETS,
        detail={
            "source": source,
            "before": _as_lists(before),
            "after": _as_lists(_stored(conn, None)),
        },
    )
    return removed


def _as_lists(frame: pd.DataFrame) -> list[list]:
    return json.loads(frame.to_json(orient="values"))
