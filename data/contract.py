"""The data contract (docs/data-contract.md) as a table of column specs, checked vectorized.

`validate` reads one file's rows (a DataFrame as read from CSV/XLSX, or typed frames from the
generator) and returns the typed rows plus one `RowError` per bad cell. Timestamps come out as UTC
instants (naive) with the location's wall-clock time beside them in `<column>_local`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

from data import contract_values as values
from data.contract_values import Read
from queries.metric_definitions import column as metric_column
from queries.targets import DEFAULT_WEEKS, EVERY_LOCATION_ROW, TARGET_METRICS
from queries.vocabulary import BOOKING_STATUSES, CONSULT_STATUSES, WEEKDAYS

# The order files are applied in: a location before its rows; bookings before consultations,
# so that consultations loaded into an empty table get their conversions as they are written.
KINDS = ("locations", "capacity", "closures", "users", "targets", "bookings", "consultations")
"""Every file kind, in the order an import applies them (each may refer to the ones before)."""

DEFAULT_TIMEZONE = "America/New_York"
PATIENT_IDENTIFIERS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "dob",
        "date_of_birth",
        "birth_date",
        "address",
        "ssn",
        "mrn",
    }
)


# Text from a file shown back in an error is cut here: a hostile value may be megabytes long.
ECHO_CHARS = 80


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` as one printable line of at most `limit` characters, then "…" if it was longer."""
    shown = "".join(ch if ch.isprintable() else " " for ch in text[: limit + 1])
    return shown[:limit] + "…" if len(text) > limit else shown


@dataclass(frozen=True)
class RowError:
    """One bad cell, or a whole-file problem (no column; line 1 = the header, 0 = no line).

    The value and column as read are kept cut to `ECHO_CHARS`, so no report repeats a huge cell.
    """

    file: str
    line: int
    column: str
    value: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", echo(self.column))
        object.__setattr__(self, "value", echo(self.value))
        object.__setattr__(self, "reason", echo(self.reason, 4 * ECHO_CHARS))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        if not self.column:
            return f"{where}: {self.reason}"
        return f"{where}: column '{self.column}' = '{self.value}': {self.reason}"


# --- value types: each reads a raw column into a list of `Read`s (the last one holds the values)


@dataclass(frozen=True)
class Text:
    max_length: int | None = None

    def read(self, column: pd.Series) -> list[Read]:
        text = values.as_text(column)
        if self.max_length is None:
            return [values.read_text(text)]
        too_long = (text.str.len() > self.max_length).fillna(False).to_numpy(dtype=bool)
        return [Read(text, too_long, f"longer than {self.max_length} characters")]


@dataclass(frozen=True)
class Pattern:
    pattern: str
    reason: str
    case: str | None = None  # "upper" or "lower": how the value is stored

    def read(self, column: pd.Series) -> list[Read]:
        read = values.read_pattern(values.as_text(column), self.pattern, self.reason)
        if self.case is None:
            return [read]
        cased = read.values.str.upper() if self.case == "upper" else read.values.str.lower()
        return [Read(cased, read.bad, read.reason)]


@dataclass(frozen=True)
class Code:
    allowed: tuple[str, ...]

    def read(self, column: pd.Series) -> list[Read]:
        return [values.read_code(values.as_text(column), self.allowed)]


@dataclass(frozen=True)
class Integer:
    low: int
    high: int

    def read(self, column: pd.Series) -> list[Read]:
        if is_numeric_dtype(column.dtype) and column.dtype != bool:
            numbers = pd.to_numeric(column)
            whole = (numbers.isna() | (numbers % 1 == 0)).to_numpy(dtype=bool)
            numbers = numbers.where(whole).astype("Int64")
            in_range = (numbers.isna() | numbers.between(self.low, self.high)).to_numpy(dtype=bool)
            return [
                Read(numbers, ~whole, "not an integer"),
                Read(numbers, ~in_range, f"must be between {self.low} and {self.high}"),
            ]
        return values.read_integer(values.as_text(column), self.low, self.high)


@dataclass(frozen=True)
class Number:
    low: float
    high: float

    def read(self, column: pd.Series) -> list[Read]:
        return values.read_number(values.as_text(column), self.low, self.high)


