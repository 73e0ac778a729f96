"""Mappings as TOML files that can be exported, reviewed and committed (read with `tomllib`).

```toml
name = "appointments"
kind = "bookings"
headers = ["Appointment ID", "Patient ID", "Status", ...]

[fields.booking_id]
column = "Appointment ID"

[fields.patient_ref]
hash = "Patient ID"

[fields.status]
column = "Status"
values = { "Arrived" = "completed", "No Show" = "no_show" }
```

The writer below covers exactly the shapes a mapping has (strings, lists of strings, tables of
strings): strings are written as TOML basic strings, whose escapes JSON's encoder also uses.
"""

import json
import tomllib
from pathlib import Path

from data.mapping import Condition, ExportMapping, MappingRefused, Match, Source

_SOURCE_KEYS = (
    "column",
    "value",
    "hash",
    "minutes_between",
    "format",
    "only_if",
    "values",
    "rules",
    "otherwise",
)


def read_mapping(path: Path) -> ExportMapping:
    """The mapping in a TOML file; `MappingRefused` (one line per problem) if it is malformed."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise MappingRefused([f"{path}: cannot read the mapping ({problem})"]) from None
    return parse_mapping(text, source=str(path))


def parse_mapping(text: str, *, source: str = "mapping") -> ExportMapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise MappingRefused([f"{source}: not valid TOML ({problem})"]) from None
    try:
        return from_dict(data)
    except (KeyError, TypeError, ValueError) as problem:
        raise MappingRefused([f"{source}: {problem}"]) from None


def from_dict(data: dict) -> ExportMapping:
    unknown = set(data) - {"name", "kind", "headers", "fields"}
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise TypeError("fields must be a table")
    return ExportMapping(
        name=_text(data, "name"),
        kind=_text(data, "kind"),
        headers=tuple(_texts(data.get("headers", []), "headers")),
        fields={name: _source(name, spec) for name, spec in fields.items()},
    )


def _source(name: str, spec: object) -> Source:
    if not isinstance(spec, dict):
        raise TypeError(f"fields.{name} must be a table")
    unknown = set(spec) - set(_SOURCE_KEYS)
    if unknown:
        raise ValueError(f"fields.{name}: unknown key(s): {', '.join(sorted(unknown))}")
    between = spec.get("minutes_between")
    if between is not None:
        between = tuple(_texts(between, f"fields.{name}.minutes_between"))
        if len(between) != 2:
            raise ValueError(f"fields.{name}.minutes_between: give [start column, end column]")
    values = spec.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise TypeError(f"fields.{name}.values must be a table of text values")
    rules = spec.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise TypeError(f"fields.{name}.rules must be a list of {{ contains, value }} tables")
    condition = spec.get("only_if")
    if condition is not None:
        if not isinstance(condition, dict):
            raise TypeError(f"fields.{name}.only_if must be {{ column, values }}")
        condition = Condition(
            _text(condition, "column"), tuple(_texts(condition["values"], "only_if.values"))
        )
    return Source(
        column=_optional(spec, "column"),
        value=_optional(spec, "value"),
        hash=_optional(spec, "hash"),
        minutes_between=between,
        values=dict(values),
        rules=tuple(Match(_text(r, "contains"), _text(r, "value")) for r in rules),
        otherwise=_optional(spec, "otherwise"),
        format=_optional(spec, "format"),
        only_if=condition,
    )


def _text(data: dict, key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be text")
    return value


def _optional(data: dict, key: str) -> str | None:
    return _text(data, key) if key in data else None


def _texts(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{where} must be a list of text")
    return value


def to_toml(mapping: ExportMapping) -> str:
    """The mapping as TOML text that `parse_mapping` reads back to the same mapping."""
    lines = [
        f"name = {_string(mapping.name)}",
        f"kind = {_string(mapping.kind)}",
        f"headers = {_strings(mapping.headers)}",
    ]
    dropped = mapping.dropped()
    if dropped:
        lines.append(f"# Never read or stored (patient details): {', '.join(dropped)}")
    for name, source in mapping.fields.items():
        lines += ["", f"[fields.{_key(name)}]"]
        for key in ("column", "value", "hash", "format", "otherwise"):
            if getattr(source, key) is not None:
                lines.append(f"{key} = {_string(getattr(source, key))}")
        if source.minutes_between is not None:
            lines.append(f"minutes_between = {_strings(source.minutes_between)}")
        if source.only_if is not None:
            condition = source.only_if
            lines.append(
                f"only_if = {{ column = {_string(condition.column)}, "
                f"values = {_strings(condition.values)} }}"
            )
        if source.rules:
            lines.append("rules = [")
            lines += [
                f"  {{ contains = {_string(r.contains)}, value = {_string(r.value)} }},"
                for r in source.rules
            ]
            lines.append("]")
        if source.values:
            lines += ["", f"[fields.{_key(name)}.values]"]
            lines += [f"{_string(k)} = {_string(v)}" for k, v in source.values.items()]
    return "\n".join(lines) + "\n"


def _string(value: str) -> str:
    # TOML forbids a raw DEL in basic strings; JSON leaves it raw.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


def _strings(values) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def _key(name: str) -> str:
    return name if name.replace("_", "").isalnum() and name.isascii() else _string(name)
