"""A week's re-export of generated contract frames: the rows of the week, already stored, with the
changes a week brings (new statuses, moves between days and locations, a booking moved weeks
back, a booking handed to another patient, a consult losing its patient) and a few new rows."""

from datetime import date, timedelta

import pandas as pd

from bench.files import NEXT_BOOKING_STATUS

MOVED_IN = pd.Timedelta(days=21)
NEXT_CONSULT_STATUS = {"scheduled": "completed", "completed": "no_show", "no_show": "completed"}


def week_reexport(frames: dict[str, pd.DataFrame], *, last_day: date) -> dict[str, pd.DataFrame]:
    """Bookings starting and requests received in the seven days ending `last_day`, changed.

    Changes are picked by position, so every kind of change is present whatever the data. A
    few rows of three weeks before are moved into the week: their old days hold no other row of
    the re-export.
    """
    first = pd.Timestamp(last_day - timedelta(days=6))
    end = pd.Timestamp(last_day + timedelta(days=1))
    sites = sorted(frames["locations"]["location_id"])

    def next_site(location_id: str) -> str:
        return sites[(sites.index(location_id) + 1) % len(sites)]

    b = _week_and_moved_in(frames["bookings"], "starts_at", ["starts_at", "booked_at"], first, end)
    rows = b.index
    b.loc[rows[::3], "status"] = b.loc[rows[::3], "status"].map(NEXT_BOOKING_STATUS)
    b.loc[rows[1::5], "starts_at"] += pd.Timedelta(days=1)
    b.loc[rows[2::7], "location_id"] = b.loc[rows[2::7], "location_id"].map(next_site)
    back = rows[3::11]  # weeks back, completed: the patient's numbering changes from there on
    b.loc[back, "starts_at"] -= pd.Timedelta(days=40)
    b.loc[back, "booked_at"] = b.loc[back, "starts_at"] - pd.Timedelta(days=1)
    b.loc[back, "status"] = "completed"
    handed = rows[4::13]
    b.loc[handed, "patient_ref"] = b.loc[rows[::-1][: len(handed)], "patient_ref"].to_numpy()
    new = b.loc[rows[5::17]].copy()
    new["booking_id"] = [f"NEW{n:05}" for n in range(len(new))]
    new["status"] = "completed"
    new["starts_at"] -= pd.Timedelta(days=2)
    new["booked_at"] = new["starts_at"] - pd.Timedelta(days=1)

    moments = ["received_at", "first_contact_at", "consult_at"]
    c = _week_and_moved_in(frames["consultations"], "received_at", moments, first, end)
    rows = c.index
    changed = rows[::3]
    c.loc[changed, "consult_status"] = (
        c.loc[changed, "consult_status"].map(NEXT_CONSULT_STATUS).fillna(c["consult_status"])
    )
    later = rows[1::5]
    for column in moments:
        c.loc[later, column] += pd.Timedelta(days=1)
    c.loc[rows[2::7], "location_id"] = c.loc[rows[2::7], "location_id"].map(next_site)
    c.loc[rows[3::11], "patient_ref"] = None
    return {"bookings": pd.concat([b, new], ignore_index=True), "consultations": c}


def _week_and_moved_in(
    rows: pd.DataFrame, dated_by: str, moments: list[str], first: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The rows dated in [first, end), and every 9th row of three weeks before moved into it."""
    week = rows[(rows[dated_by] >= first) & (rows[dated_by] < end)]
    before = rows[(rows[dated_by] >= first - MOVED_IN) & (rows[dated_by] < end - MOVED_IN)]
    moved_in = before.iloc[::9].copy()
    for column in moments:
        moved_in[column] += MOVED_IN
    return pd.concat([week, moved_in]).reset_index(drop=True)
