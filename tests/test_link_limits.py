"""Links and selections with limits: values echoed from a link are literal text and short, many
unknown locations are counted, and no selection (link, picker, command line) exceeds five years."""

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.filters import link_text, parse_params
from queries.page_filters import week_range
from queries.weekly import main as weekly_main

KNOWN = ["arlington", "bethesda", "rockville"]
LAST = date(2026, 3, 11)
TODAY = date(2026, 3, 20)
APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")


def parse(**params):
    return parse_params(params, known_locations=KNOWN, last_activity=LAST, today=TODAY)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("**bold**", r"\*\*bold\*\*"),
        ("[click](https://evil.example)", r"\[click\]\(https\://evil.example\)"),
        (":red[alarm] :material/lock:", r"\:red\[alarm\] \:material/lock\:"),
        ("<img src=x>", r"\<img src=x\>"),
        ("a_b`c`$x$", r"a\_b\`c\`\$x\$"),
        ("two\nlines\ttab", "two lines tab"),
        ("arlington-2", "arlington-2"),
    ],
)
def test_link_text_shows_markup_literally(value, shown):
    assert link_text(value) == shown


def test_link_text_cuts_a_long_value_after_forty_characters():
    assert link_text("x" * 2_000_000) == "x" * 40 + "…"


def test_a_long_bad_date_is_echoed_short():
    _, notices = parse(start=["9" * 100_000])
    assert notices[0] == f"The link's start date “{'9' * 40}…” is not a date like 2026-03-02."


def test_thousands_of_unknown_locations_are_counted_not_listed():
    selection, notices = parse(location=[f"x{n}" for n in range(5000)] + ["bethesda"])
    assert selection.locations == ("bethesda",)
    assert notices == ["5,000 unknown locations in the link, left out."]


def test_up_to_three_unknown_locations_are_named_escaped():
    _, notices = parse(location=["*a*", "b", "c", "arlington"])
    assert notices == [r"Unknown location in the link, left out: \*a\*, b, c."]


def test_a_century_long_link_is_cut_to_its_last_five_years():
    selection, notices = parse(start=["2000-01-01"], end=["2099-12-31"])
    # 2099-12-31 is a Thursday: its Monday week starts 2099-12-28; 260 weeks before it is
    # 2095-01-03 (a Monday), so the selection is 261 whole weeks.
    assert (selection.start, selection.end) == (date(2095, 1, 3), date(2099, 12, 31))
    assert notices == [
        "The link's 2000-01-01 to 2099-12-31 is longer than five years, the longest selection; "
        "showing the five years from 2095-01-03."
    ]


def test_five_years_of_weeks_are_kept_whole():
    # 2021-03-01 (Monday) to 2026-03-01 (Sunday): 1827 days, 261 weeks exactly.
    selection, notices = parse(start=["2021-03-01"], end=["2026-03-01"])
    assert (selection.start, selection.end) == (date(2021, 3, 1), date(2026, 3, 1))
    assert notices == []


def test_queries_refuse_a_selection_of_more_than_261_weeks():
    assert week_range(date(2021, 3, 1), date(2026, 3, 1)) == (date(2021, 3, 1), date(2026, 3, 1))
    with pytest.raises(ValueError, match="covers 262 weeks; a selection covers at most 261"):
        week_range(date(2021, 2, 22), date(2026, 3, 1))


def test_the_weekly_command_refuses_more_than_five_years_before_opening_the_database(
    tmp_path, capsys
):
    database = tmp_path / "never.sqlite"
    status = weekly_main(
        ["--db", f"sqlite:///{database}", "--start", "2000-01-01", "--end", "2099-12-31",
         "--out", str(tmp_path / "weekly.csv")]
    )  # fmt: skip
    assert status == 2
    assert capsys.readouterr().err == (
        "error: 2000-01-01 to 2099-12-31 covers 5219 weeks; a selection covers at most 261 "
        "weeks (five years); write one report per five years\n"
    )
    assert not database.exists() and not (tmp_path / "weekly.csv").exists()


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The app on a small demo database (sign-in off as a demo)."""
    from data.generate import generate_database
    from queries.db import open_database

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    engine = open_database(url)
    generate_database(engine, locations=2, years=0.25, today=date(2026, 3, 18))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    return AppTest.from_file(APP, default_timeout=60)


def test_the_app_shows_link_values_as_text_and_a_century_as_five_years(app):
    app.query_params["location"] = ["**All** [x](https://e.example)"]
    app.query_params["start"] = "2000-01-01"
    app.query_params["end"] = "2099-12-31"
    app.run()
    assert not app.exception
    notices = [warning.value for warning in app.warning]
    assert any(r"left out: \*\*All\*\* \[x\]\(https\://e.example\)." in n for n in notices)
    assert any("longer than five years" in n for n in notices)
    assert app.query_params["start"] == "2095-01-03"


def test_a_custom_range_longer_than_five_years_is_cut_with_a_warning(app):
    app.run()
    app.selectbox(key="f_preset").set_value("Custom").run()
    app.date_input(key="f_range").set_value((date(2000, 1, 3), date(2026, 3, 15))).run()
    assert not app.exception
    assert any("at most five years" in w.value for w in app.sidebar.warning)
    # 2026-03-15 is a Sunday: its Monday week starts 03-09; 260 weeks before is 2021-03-15.
    assert app.query_params["start"] == "2021-03-15"
