"""Contract CSV files the benchmark imports besides the demo network's own: the same files in
random row order, and a week's re-export.

Both are made from the demo network's files and kept under the work directory, one folder per
size and seed, so a second run reuses them.
"""

import random
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

# The files whose rows are shuffled: the big ones, whose order the importer's sorts and index
# builds meet. Their fields are ids, codes and timestamps, never quoted, so a row is a line.
SHUFFLED = ("bookings", "consultations")
# Shares of a week's rows that the re-export changes, each a different set of rows.
NEW_STATUS_SHARE = 0.10
MOVED_DAY_SHARE = 0.02
MOVED_LOCATION_SHARE = 0.02
NEXT_BOOKING_STATUS = {
    "scheduled": "completed",
    "completed": "no_show",
    "no_show": "completed",
    "late_cancel": "cancelled",
    "cancelled": "late_cancel",
}
NEXT_CONSULT_STATUS = {
    "pending": "scheduled",
    "scheduled": "completed",
    "completed": "no_show",
    "no_show": "completed",
    "cancelled": "scheduled",
}
TIMESTAMPS = {
    "bookings": ("starts_at", "booked_at"),
    "consultations": ("received_at", "first_contact_at", "consult_at"),
}
# The column that dates a row (local wall-clock time: the export writes each location's own).
DATED_BY = {"bookings": "starts_at", "consultations": "received_at"}


def shuffled_files(source: Path, seed: int) -> Path:
    """`source`'s files with the rows of bookings and consultations in a random order (seeded)."""
    return _kept(
        source.with_name(f"{source.name}-shuffled-{seed}"), partial(_shuffle, source, seed)
    )


def _shuffle(source: Path, seed: int, folder: Path) -> None:
    shuffle = random.Random(seed).shuffle
    for path in sorted(source.glob("*.csv")):
        if path.stem not in SHUFFLED:
            shutil.copy(path, folder / path.name)
            continue
        with path.open(encoding="utf-8", newline="") as rows:
            header, *lines = rows.readlines()
        shuffle(lines)
        with (folder / path.name).open("w", encoding="utf-8", newline="") as out:
            out.write(header)
            out.writelines(lines)
        del lines


def week_reexport(source: Path, *, last_day: date, seed: int) -> Path:
    """A week's bookings and requests re-exported: rows already stored, some of them changed.

    The week is the seven days ending `last_day` (bookings by start, requests by receipt). Of its
    rows, one in ten has a new status, one in fifty moved a day later and one in fifty moved to
    the next location (sorted by id); the rest are as stored.
    """
    target = source.with_name(f"{source.name}-week-{last_day.isoformat()}-{seed}")
    return _kept(target, partial(_reexport, source, last_day, seed))


def _reexport(source: Path, last_day: date, seed: int, folder: Path) -> None:
    sites = sorted(pd.read_csv(source / "locations.csv", dtype=str)["location_id"])
    following = dict(zip(sites, sites[1:] + sites[:1], strict=True))
    first_day = last_day - timedelta(days=6)
    rng = np.random.default_rng(seed)
    for kind, statuses in (
        ("bookings", NEXT_BOOKING_STATUS),
        ("consultations", NEXT_CONSULT_STATUS),
    ):
        rows = pd.read_csv(source / f"{kind}.csv", dtype=str, na_filter=False)
        day = rows[DATED_BY[kind]].str.slice(0, 10)
        week = rows[(day >= first_day.isoformat()) & (day <= last_day.isoformat())].copy()
        share = rng.random(len(week))
        status = "status" if kind == "bookings" else "consult_status"
        changed = share < NEW_STATUS_SHARE
        week.loc[changed, status] = week.loc[changed, status].map(statuses)
        later = (share >= NEW_STATUS_SHARE) & (share < NEW_STATUS_SHARE + MOVED_DAY_SHARE)
        for column in TIMESTAMPS[kind]:
            week.loc[later, column] = _day_later(week.loc[later, column])
        elsewhere = share >= 1 - MOVED_LOCATION_SHARE
        week.loc[elsewhere, "location_id"] = week.loc[elsewhere, "location_id"].map(following)
        week.to_csv(folder / f"{kind}.csv", index=False, lineterminator="\n")


def _kept(target: Path, make: Callable[[Path], None]) -> Path:
    """`target`, made by `make` into a folder renamed when done, unless made before."""
    if not target.is_dir():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        make(partial)
        partial.rename(target)
    return target


def _day_later(text: pd.Series) -> pd.Series:
    """Timestamps as written by the export (`2025-06-24 09:00:00-04:00`), a calendar day later.

    The wall-clock time and offset are kept, so the instant moves by a day (an hour more or
    less across a change of daylight saving time); empty fields stay empty.
    """
    present = text != ""
    days = pd.to_datetime(text[present].str.slice(0, 10)) + pd.Timedelta(days=1)
    moved = text.copy()
    moved[present] = days.dt.strftime("%Y-%m-%d") + text[present].str.slice(10)
    return moved
