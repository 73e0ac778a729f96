"""Columns and aggregates derived from the raw rows, kept current by the importer.

(Being written: `refresh_after_import` recomputes what depends on the given patients/locations.)
"""

from collections.abc import Collection

from sqlalchemy import Connection


def refresh_after_import(
    conn: Connection, *, patient_refs: Collection[str] | None, location_ids: Collection[str] | None
) -> None:
    """Recompute derived data for these patients and locations (`None` = all), in `conn`'s transaction."""
