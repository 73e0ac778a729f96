"""A saved column mapping: how an export's rows become rows of a contract file.

A mapping names, for each contract field of one kind (bookings or consultations), where its value
comes from: a source column (optionally through a value map, match rules, a date format or a
condition), a fixed value for the whole file, minutes between two source columns, or a keyed hash
of a source column (`patient_ref`). `apply` turns source rows into contract rows; the contract's
own check then checks and stores them (`data.load.import_mapped`), so a mapped file passes exactly
the rules a contract file does.

Columns holding names, phone numbers, e-mails, addresses or birth dates are never read: a mapping
that sends one to a field is refused (`problems`).
"""

import re
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from data.contract import SPECS, Code, RowError, Timestamp, header_name, headers
from data.contract_values import as_text
from data.patient_ref import MissingKey, keyed_refs

KINDS = ("bookings", "consultations")
"""The file kinds an export can be mapped to."""
HASHED_FIELD = "patient_ref"
# More distinct values than this and a column is not a code: its value map would be a list of ids.
MAX_VALUES = 200

_PERSON_WORDS = frozenset(
    [
        "patient",
        "customer",
        "client",
        "caller",
        "first",
        "last",
        "full",
        "middle",
        "given",
        "family",
        "sur",
        "contact",
        "guardian",
        "member",
        "person",
        "maiden",
        "nick",
        "preferred",
        "legal",
    ]
)
_NOT_PERSON_WORDS = frozenset(
    [
        "location",
        "clinic",
        "practice",
        "office",
        "site",
        "provider",
        "clinician",
        "doctor",
        "staff",
        "service",
        "appointment",
        "appt",
        "type",
        "campaign",
        "source",
        "company",
        "tracking",
        "resource",
        "room",
        "visit",
        "procedure",
        "insurance",
        "plan",
        "referrer",
        "referral",
        "file",
        "user",
        "keyword",
        "medium",
    ]
)


def identifying(header: str) -> str | None:
    """What patient detail a column named `header` holds (a name, a phone number...), or None."""
    words = re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
    tokens = set(words.split("_"))
    joined = words.replace("_", "")
    if tokens & {"phone", "mobile", "cell", "telephone", "tel", "fax"} or "phone" in joined:
        return "a phone number"
    if tokens & {"email", "mail"} or "email" in joined:
        return "an e-mail address"
    if tokens & {"address", "street", "city", "zip", "zipcode", "postcode", "postal"}:
        return "an address"
    if "address" in joined:
        return "an address"
    if tokens & {"dob", "birthdate", "birthday", "born"} or "birth" in joined:
        return "a birth date"
    if tokens & {"ssn", "mrn"} or "socialsecurity" in joined:
        return "a direct identifier (SSN or MRN)"
    named = "name" in tokens or joined.endswith("name")
    if named and (tokens & _PERSON_WORDS or not tokens & _NOT_PERSON_WORDS):
        return "a name"
    return None


class MappingRefused(Exception):
    """A mapping that cannot be used, with every reason (one line each)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Match:
    """A rule: a source value containing `contains` (any case) gives `value`."""

    contains: str
    value: str


@dataclass(frozen=True)
class Condition:
    """Keep the field's value only on rows whose `column` holds one of `values` (any case)."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """Where one contract field's value comes from: exactly one of column, value, hash,
    minutes_between; `values` / `rules` + `otherwise`, `format` and `only_if` refine a column."""

    column: str | None = None
    value: str | None = None
    hash: str | None = None
    minutes_between: tuple[str, str] | None = None
    values: dict[str, str] = field(default_factory=dict)
    rules: tuple[Match, ...] = ()
    otherwise: str | None = None
    format: str | None = None
    only_if: Condition | None = None

    def columns(self) -> list[str]:
        """The source columns this field reads."""
        found = [c for c in (self.column, self.hash) if c is not None]
        found += list(self.minutes_between or ())
        if self.only_if is not None:
            found.append(self.only_if.column)
        return found

    def describe(self) -> str:
        """How errors name this field's source: the source column's own name."""
        if self.value is not None:
            return "(fixed value)"
        if self.minutes_between is not None:
            return " to ".join(self.minutes_between)
        return str(self.column if self.column is not None else self.hash)


@dataclass(frozen=True)
class ExportMapping:
    name: str
    kind: str
    headers: tuple[str, ...]  # the export's columns as written: recognised by this set
    fields: dict[str, Source]

    def dropped(self) -> list[str]:
        """The export's columns that identify a patient: never read, never stored."""
        return [h for h in self.headers if identifying(h)]

    @property
    def hashes(self) -> bool:
        return any(source.hash is not None for source in self.fields.values())


