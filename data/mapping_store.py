"""Mappings kept in the database, and the shipped examples: saved, found by name or by headers."""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select

from data.contract import header_name
from data.mapping import ExportMapping, check
from data.mapping_files import parse_mapping, read_mapping, to_toml
from queries.schema import import_mappings

EXAMPLES = Path(__file__).resolve().parent / "mappings"
"""The shipped example mappings (`<name>.toml`), found by name like saved ones."""


def headers_key(headers: Sequence[object]) -> str:
    """The set of a file's headers as one text: normalised, sorted, JSON."""
    return json.dumps(sorted({header_name(h) for h in headers}))


def save_mapping(engine: Engine, mapping: ExportMapping, *, saved_by: str | None = None) -> None:
    """Store the mapping (checked first), replacing a stored one of the same name."""
    check(mapping)
    row = {
        "name": mapping.name,
        "kind": mapping.kind,
        "header_key": headers_key(mapping.headers),
        "body": to_toml(mapping),
        "saved_at": datetime.now(UTC).replace(tzinfo=None),
        "saved_by": saved_by,
    }
    with engine.begin() as conn:
        conn.execute(delete(import_mappings).where(import_mappings.c.name == mapping.name))
        conn.execute(insert(import_mappings).values(row))


def saved_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = select(import_mappings.c.name).order_by(import_mappings.c.name)
        return list(conn.execute(query).scalars())


def saved_mapping(engine: Engine, name: str) -> ExportMapping | None:
    with engine.connect() as conn:
        query = select(import_mappings.c.body).where(import_mappings.c.name == name)
        body = conn.execute(query).scalar_one_or_none()
    return None if body is None else parse_mapping(body, source=f"saved mapping {name}")


def recognised(engine: Engine, headers: Sequence[object]) -> ExportMapping | None:
    """The saved mapping of a file with these headers (the latest saved if several are)."""
    with engine.connect() as conn:
        query = (
            select(import_mappings.c.name, import_mappings.c.body)
            .where(import_mappings.c.header_key == headers_key(headers))
            .order_by(import_mappings.c.saved_at.desc(), import_mappings.c.name)
            .limit(1)
        )
        found = conn.execute(query).first()
    return (
        None if found is None else parse_mapping(found.body, source=f"saved mapping {found.name}")
    )


def find_mapping(engine: Engine, name_or_file: str) -> ExportMapping:
    """A mapping by file path (`.toml`), else by name: saved in the database, else shipped.

    Raises `MappingRefused` if the file is malformed, `LookupError` if nothing has the name.
    """
    path = Path(name_or_file)
    if path.suffix.lower() == ".toml" or path.is_file():
        if not path.is_file():
            raise LookupError(f"no such mapping file: {path}")
        return read_mapping(path)
    saved = saved_mapping(engine, name_or_file)
    if saved is not None:
        return saved
    example = EXAMPLES / f"{name_or_file}.toml"
    if name_or_file.replace("-", "").replace("_", "").isalnum() and example.is_file():
        return read_mapping(example)
    known = sorted({*saved_names(engine), *(p.stem for p in EXAMPLES.glob("*.toml"))})
    raise LookupError(
        f"no mapping named '{name_or_file}'; known: {', '.join(known) or 'none'} "
        "(or give a .toml file)"
    )
