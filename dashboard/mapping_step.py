"""The Import page's mapping step: an export that is no contract file, mapped and previewed.

A saved mapping whose headers match the file is used as it is (one step); otherwise the admin
starts from a proposal (`data.mapping_proposal`) and corrects it field by field. Nothing is
stored until the preview shows no error and the admin imports.
"""

from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from data.contract import SPECS, Code, Column, RowError, Timestamp
from data.load import ImportSummary, import_mapped
from data.mapped_input import check_export, source_frame
from data.mapping import (
    HASHED_FIELD,
    KINDS,
    MAX_VALUES,
    ExportMapping,
    Source,
    identifying,
    problems,
)
from data.mapping_files import to_toml
from data.mapping_proposal import distinct_values, guess_code, propose, timestamp_format
from data.mapping_store import recognised, save_mapping
from data.patient_ref import MissingKey, settings_key
from queries.catalog import visible_locations
from queries.scope import Scope

NOT_MAPPED = "(not mapped)"
FIXED = "(a fixed value for the file)"
MINUTES = "(minutes from a start to an end column)"
UNCHOSEN = ""


def show(engine: Engine, scope: Scope, path: Path, name: str) -> ExportMapping | None:
    """Draw the step for the export at `path` (shown as `name`); the mapping once it can run."""
    loaded = source_frame(path)
    if isinstance(loaded, RowError):
        st.error(str(loaded).replace(str(path), name))
        return None
    frame, _lines = loaded
    saved = recognised(engine, list(frame.columns))
    if saved is not None:
        st.success(
            f"Recognised by its columns: mapping **{saved.name}** ({saved.kind}). "
            "Check the preview and import."
        )
    if saved is None or st.toggle("Change the mapping", key="map_change"):
        with engine.connect() as conn:
            table = visible_locations(conn, scope=scope)
        locations = dict(zip(table["location_id"], table["name"], strict=True))
        mapping = _edited(frame, saved, Path(name).stem, locations)
    else:
        mapping = saved
    found = problems(mapping)
    if found:
        st.warning("Before a preview, the mapping needs:\n\n" + "\n".join(f"- {p}" for p in found))
        return None
    return mapping


def _edited(
    frame: pd.DataFrame, saved: ExportMapping | None, stem: str, locations: dict[str, str]
) -> ExportMapping:
    st.subheader("Map the export's columns")
    kinds = list(KINDS)
    kind = st.radio(
        "The export holds",
        kinds,
        index=kinds.index(saved.kind) if saved else 0,
        horizontal=True,
        key="map_kind",
    )
    name = st.text_input("Mapping name", value=saved.name if saved else _slug(stem), key="map_name")
    dropped = [str(c) for c in frame.columns if identifying(str(c))]
    if dropped:
        st.info("Never read or stored (patient details): " + ", ".join(dropped))
    start = saved if saved and saved.kind == kind else None
    start = start or propose(kind, frame, name=name, locations=locations)
    usable = [str(c) for c in frame.columns if not identifying(str(c))]
    fields = {}
    for column in SPECS[kind].columns:
        source = _field(column, frame, usable, start.fields.get(column.name), locations, kind)
        if source is not None:
            fields[column.name] = source
    return ExportMapping(name, kind, tuple(str(c) for c in frame.columns), fields)


def _slug(text: str) -> str:
    return "-".join(part for part in "".join(c if c.isalnum() else " " for c in text).split())


def _field(
    column: Column,
    frame: pd.DataFrame,
    usable: list[str],
    proposed: Source | None,
    locations: dict[str, str],
    kind: str,
) -> Source | None:
    key = f"map_{kind}_{column.name}"
    hashed = column.name == HASHED_FIELD
    ways = [NOT_MAPPED] if hashed else [NOT_MAPPED, FIXED]
    if column.name == "duration_minutes":
        ways.append(MINUTES)
    options = ways + usable
    label = f"**{column.name}**" + (" (required)" if column.required else "")
    if hashed:
        label += ": the patient id column, stored only as a keyed hash"
    left, right = st.columns([2, 3])
    choice = left.selectbox(
        label, options, index=options.index(_chosen(proposed, options)), key=key
    )
    with right:
        if choice == NOT_MAPPED:
            return None
        if choice == FIXED:
            return Source(value=_fixed(column, proposed, locations, key))
        if choice == MINUTES:
            return _minutes(frame, usable, proposed, key)
        if hashed:
            return Source(hash=choice)
        if column.name == "location_id" or isinstance(column.type, Code):
            return _value_map(column, frame, choice, proposed, locations, key)
        if isinstance(column.type, Timestamp):
            return Source(column=choice, format=_format(frame[choice], proposed, key) or None)
        return Source(column=choice)


