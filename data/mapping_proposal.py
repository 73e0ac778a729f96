"""A first mapping for an export nobody has mapped yet: source columns chosen by name and values.

Each contract field gets the source column whose name is most like the field's usual names and
whose values look like the field's (timestamps parse, codes are few and recognisable, ids are
unique). Code fields get a value map listing every distinct source value, with a guess where the
value says what it is ("No Show" -> `no_show`) and nothing where it does not, for the admin to
fill in. Identifying columns are never proposed.
"""

import re
from collections.abc import Mapping

import pandas as pd

from data.contract import SPECS, Code, Integer, Timestamp
from data.mapping import HASHED_FIELD, MAX_VALUES, ExportMapping, Source, identifying

# The names a field goes by in clinics' exports (compared as lower-case words).
NAMES = {
    "request_id": ["request id", "id", "call id", "lead id", "inquiry id", "request"],
    "booking_id": ["appointment id", "appt id", "booking id", "visit id", "id", "appointment"],
    "location_id": ["location", "clinic", "office", "site", "practice", "location id"],
    "received_at": ["received at", "start time", "call time", "created at", "date", "received"],
    "channel": ["channel", "source", "medium", "lead source", "call type"],
    "indication": ["indication", "condition", "reason", "diagnosis", "interest"],
    "first_contact_at": ["first contact at", "first contact", "contacted at", "responded at"],
    "consult_at": ["consult at", "consultation", "consult date", "appointment time"],
    "consult_status": ["consult status", "status", "outcome", "result"],
    "patient_ref": ["patient id", "patient", "client id", "account number", "chart number"],
    "kind": ["appointment type", "type", "visit type", "service", "kind", "procedure"],
    "starts_at": ["start", "starts at", "start time", "appointment start", "date time", "begins"],
    "duration_minutes": ["duration minutes", "duration", "length", "minutes"],
    "status": ["status", "appointment status", "visit status", "state"],
    "booked_at": ["created", "booked at", "created at", "booked on", "scheduled on", "made on"],
}
# Source words that say which contract code a value means, tried in order.
CODE_WORDS = [
    (r"late.*cancel", "late_cancel"),
    (r"no.?show|did not (arrive|attend)|missed|dna", "no_show"),
    (r"cancel", "cancelled"),
    (r"arrived|checked.?(out|in)|complete|attended|seen|done", "completed"),
    (r"sched|confirm|booked|pending", "scheduled"),
    (r"booster|maintenance", "booster"),
    (r"initial|infusion|series|induction", "initial"),
    (r"call|phone", "phone"),
    (r"walk", "walk_in"),
    (r"refer", "referral"),
    (r"web|online|form|site|google|facebook|ads", "web"),
]
FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %I:%M %p",
)
SAMPLE = 200


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def guess_code(value: str, allowed: tuple[str, ...]) -> str | None:
    """The contract code a source value names, if it says so plainly; else None."""
    plain = _words(value).replace(" ", "_")
    if plain in allowed:
        return plain
    for pattern, code in CODE_WORDS:
        if code in allowed and re.search(pattern, value.lower()):
            return code
    return None


def _location(value: str, locations: Mapping[str, str]) -> str:
    """The stored location a source value names (by id or display name), else ""."""
    plain = _words(value)
    for location_id, name in locations.items():
        if plain in (_words(location_id), _words(name)):
            return location_id
    return ""


