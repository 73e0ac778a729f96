"""The app as Streamlit runs it (AppTest): every page renders, filters act, links are checked.

The data: the demo generator, 2 locations over half a year ending 2026-03-18, in a SQLite file.
"""

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.generate import generate_database
from queries.db import open_database
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "main.py")
PAGES = ["overview", "consultations", "infusions", "capacity", "locations"]
DATA_TODAY = date(2026, 3, 18)
LINK_NOTICE = ":material/link_off:"  # the icon main.py gives notices about the link


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("app") / "demo.sqlite"
    engine = open_database(f"sqlite:///{path}")
    generate_database(engine, locations=2, years=0.5, today=DATA_TODAY)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def app(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    return AppTest.from_file(APP, default_timeout=60)


def _location_ids(url: str) -> list[str]:
    engine = open_database(url)
    with engine.connect() as conn:
        table = weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=DATA_TODAY, end=DATA_TODAY
        )
    engine.dispose()
    return sorted(set(table["location_id"]) - {"ALL"})


def _cards(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_charts_without_errors(app, page):
    app.run()
    if page != "overview":
        app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception
    assert not app.error
    assert len(app.get("plotly_chart")) >= 1


def test_overview_cards_show_the_latest_complete_weeks_all_row(app, demo_url):
    app.query_params["start"] = "2026-01-05"
    app.query_params["end"] = "2026-03-15"
    app.run()
    # Demo data runs to 2026-03-18, a Wednesday: the latest complete Monday week is 03-09.
    engine = open_database(demo_url)
    with engine.connect() as conn:
        report = weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=date(2026, 3, 9), end=date(2026, 3, 9)
        )
    engine.dispose()
    network = report[report["location_id"] == "ALL"].iloc[0]
    cards = _cards(app)
    assert cards["Consult requests"] == f"{network['consult_requests']:,}"
    assert cards["Infusions completed"] == f"{network['infusions_completed']:,}"
    assert cards["Utilization"] == f"{network['utilization_pct']:.1f}%"


def test_choosing_one_location_changes_the_numbers_and_the_link(app, demo_url):
    app.run()
    everywhere = _cards(app)
    first = _location_ids(demo_url)[0]
    app.multiselect(key="f_locations").set_value([first]).run()
    assert not app.exception
    assert app.query_params["location"] == first
    assert _cards(app)["Consult requests"] != everywhere["Consult requests"]


def test_changing_the_period_updates_the_link(app):
    app.run()
    app.selectbox(key="f_preset").set_value("Last 4 weeks").run()
    # Latest complete week 2026-03-09: four weeks from 2026-02-16 to Sunday 2026-03-15.
    assert app.query_params["start"] == "2026-02-16"
    assert app.query_params["end"] == "2026-03-15"


def test_a_link_is_restored_into_the_widgets(app, demo_url):
    second = _location_ids(demo_url)[1]
    app.query_params["location"] = second
    app.query_params["start"] = "2026-01-04"
    app.query_params["end"] = "2026-02-21"
    app.query_params["week_start"] = "sun"
    app.run()
    assert not [notice for notice in app.warning if notice.icon == LINK_NOTICE]
    assert app.multiselect(key="f_locations").value == [second]
    assert app.radio(key="f_week_start").value == "sun"
    assert app.selectbox(key="f_preset").value == "Custom"
    assert app.date_input(key="f_range").value == (date(2026, 1, 4), date(2026, 2, 21))


@pytest.mark.parametrize("page", PAGES)
def test_a_bad_link_gives_a_notice_not_a_traceback(app, page):
    app.query_params["location"] = "atlantis"
    app.query_params["start"] = "2026-02-30"
    if page != "overview":
        app.switch_page(f"app_pages/{page}.py")
    app.run()
    assert not app.exception
    notices = " ".join(warning.value for warning in app.warning)
    assert "atlantis" in notices
    assert "2026-02-30" in notices


def test_no_location_chosen_says_so(app):
    app.run()
    app.multiselect(key="f_locations").set_value([]).run()
    assert not app.exception
    assert any("Choose at least one location" in info.value for info in app.info)


def test_download_buttons_are_offered_with_their_labels(app):
    app.run()
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Weekly metrics (CSV)", "Weekly metrics (Excel)"]


def test_unreachable_database_is_reported_and_recovers_without_restart(
    demo_url, tmp_path, monkeypatch
):
    target = tmp_path / "later" / "clinic.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    down = AppTest.from_file(APP, default_timeout=60).run()
    assert not down.exception
    assert down.error and "cannot be reached" in down.error[0].value

    target.parent.mkdir()
    shutil.copy(demo_url.removeprefix("sqlite:///"), target)
    up = AppTest.from_file(APP, default_timeout=60).run()
    assert not up.exception
    assert not up.error
    assert up.metric
    assert os.path.exists(target)


def _report_row(url: str, week: date) -> dict:
    engine = open_database(url)
    with engine.connect() as conn:
        report = weekly_metrics(conn, scope=EVERYTHING, locations=None, start=week, end=week)
    engine.dispose()
    return report[report["location_id"] == "ALL"].iloc[0].to_dict()


def test_card_changes_are_whole_counts_and_rate_points(app, demo_url):
    app.run()
    # Latest complete week 2026-03-09 against the week of 2026-03-02.
    now, before = _report_row(demo_url, date(2026, 3, 9)), _report_row(demo_url, date(2026, 3, 2))
    deltas = {metric.label: metric.proto.delta for metric in app.metric}
    requests = int(now["consult_requests"] - before["consult_requests"])
    assert deltas["Consult requests"] == (f"{requests:+,d}" if requests else "0")
    points = round(now["no_show_rate_pct"] - before["no_show_rate_pct"], 1)
    assert deltas["No-show rate"] == (f"{points:+.1f} pp" if points else "0.0 pp")
    assert deltas["Median response"].endswith(" min")


def test_latest_week_conversion_is_flagged_as_still_rising(app):
    app.run()
    conversion = next(m for m in app.metric if m.label == "Consult conversion")
    assert "final from 15 Apr 2026" in conversion.proto.help  # 2026-03-09 + 7 + 30 days
    assert any("still rising" in caption.value for caption in app.caption)


def test_infusions_page_shows_new_patients_series_and_boosters(app):
    app.run()
    app.switch_page("app_pages/infusions.py").run()
    milestones = [
        json.loads(chart.proto.spec)
        for chart in app.get("plotly_chart")
        if "boosters" in json.loads(chart.proto.spec)["layout"]["title"]["text"]
    ]
    assert [trace["name"] for trace in milestones[0]["data"]] == [
        "New patients",
        "Series completed",
        "Booster infusions",
    ]


def test_locations_table_has_a_row_per_metric_with_readable_names(app, demo_url):
    app.run()
    app.switch_page("app_pages/locations.py").run()
    table = app.dataframe[0].value
    assert "No-show rate" in table.index
    assert "no_show_rate_pct" not in table.index
    assert table.columns[-1] == "All selected"
    assert len(table.columns) == len(_location_ids(demo_url)) + 1