def _chosen(proposed: Source | None, options: list[str]) -> str:
    if proposed is None:
        return NOT_MAPPED
    if proposed.value is not None:
        return FIXED
    if proposed.minutes_between is not None:
        return MINUTES
    wanted = proposed.column if proposed.column is not None else proposed.hash
    return wanted if wanted in options else NOT_MAPPED


def _fixed(column: Column, proposed: Source | None, locations: dict[str, str], key: str) -> str:
    given = proposed.value if proposed is not None and proposed.value is not None else None
    if column.name == "location_id" or isinstance(column.type, Code):
        choices = list(locations) if column.name == "location_id" else list(column.type.allowed)
        index = choices.index(given) if given in choices else 0
        return st.selectbox("Value", choices, index=index, key=key + "_value")
    return st.text_input("Value", value=given or "", key=key + "_value")


def _minutes(frame, usable: list[str], proposed: Source | None, key: str) -> Source:
    pair = proposed.minutes_between if proposed and proposed.minutes_between else None
    start = st.selectbox(
        "Start column", usable, index=usable.index(pair[0]) if pair else 0, key=key + "_start"
    )
    end = st.selectbox(
        "End column", usable, index=usable.index(pair[1]) if pair else 0, key=key + "_end"
    )
    form = _format(frame[start], proposed, key)
    return Source(minutes_between=(start, end), format=form or None)


def _format(values: pd.Series, proposed: Source | None, key: str) -> str:
    guessed = proposed.format if proposed and proposed.format else timestamp_format(values)
    return st.text_input(
        "Date format (empty: YYYY-MM-DD HH:MM)",
        value=guessed or "",
        key=key + "_format",
        help="Python strftime codes, e.g. %m/%d/%Y %I:%M %p for 11/23/2026 9:00 AM",
    )


def _value_map(
    column: Column,
    frame: pd.DataFrame,
    choice: str,
    proposed: Source | None,
    locations: dict[str, str],
    key: str,
) -> Source:
    """Every distinct source value (of the file, and of the saved map) with the contract value it
    stands for; none may stay empty."""
    values = distinct_values(frame, choice)
    if len(values) > MAX_VALUES:
        st.error(f"'{choice}' holds more than {MAX_VALUES} different values: it is no code column")
        return Source(column=choice)
    targets = list(locations) if column.name == "location_id" else list(column.type.allowed)
    known = proposed.values if proposed is not None and proposed.column == choice else {}
    # A saved mapping keeps the values earlier exports held, though this one does not.
    values += [value for value in known if value not in values]
    table = {}
    st.caption(f"Each value of '{choice}' as {column.name}:")
    cells = st.columns(3)
    for number, value in enumerate(values):
        guess = known.get(value)
        if guess is None and column.name != "location_id":
            guess = guess_code(value, column.type.allowed)
        options = [UNCHOSEN, *targets]
        table[value] = cells[number % 3].selectbox(
            value,
            options,
            index=options.index(guess) if guess in options else 0,
            key=f"{key}_v_{value}",
        )
    return Source(column=choice, values=table)


def preview(engine: Engine, path: Path, name: str, mapping: ExportMapping) -> bool:
    """The export's first rows as contract rows and every error its import would report;
    True if it can be imported as it is."""
    try:
        key = settings_key() if mapping.hashes else None
    except MissingKey as problem:
        st.error(str(problem))
        return False
    checked = check_export(engine, path, mapping, key, source=name)
    st.subheader("Preview")
    st.caption(
        f"The first {len(checked.rows)} of {checked.count} rows as {mapping.kind} rows. "
        "Nothing is stored yet."
    )
    st.dataframe(checked.rows, hide_index=True)
    st.download_button(
        "Download the mapping (TOML)",
        to_toml(mapping),
        file_name=f"{mapping.name}.toml",
        mime="application/toml",
        key="map_download",
    )
    if checked.errors:
        st.error(
            f"{len(checked.errors)} error(s): importing now would store nothing from this file."
        )
        show_errors(checked.errors)
        return False
    st.success("No errors: the import would store every row.")
    return True


def run_import(engine: Engine, path: Path, mapping: ExportMapping, actor: str) -> ImportSummary:
    """Save the mapping, then import the export through it (`ImportRefused` on bad rows)."""
    save_mapping(engine, mapping, saved_by=actor)
    return import_mapped(engine, [path], mapping, actor=actor)


def show_errors(errors: list[RowError], folder: str = "") -> None:
    """The errors as a table: file, line, column (the export's own), value, reason."""

    def shown(text: str) -> str:
        return text.replace(folder + "/", "") if folder else text

    st.dataframe(
        pd.DataFrame(
            [(shown(e.file), e.line, e.column, e.value, e.reason) for e in errors],
            columns=["file", "line", "column", "value", "reason"],
        ),
        hide_index=True,
    )