def problems(mapping: ExportMapping) -> list[str]:
    """Every reason the mapping cannot be used; empty if it can."""
    if mapping.kind not in KINDS:
        return [f"kind '{mapping.kind}' cannot be mapped; use one of {', '.join(KINDS)}"]
    spec = SPECS[mapping.kind]
    columns = {c.name: c for c in spec.columns}
    known = {header_name(h) for h in mapping.headers}
    found = []
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", mapping.name):
        found.append(f"mapping name '{mapping.name}': use 1-100 of A-Z, a-z, 0-9, _ . -")
    for name in mapping.fields:
        if name not in columns:
            found.append(f"'{name}' is not a field of {mapping.kind} ({', '.join(columns)})")
    for column in spec.columns:
        if column.required and column.name not in mapping.fields:
            found.append(
                f"required field '{column.name}' is not mapped: choose a source column, a fixed "
                "value or a rule for it"
            )
    for name, source in mapping.fields.items():
        if name in columns:
            found += _source_problems(name, source, columns[name], known)
    return found


def _source_problems(name: str, source: Source, column, known: set[str]) -> list[str]:
    ways = [source.column, source.value, source.hash, source.minutes_between]
    if sum(way is not None for way in ways) != 1:
        return [f"{name}: give exactly one of column, value, hash, minutes_between"]
    found = []
    for used in source.columns():
        detail = identifying(used)
        if detail:
            found.append(
                f"{name}: source column '{used}' holds {detail} of a patient, which is never "
                "stored; such columns are dropped by every mapping"
            )
        elif header_name(used) not in known:
            found.append(f"{name}: source column '{used}' is not among the export's headers")
    if name == HASHED_FIELD and source.value is None and source.hash is None:
        found.append(
            f'{name}: made only by `hash = "<patient id column>"` (a keyed hash), so the '
            "source's patient id is never stored"
        )
    if source.hash is not None and name != HASHED_FIELD:
        found.append(f"{name}: only {HASHED_FIELD} is made by a keyed hash")
    if source.minutes_between is not None and name != "duration_minutes":
        found.append(f"{name}: minutes_between gives a duration (duration_minutes) only")
    if (source.values or source.rules or source.otherwise) and source.column is None:
        found.append(f"{name}: values, rules and otherwise refine a source column")
    if source.values and source.rules:
        found.append(f"{name}: give values or rules, not both")
    if source.format is not None and (problem := _format_problem(source.format)):
        found.append(f"{name}: format '{source.format}' cannot be read: {problem}")
    if source.format is not None and not (
        isinstance(column.type, Timestamp) or source.minutes_between is not None
    ):
        found.append(f"{name}: format reads timestamps only")
    if column.required:
        for value, target in source.values.items():
            if target == "":
                found.append(f"{name}: source value '{value}' is not mapped to a value")
    if isinstance(column.type, Code):
        given = [source.value, source.otherwise, *source.values.values()]
        given += [rule.value for rule in source.rules]
        allowed = column.type.allowed
        for value in given:
            if value is not None and value != "" and value.lower() not in allowed:
                found.append(f"{name}: '{value}' is not one of {', '.join(allowed)}")
    return found


def _format_problem(form: str) -> str | None:
    """Why a date format is unusable (a bad % directive), or None."""
    try:
        pd.to_datetime(pd.Series(["2026-01-01"]), format=form, errors="coerce")
    except ValueError as problem:
        return str(problem)
    return None


def check(mapping: ExportMapping) -> ExportMapping:
    """The mapping itself, or `MappingRefused` with every problem."""
    found = problems(mapping)
    if found:
        raise MappingRefused(found)
    return mapping


@dataclass
class Mapped:
    """Source rows as contract rows (text, contract column names) and what could not be mapped."""

    rows: pd.DataFrame
    errors: list[RowError]


def apply(
    mapping: ExportMapping,
    frame: pd.DataFrame,
    lines: np.ndarray,
    *,
    source: str,
    key: bytes | None = None,
) -> Mapped:
    """Map one chunk of an export; `key` is the patient_ref key (needed if the mapping hashes).

    The mapping must have passed `check`. Errors name the source file, the row's line and the
    source column's own name.
    """
    labels = headers(frame)
    missing = sorted(
        {c for s in mapping.fields.values() for c in s.columns() if header_name(c) not in labels}
    )
    if missing:
        errors = [
            RowError(source, 1, c, "", "column is missing from the file (the mapping reads it)")
            for c in missing
        ]
        return Mapped(pd.DataFrame(), errors)

    def text(column: str) -> pd.Series:
        return as_text(frame[labels[header_name(column)]].reset_index(drop=True))

    lines = np.asarray(lines)
    rows = pd.DataFrame(index=range(len(frame)))
    errors: list[tuple[int, RowError]] = []
    for position, (name, way) in enumerate(_in_contract_order(mapping)):
        fail = partial(_fail, errors, position, source, lines)
        rows[name] = _field_values(name, way, text, fail, key, len(frame))
    errors.sort(key=lambda item: (item[1].line, item[0]))
    # A column read by two fields (a start and a duration) is reported once.
    return Mapped(rows, list(dict.fromkeys(error for _, error in errors)))