@dataclass(frozen=True)
class Date:
    def read(self, column: pd.Series) -> list[Read]:
        if is_datetime64_any_dtype(column.dtype) and getattr(column.dtype, "tz", None) is None:
            midnight = (column.isna() | (column == column.dt.normalize())).to_numpy(dtype=bool)
            return [Read(column.where(midnight), ~midnight, "not a date (YYYY-MM-DD)")]
        return [values.read_date(values.as_text(column, "date"))]


@dataclass(frozen=True)
class TimeOfDay:
    def read(self, column: pd.Series) -> list[Read]:
        return [values.read_time_of_day(values.as_text(column, "time"))]


@dataclass(frozen=True)
class TimeZone:
    def read(self, column: pd.Series) -> list[Read]:
        return [values.read_timezone(values.as_text(column))]


@dataclass(frozen=True)
class Words:
    def read(self, column: pd.Series) -> list[Read]:
        return [values.read_words(values.as_text(column))]


@dataclass(frozen=True)
class Timestamp:
    """Read in two steps by `validate`: the wall clock needs the row's location time zone."""


SLUG = Pattern(r"[a-z0-9-]{1,40}", "not a slug (1-40 of a-z, 0-9, -)")
EMAIL = Pattern(r"[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+", "not an e-mail address", "lower")
REF = Text(max_length=100)


@dataclass(frozen=True)
class Column:
    name: str
    type: Text | Pattern | Code | Integer | Number | Date | TimeOfDay | TimeZone | Words | Timestamp
    required: bool = False
    default: object = None


@dataclass
class Failure:
    """Rows (mask) failing one rule on one column; `reason` is one text or one per row."""

    mask: np.ndarray
    column: str
    reason: str | pd.Series


Rule = Callable[[pd.DataFrame], list[Failure]]


@dataclass(frozen=True)
class FileSpec:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique within a file; the stored row it names is replaced
    rules: tuple[Rule, ...] = ()
    refuses_identifiers: bool = False

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _in_order(earlier: str, later: str, *, strict: bool, blame: str, reason: str) -> Rule:
    """Rows where `later` precedes `earlier` (or equals it, if `strict`) are reported on `blame`."""

    def rule(rows: pd.DataFrame) -> list[Failure]:
        wrong = rows[later] <= rows[earlier] if strict else rows[later] < rows[earlier]
        return [Failure(wrong.fillna(False).to_numpy(dtype=bool), blame, reason)]

    return rule


def _no_overlapping_ranges(rows: pd.DataFrame) -> list[Failure]:
    """Capacity rows of one location and weekday must not share a date."""
    reasons = pd.Series("", index=rows.index, dtype="str")
    complete = rows[["location_id", "weekday", "effective_from"]].notna().all(axis=1)
    ordered = rows[complete].sort_values(["location_id", "weekday", "effective_from", "_line"])
    ends = ordered["effective_to"].astype("datetime64[us]").fillna(pd.Timestamp("9999-12-31"))
    for _, group in ordered.groupby(["location_id", "weekday"], sort=False):
        latest_end, latest_line = None, None
        for index, row in group.iterrows():
            if latest_end is not None and row["effective_from"] <= latest_end:
                reasons[index] = (
                    f"date range overlaps line {latest_line} (same location and weekday)"
                )
            if latest_end is None or ends[index] > latest_end:
                latest_end, latest_line = ends[index], row["_line"]
    return [Failure((reasons != "").to_numpy(dtype=bool), "effective_from", reasons)]


def _target_has_a_bound(rows: pd.DataFrame) -> list[Failure]:
    given = rows.get("_bad_min", False) | rows.get("_bad_max", False)
    neither = (rows["min"].isna() & rows["max"].isna() & ~given).to_numpy(dtype=bool)
    return [Failure(neither, "min", "give min, max or both")]


def _percent_targets_at_most_100(rows: pd.DataFrame) -> list[Failure]:
    percent = rows["metric"].isin([m for m in TARGET_METRICS if metric_column(m).unit == "%"])
    return [
        Failure((percent & (rows[name] > 100)).fillna(False).to_numpy(dtype=bool), name, reason)
        for name, reason in (("min", "a percentage above 100"), ("max", "a percentage above 100"))
    ]