def timestamp_format(values: pd.Series) -> str | bool | None:
    """None if the values are ISO timestamps, the format they are written in, or False."""
    sample = values.dropna().astype(str).str.strip()
    sample = sample[sample != ""].head(SAMPLE)
    if sample.empty:
        return False
    # Every format here starts with a date of three numbers: anything else is no timestamp.
    if not sample.str.contains(r"^[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}").all():
        return False
    iso = pd.to_datetime(sample, format="ISO8601", errors="coerce")
    if iso.notna().all() and sample.str.contains(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").all():
        return None
    for form in FORMATS:
        if pd.to_datetime(sample, format=form, errors="coerce").notna().all():
            return form
    return False


def distinct_values(frame: pd.DataFrame, column: str) -> list[str]:
    """Every distinct non-empty value of a column, in order of first appearance (at most
    MAX_VALUES + 1, so a caller can tell the column is no code)."""
    values = frame[column].dropna().astype(str).str.strip()
    return [v for v in pd.unique(values[values != ""]).tolist()[: MAX_VALUES + 1]]


def propose(
    kind: str, frame: pd.DataFrame, *, name: str, locations: Mapping[str, str] | None = None
) -> ExportMapping:
    """A mapping of `frame`'s columns to the contract fields of `kind`, for the admin to correct.

    `locations` (id -> display name) lets a location column's values be matched to stored ids.
    """
    usable = [str(c) for c in frame.columns if not identifying(str(c))]
    # Each column's timestamp format is read once: every field weighs every column by it.
    timed = {c: timestamp_format(frame[c]) for c in usable}
    used: set[str] = set()
    fields: dict[str, Source] = {}
    for column in SPECS[kind].columns:
        best = _best_column(column, frame, [c for c in usable if c not in used], timed)
        if best is None:
            continue
        if column.name == HASHED_FIELD:
            fields[column.name] = Source(hash=best)
        elif isinstance(column.type, Code):
            values = {
                v: guess_code(v, column.type.allowed) or "" for v in distinct_values(frame, best)
            }
            fields[column.name] = Source(column=best, values=values)
        elif column.name == "location_id" and locations is not None:
            values = {v: _location(v, locations) for v in distinct_values(frame, best)}
            fields[column.name] = Source(column=best, values=values)
        elif isinstance(column.type, Timestamp):
            fields[column.name] = Source(column=best, format=timed[best] or None)
        else:
            fields[column.name] = Source(column=best)
        used.add(best)
    if kind == "bookings" and "duration_minutes" not in fields:
        between = _start_and_end(usable, timed)
        if between is not None:
            fields["duration_minutes"] = Source(
                minutes_between=between, format=timed[between[0]] or None
            )
    headers = tuple(str(c) for c in frame.columns)
    ordered = {c: fields[c] for c in SPECS[kind].names if c in fields}
    return ExportMapping(name, kind, headers, ordered)


def _best_column(
    column, frame: pd.DataFrame, candidates: list[str], timed: Mapping[str, object]
) -> str | None:
    scored = []
    for candidate in candidates:
        by_name = _name_score(column.name, candidate)
        if by_name == 0:
            continue
        score = by_name + _value_score(column, frame[candidate], timed[candidate] is not False)
        if score >= 2:
            scored.append((score, -candidates.index(candidate), candidate))
    return max(scored)[2] if scored else None


def _name_score(field: str, header: str) -> int:
    words = _words(header)
    names = [_words(n) for n in NAMES.get(field, [])] + [_words(field)]
    if words in names:
        return 3 if names.index(words) < len(names) - 1 or words == _words(field) else 2
    if any(n and (n in words or words in n) for n in names if len(n) > 2):
        return 1
    return 0


def _value_score(column, values: pd.Series, looks_timed: bool) -> int:
    if isinstance(column.type, Timestamp):
        return 2 if looks_timed else -3
    if looks_timed:
        return -3
    if isinstance(column.type, Code):
        distinct = values.dropna().astype(str).str.strip().nunique()
        return 1 if distinct <= 30 else -2
    if isinstance(column.type, Integer):
        numbers = pd.to_numeric(values, errors="coerce")
        return 1 if numbers.notna().mean() > 0.9 else -2
    return 0


def _start_and_end(usable: list[str], timed: Mapping[str, object]) -> tuple[str, str] | None:
    clocks = [c for c in usable if timed[c] is not False]
    starts = [c for c in clocks if re.search(r"start|begin|from", c.lower())]
    ends = [c for c in clocks if re.search(r"end|finish|stop|until", c.lower())]
    return (starts[0], ends[0]) if starts and ends else None