def _fail(
    errors: list, position: int, source: str, lines: np.ndarray, mask, column, shown, reason
) -> None:
    """One error per row in `mask`, on the source column `column` showing its value."""
    for row in np.flatnonzero(mask):
        value = "" if pd.isna(shown.iloc[row]) else str(shown.iloc[row])
        errors.append((position, RowError(source, int(lines[row]), column, value, reason)))


def _in_contract_order(mapping: ExportMapping) -> list[tuple[str, Source]]:
    order = SPECS[mapping.kind].names
    return sorted(mapping.fields.items(), key=lambda item: order.index(item[0]))


def _field_values(name, way: Source, text, fail, key: bytes | None, length: int) -> pd.Series:
    if way.value is not None:
        return pd.Series(way.value, index=range(length), dtype="str")
    if way.minutes_between is not None:
        start, end = way.minutes_between
        begins = _instants(text(start), way.format, start, fail)
        ends = _instants(text(end), way.format, end, fail)
        minutes = ((ends - begins).dt.total_seconds() / 60).round().astype("Int64")
        return minutes.astype("str").mask(minutes.isna())
    if way.hash is not None:
        if key is None:
            raise MissingKey("patient_ref is a keyed hash: apply the mapping with the key")
        ids = text(way.hash)
        return keyed_refs(ids, key).astype("str").mask(ids.isna())
    values = text(way.column)
    if way.format is not None:
        values = _reformatted(values, way.format, way.column, fail)
    if way.values:
        values = _mapped_values(values, way.values, name, way.column, fail)
    elif way.rules or way.otherwise is not None:
        values = _ruled_values(values, way, name, fail)
    if way.only_if is not None:
        held = text(way.only_if.column).str.casefold()
        wanted = [v.casefold() for v in way.only_if.values]
        values = values.where(held.isin(wanted).fillna(False).to_numpy(dtype=bool))
    return values


def _mapped_values(values: pd.Series, table: MappingType[str, str], name, column, fail):
    folded = {k.strip().casefold(): v for k, v in table.items()}
    keys = values.str.casefold()
    unmapped = (keys.notna() & ~keys.isin(folded.keys())).to_numpy(dtype=bool)
    fail(
        unmapped,
        column,
        values,
        f"not in the mapping's values for {name}: add this value to its value map",
    )
    return keys.map(folded).astype("str").mask(keys.isna() | unmapped)


def _ruled_values(values: pd.Series, way: Source, name: str, fail) -> pd.Series:
    result = pd.Series(pd.NA, index=values.index, dtype="str")
    folded = values.str.casefold()
    for rule in way.rules:
        hit = folded.str.contains(rule.contains.casefold(), regex=False).fillna(False)
        result = result.mask(hit & result.isna(), rule.value)
    if way.otherwise is not None:
        result = result.mask(values.notna() & result.isna(), way.otherwise)
    unmatched = (values.notna() & result.isna()).to_numpy(dtype=bool)
    fail(unmatched, way.column, values, f"matches no rule for {name} and there is no otherwise")
    return result


def _instants(values: pd.Series, form: str | None, column: str, fail) -> pd.Series:
    parsed = pd.to_datetime(values, format=form or "ISO8601", errors="coerce", utc=True)
    if form is not None:
        iso = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.fillna(iso)  # a spreadsheet's date cells come typed, written as ISO
    bad = (values.notna() & parsed.isna()).to_numpy(dtype=bool)
    fail(bad, column, values, _format_reason(form))
    return parsed


def _reformatted(values: pd.Series, form: str, column: str, fail) -> pd.Series:
    """Timestamps in `form` written the contract's way (wall clock, or UTC if `form` has %z)."""
    aware = "%z" in form
    parsed = pd.to_datetime(values, format=form, errors="coerce", utc=aware)
    written = parsed.dt.strftime("%Y-%m-%d %H:%M:%S" + ("+00:00" if aware else ""))
    written = written.fillna(values.where(values.str.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")))
    bad = (values.notna() & written.isna()).to_numpy(dtype=bool)
    fail(bad, column, values, _format_reason(form))
    return written.astype("str").mask(written.isna())


def _format_reason(form: str | None) -> str:
    return f"not a date and time in the format {form or 'YYYY-MM-DD HH:MM'}"


def contract_errors(
    errors: Sequence[RowError], mapping: ExportMapping, *, told: Sequence[RowError] = ()
) -> list[RowError]:
    """The contract check's errors told in the export's words: the source column, the field.

    A cell the mapping already reported (`told`) is not reported again as, say, an empty value.
    """
    seen = {(error.line, error.column) for error in told}
    result = []
    for error in errors:
        way = mapping.fields.get(error.column)
        if way is None:
            result.append(error)
            continue
        if any((error.line, column) in seen for column in way.columns()):
            continue
        reason = f"as {error.column}: {error.reason}"
        result.append(RowError(error.file, error.line, way.describe(), error.value, reason))
    return result