def _managers_have_locations(rows: pd.DataFrame) -> list[Failure]:
    manager = rows["role"] == "manager"
    none = (manager & (rows["locations"].str.len() == 0)).fillna(False).to_numpy(dtype=bool)
    return [Failure(none, "locations", "a manager needs at least one location")]


SPECS: dict[str, FileSpec] = {
    spec.kind: spec
    for spec in (
        FileSpec(
            "locations",
            (
                Column("location_id", SLUG, required=True),
                Column("name", Text(), required=True),
                Column("city", Text(), required=True),
                Column("state", Pattern(r"[A-Za-z]{2}", "not two letters", "upper"), required=True),
                Column("timezone", TimeZone(), default=DEFAULT_TIMEZONE),
                Column("opened_on", Date()),
                Column("closed_on", Date()),
            ),
            key=("location_id",),
            rules=(
                _in_order(
                    "opened_on",
                    "closed_on",
                    strict=False,
                    blame="closed_on",
                    reason="before opened_on",
                ),
            ),
        ),
        FileSpec(
            "capacity",
            (
                Column("location_id", SLUG, required=True),
                Column("weekday", Code(WEEKDAYS), required=True),
                Column("open_time", TimeOfDay(), required=True),
                Column("close_time", TimeOfDay(), required=True),
                Column("rooms", Integer(0, 100), required=True),
                Column("effective_from", Date(), required=True),
                Column("effective_to", Date()),
            ),
            rules=(
                _in_order(
                    "open_time",
                    "close_time",
                    strict=True,
                    blame="close_time",
                    reason="not later than open_time",
                ),
                _in_order(
                    "effective_from",
                    "effective_to",
                    strict=False,
                    blame="effective_to",
                    reason="before effective_from",
                ),
                _no_overlapping_ranges,
            ),
        ),
        FileSpec(
            "closures",
            (
                Column("location_id", SLUG, required=True),
                Column("date", Date(), required=True),
                Column("reason", Text()),
            ),
            key=("location_id", "date"),
        ),
        FileSpec(
            "users",
            (
                Column("email", EMAIL, required=True),
                Column("role", Code(("admin", "manager")), required=True),
                Column("locations", Words()),
                Column("weekly_email", Code(("yes", "no")), default="yes"),
            ),
            key=("email",),
            rules=(_managers_have_locations,),
        ),
        FileSpec(
            "targets",
            (
                Column(
                    "location_id",
                    Pattern(r"\*|[a-z0-9-]{1,40}", "not a slug (1-40 of a-z, 0-9, -) or *"),
                    required=True,
                ),
                Column("metric", Code(TARGET_METRICS), required=True),
                Column("min", Number(0, 100_000)),
                Column("max", Number(0, 100_000)),
                Column("weeks", Integer(1, 52), default=DEFAULT_WEEKS),
            ),
            key=("location_id", "metric"),
            rules=(
                _target_has_a_bound,
                _in_order("min", "max", strict=False, blame="max", reason="below min"),
                _percent_targets_at_most_100,
            ),
        ),
        FileSpec(
            "consultations",
            (
                Column("request_id", REF, required=True),
                Column("location_id", SLUG, required=True),
                Column("received_at", Timestamp(), required=True),
                Column("channel", Code(("web", "phone", "referral", "walk_in", "other")), True),
                Column(
                    "indication",
                    Code(
                        (
                            "depression",
                            "anxiety",
                            "ptsd",
                            "ocd",
                            "bipolar",
                            "pain",
                            "other",
                            "unknown",
                        )
                    ),
                    default="unknown",
                ),
                Column("first_contact_at", Timestamp()),
                Column("consult_at", Timestamp()),
                Column(
                    "consult_status",
                    Code(CONSULT_STATUSES),
                    required=True,
                ),
                Column("patient_ref", REF),
            ),
            key=("request_id",),
            rules=(
                _in_order(
                    "received_at",
                    "first_contact_at",
                    strict=False,
                    blame="first_contact_at",
                    reason="before received_at",
                ),
            ),
            refuses_identifiers=True,
        ),
        FileSpec(
            "bookings",
            (
                Column("booking_id", REF, required=True),
                Column("location_id", SLUG, required=True),
                Column("patient_ref", REF, required=True),
                Column("kind", Code(("initial", "booster", "other")), required=True),
                Column("starts_at", Timestamp(), required=True),
                Column("duration_minutes", Integer(1, 720), required=True),
                Column(
                    "status",
                    Code(BOOKING_STATUSES),
                    required=True,
                ),
                Column("booked_at", Timestamp()),
            ),
            key=("booking_id",),
            rules=(
                _in_order(
                    "booked_at",
                    "starts_at",
                    strict=False,
                    blame="booked_at",
                    reason="after starts_at",
                ),
            ),
            refuses_identifiers=True,
        ),
    )
}


