"""`python -m bench.load` against a real server: every view is a new session that runs to its end,
and a page showing an error counts as a failed view."""

import os
import re
import subprocess
import sys
from datetime import date

import pytest

from bench.load import links, percentile
from data.load import import_files
from queries.db import open_database
from tests.browser.streamlit_server import ROOT, free_port, serve
from tests.conftest import TWO_WEEKS

SUMMARY = re.compile(r"median (\S+) s  p95 (\S+) s  max (\S+) s")


def test_links_give_each_manager_their_location_and_periods_no_one_else_asked_for():
    plan = links(["arlington", "rockville"], date(2026, 3, 2), managers=3, views=2)
    assert plan == [
        [
            "location=arlington&start=2026-02-09&end=2026-03-08",
            "location=arlington&start=2026-02-02&end=2026-03-08",
        ],
        [
            "location=rockville&start=2026-02-09&end=2026-03-08",
            "location=rockville&start=2026-02-02&end=2026-03-08",
        ],
        [
            "location=arlington&start=2026-01-26&end=2026-03-08",
            "location=arlington&start=2026-01-19&end=2026-03-08",
        ],
    ]


def test_whole_network_links_name_no_location_and_still_new_periods():
    plan = links(
        ["arlington", "rockville"], date(2026, 3, 2), managers=3, views=1, whole_network=True
    )
    assert plan == [
        ["start=2026-02-09&end=2026-03-08"],
        ["start=2026-02-02&end=2026-03-08"],
        ["start=2026-01-26&end=2026-03-08"],
    ]


def test_p95_is_the_nearest_rank():
    assert percentile([float(n) for n in range(20, 0, -1)], 0.95) == 19.0
    assert percentile([3.0], 0.95) == 3.0


@pytest.fixture(scope="module")
def clinic_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('load') / 'clinic.sqlite'}"
    engine = open_database(url)
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if "expected" not in p.name])
    engine.dispose()
    return url


def _load(base: str, db: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.load", "--managers", "3", "--over", "1", "--views", "2",
         "--gap", "0.2", "--timeout", "60", "--url", base, "--db", db],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_AUTH"}
    return env | changes


def test_load_runs_every_view_to_its_end(clinic_url):
    with serve(free_port(), env=_env(DATABASE_URL=clinic_url, DASHBOARD_AUTH="off")) as base:
        result = _load(base, clinic_url)
    assert result.returncode == 0, result.stderr
    assert "6 views, 0 errors" in result.stdout
    median, p95, most = (float(x) for x in SUMMARY.search(result.stdout).groups())
    assert 0 < median <= p95 <= most


def test_a_page_showing_an_error_is_a_failed_view(clinic_url):
    # Imported data without sign-in configured: every page is the setup error.
    with serve(free_port(), env=_env(DATABASE_URL=clinic_url)) as base:
        result = _load(base, clinic_url)
    assert result.returncode == 1
    assert "6 views, 6 errors" in result.stdout
    assert "error on the page: Sign-in is not configured" in result.stderr


def test_only_loopback_addresses(clinic_url):
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--url", "http://example.org", "--db", clinic_url],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "only http(s) on a loopback address" in result.stderr
