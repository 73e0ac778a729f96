"""Targets edited on the admins' Targets page: checked by the contract's `targets` rules, stored
like an imported targets file, with the admin's address in the audit entry."""

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data.contract import RowError, validate
from data.store import stored_locations
from queries.targets import TARGET_COLUMNS, replace_targets

SOURCE = "Targets page"


def save_targets(engine: Engine, rows: pd.DataFrame, *, email: str | None) -> list[RowError]:
    """Replace the stored targets with `rows` (columns `TARGET_COLUMNS`, a row's "line" being its
    place in the table from 1); nothing is stored if any row is bad, and every bad one is named."""
    with engine.begin() as conn:
        checked = validate(
            "targets",
            rows.reset_index(drop=True),
            source=SOURCE,
            lines=np.arange(len(rows), dtype=np.int64) + 1,
            locations=stored_locations(conn),
        )
        if checked.errors:
            return checked.errors
        replace_targets(conn, checked.rows[TARGET_COLUMNS], email=email, source=SOURCE)
    return []