@dataclass
class Checked:
    """A validated file: typed rows in contract column names, and every error found."""

    kind: str
    rows: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)


def validate(
    kind: str,
    frame: pd.DataFrame,
    *,
    source: str,
    lines: np.ndarray,
    locations: Mapping[str, str],
) -> Checked:
    """Check one file against the contract.

    `lines` holds each row's line number for the report; `locations` maps every location id that
    exists (stored or applied earlier in this import) to its time zone.
    """
    spec = SPECS[kind]
    found = headers(frame)
    header_errors = _header_errors(spec, found, source)
    if header_errors:
        return Checked(kind, pd.DataFrame(columns=spec.names), header_errors)

    rows = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    rows["_line"] = lines
    raw = {c.name: frame[found[c.name]] if c.name in found else None for c in spec.columns}
    failures: list[Failure] = []
    clocks: dict[str, values.WallClock] = {}
    for column in spec.columns:
        source_column = raw[column.name]
        if source_column is None:
            source_column = pd.Series(pd.NA, index=rows.index, dtype="str")
        source_column = source_column.reset_index(drop=True)
        if isinstance(column.type, Timestamp):
            clock = values.read_timestamp(source_column)
            clocks[column.name] = clock
            failures.append(Failure(clock.bad, column.name, values.TIMESTAMP_REASON))
            present = (clock.wall.notna() | clock.utc.notna()).to_numpy() | clock.bad
        else:
            reads = column.type.read(source_column)
            failures += [Failure(r.bad, column.name, r.reason) for r in reads]
            rows[column.name] = reads[-1].values
            present = _present(reads[-1].values) | np.logical_or.reduce([r.bad for r in reads])
        if column.required:
            failures.append(Failure(~present, column.name, "required value is empty"))
        if column.default is not None:
            rows[column.name] = rows[column.name].fillna(column.default)

    failed = _failed_by_column(failures, len(rows))
    for name, mask in failed.items():
        rows["_bad_" + name] = mask  # for rules that must not add to a value's own failure
    if kind == "targets":
        # "*" is every location: only a named one must exist.
        known = {**locations, EVERY_LOCATION_ROW: ""}
        failures += _location_failures(rows, failed, known)
    elif kind not in ("locations", "users"):
        failures += _location_failures(rows, failed, locations)
    failures += _place_timestamps(rows, clocks, locations)
    failures += _key_failures(spec, rows)
    for rule in spec.rules:
        failures += rule(rows)
    if kind == "capacity":
        rows["weekday"] = rows["weekday"].map({day: n for n, day in enumerate(WEEKDAYS)})
    if kind == "users":
        failures += _unknown_user_locations(rows, locations)

    errors = _row_errors(spec, failures, rows, raw, source)
    return Checked(kind, rows.drop(columns=[c for c in rows if c.startswith("_")]), errors)


def header_name(label: object) -> str:
    """The one reading of a header cell: case, surrounding blanks and a byte-order mark ignored."""
    return str(label).strip().lstrip("\ufeff").strip().lower()


def headers(frame: pd.DataFrame) -> dict[str, object]:
    """Normalised header name -> the frame's column label (first one wins on a duplicate)."""
    found: dict[str, object] = {}
    for label in frame.columns:
        found.setdefault(header_name(label), label)
    return found


