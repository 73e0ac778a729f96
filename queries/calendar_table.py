"""Rows of the `calendar` table: every day of 2000-2099 with its weekday and week starts."""

from datetime import date, timedelta

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def week_start(day: date, week_start: str = "mon") -> date:
    """First day of the week holding `day`; weeks start on Monday (`mon`) or Sunday (`sun`)."""
    offset = day.weekday() if week_start == "mon" else (day.weekday() + 1) % 7
    return day - timedelta(days=offset)


def latest_complete_week(last_activity: date | None, today: date, starts_on: str) -> date:
    """Start of the last week that is over, by the data's last active day or today if earlier;
    weeks start on `starts_on` (`mon` or `sun`)."""
    reference = today if last_activity is None else min(today, last_activity + timedelta(days=1))
    return week_start(reference, starts_on) - timedelta(days=7)


def calendar_rows() -> list[dict]:
    days = (LAST_DAY - FIRST_DAY).days + 1
    rows = []
    for n in range(days):
        day = FIRST_DAY + timedelta(days=n)
        rows.append(
            {
                "day": day,
                "weekday": day.weekday(),
                "week_mon": week_start(day, "mon"),
                "week_sun": week_start(day, "sun"),
            }
        )
    return rows
