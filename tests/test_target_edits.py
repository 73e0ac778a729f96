"""The Targets page's rows: checked by the contract, stored with the admin's address audited."""

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from data.target_edits import save_targets
from queries.audit import read_log
from queries.scope import EVERYTHING
from queries.targets import TARGET_COLUMNS, stored_targets
from tests.builders import add_location, two_clinics_one_missing_infusions

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")


def test_saved_rows_replace_the_targets_and_name_the_admin_in_the_audit_log(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
    rows = pd.DataFrame(
        [["*", "no_show_rate_pct", None, 6.5, 2], ["rock", "utilization_pct", 60, 85, 3]],
        columns=TARGET_COLUMNS,
    )
    assert save_targets(engine, rows, email="lead@example.org") == []
    with engine.connect() as conn:
        stored = stored_targets(conn, scope=EVERYTHING)
        log = read_log(conn, scope=EVERYTHING, actions=["targets"])
    assert stored.fillna(-1).values.tolist() == [
        ["*", "no_show_rate_pct", -1, 6.5, 2],
        ["rock", "utilization_pct", 60.0, 85.0, 3],
    ]
    assert log["email"].tolist() == ["lead@example.org"]
    detail = json.loads(log["detail"].iloc[0])
    assert (detail["source"], detail["before"]) == ("Targets page", [])


def test_bad_rows_are_named_by_their_place_and_nothing_is_saved(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
    assert (
        save_targets(
            engine,
            pd.DataFrame([["*", "no_show_rate_pct", None, 8, 2]], columns=TARGET_COLUMNS),
            email=None,
        )
        == []
    )
    rows = pd.DataFrame(
        [
            ["rock", "utilization_pct", 90, 70, 2],
            [None, "no_show_rate_pct", None, 8, 2],
            ["rock", "utilization_pct", 60, 80, 2],
        ],
        columns=TARGET_COLUMNS,
    )
    errors = save_targets(engine, rows, email="lead@example.org")
    assert [str(e) for e in errors] == [
        "Targets page:1: column 'max' = '70': below min",
        "Targets page:2: column 'location_id' = '': required value is empty",
        "Targets page:3: column 'metric' = 'utilization_pct': duplicate location_id+metric "
        "(first on line 1)",
    ]
    with engine.connect() as conn:
        stored = stored_targets(conn, scope=EVERYTHING)
    assert stored["max"].tolist() == [8.0]


@pytest.fixture
def open_app(tmp_path, monkeypatch):
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    url = f"sqlite:///{tmp_path / 'targets.sqlite'}"
    two_clinics_one_missing_infusions(url, [["*", "utilization_pct", 40, 90, 2]])
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_AUTH", "off")
    yield AppTest.from_file(APP, default_timeout=60)
    config.set_option("server.address", before)


def test_the_targets_page_shows_the_stored_rows_and_the_defaults(open_app):
    open_app.run()
    open_app.switch_page("app_pages/targets.py").run()
    assert not open_app.exception and not open_app.error
    assert open_app.title[0].value == "Targets"
    editor, defaults = (frame.value for frame in open_app.dataframe)
    assert editor.fillna(-1).values.tolist() == [["*", "utilization_pct", 40.0, 90.0, 2]]
    assert defaults[["Metric", "Target"]].values.tolist() == [
        ["No-show rate", "at most 8%"],
        ["Utilization", "70-90%"],
        ["Median response", "at most 60 min"],
        ["Contacted within 1 h", "at least 80%"],
    ]
    open_app.button(key="targets_save").click().run()
    assert [s.value for s in open_app.success] == ["Targets saved (1 rows)."]