def _header_errors(spec: FileSpec, headers: Mapping[str, object], source: str) -> list[RowError]:
    errors = []
    if spec.refuses_identifiers:
        for name in sorted(PATIENT_IDENTIFIERS & headers.keys()):
            errors.append(
                RowError(
                    source,
                    1,
                    str(headers[name]),
                    "",
                    "looks like a direct patient identifier; patient details must not be "
                    "imported (use the pseudonymous patient_ref) - the whole file is refused",
                )
            )
    for column in spec.columns:
        if column.required and column.name not in headers:
            errors.append(RowError(source, 1, column.name, "", "required column is missing"))
    return errors


def _present(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy(dtype=bool)


def _failed_by_column(failures: list[Failure], n: int) -> dict[str, np.ndarray]:
    failed: dict[str, np.ndarray] = {}
    for failure in failures:
        failed[failure.column] = failed.get(failure.column, np.zeros(n, dtype=bool)) | failure.mask
    return failed


def _location_failures(
    rows: pd.DataFrame, failed: Mapping[str, np.ndarray], locations: Mapping[str, str]
) -> list[Failure]:
    ids = rows["location_id"]
    unknown = (ids.notna() & ~ids.isin(locations.keys())).to_numpy(dtype=bool)
    unknown = unknown & ~failed.get("location_id", np.zeros(len(rows), dtype=bool))
    return [Failure(unknown, "location_id", "unknown location (not in locations)")]


def _place_timestamps(
    rows: pd.DataFrame, clocks: Mapping[str, values.WallClock], locations: Mapping[str, str]
) -> list[Failure]:
    """Store each timestamp as its UTC instant, with the location's local time in `<name>_local`."""
    zones = rows["location_id"].map(dict(locations)) if clocks else None
    failures = []
    for name, clock in clocks.items():
        utc, gap = values.to_utc(clock, zones)
        reason = "this local time does not exist at the location (skipped by the clock change)"
        failures.append(Failure(gap, name, reason))
        rows[name] = utc
        rows[name + "_local"] = values.local_wall(utc, zones)
    return failures


def _key_failures(spec: FileSpec, rows: pd.DataFrame) -> list[Failure]:
    if not spec.key:
        return []
    keyed = rows[list(spec.key)]
    complete = keyed.notna().all(axis=1)
    repeated = (keyed.duplicated(keep="first") & complete).to_numpy(dtype=bool)
    if not repeated.any():
        return []
    first_line = rows[complete].groupby(list(spec.key), sort=False)["_line"].transform("first")
    reasons = (
        ("duplicate " + "+".join(spec.key) + " (first on line ")
        + first_line.reindex(rows.index).astype("Int64").astype("str")
        + ")"
    )
    return [Failure(repeated, spec.key[-1], reasons)]


def _unknown_user_locations(rows: pd.DataFrame, locations: Mapping[str, str]) -> list[Failure]:
    managers = rows["role"] == "manager"
    unknown = rows["locations"].map(lambda ids: [i for i in ids if i not in locations])
    mask = (managers & (unknown.str.len() > 0)).fillna(False).to_numpy(dtype=bool)
    reasons = "unknown location(s): " + unknown.str.join(" ")
    return [Failure(mask, "locations", reasons)]


def _row_errors(
    spec: FileSpec,
    failures: list[Failure],
    rows: pd.DataFrame,
    raw: Mapping[str, pd.Series | None],
    source: str,
) -> list[RowError]:
    order = {name: n for n, name in enumerate(spec.names)}
    found = []
    for failure in failures:
        positions = np.flatnonzero(failure.mask)
        if not len(positions):
            continue
        column = raw.get(failure.column)
        for position in positions:
            value = "" if column is None else _display(column.iloc[position])
            reason = (
                failure.reason
                if isinstance(failure.reason, str)
                else str(failure.reason.iloc[position])
            )
            line = int(rows["_line"].iloc[position])
            found.append(
                (line, order[failure.column], RowError(source, line, failure.column, value, reason))
            )
    found.sort(key=lambda item: (item[0], item[1]))
    return [error for _, _, error in found]


def _display(value: object) -> str:
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    return str(value)
