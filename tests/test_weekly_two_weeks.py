"""The hand-checked two-weeks fixture, imported by the importer, reproduces its expected report."""

import subprocess
import sys
from datetime import date
from pathlib import Path

from data.load import import_files
from queries.report_csv import weekly_csv_bytes
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics
from tests.conftest import TWO_WEEKS

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = TWO_WEEKS / "expected-weekly-metrics.csv"


def import_fixture(engine) -> None:
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if p != EXPECTED])


def test_weekly_metrics_reproduce_expected_csv_byte_for_byte(engine):
    import_fixture(engine)
    with engine.connect() as conn:
        frame = weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=date(2026, 3, 2), end=date(2026, 3, 15)
        )
    assert weekly_csv_bytes(frame) == EXPECTED.read_bytes()


def test_cli_writes_expected_csv(engine, db_url, tmp_path):
    import_fixture(engine)
    out = tmp_path / "weekly.csv"
    command = [sys.executable, "-m", "queries.weekly", "--db", db_url]
    command += ["--start", "2026-03-02", "--end", "2026-03-15", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == EXPECTED.read_bytes()


def test_reimporting_the_same_files_changes_nothing(engine):
    import_fixture(engine)
    import_fixture(engine)
    with engine.connect() as conn:
        frame = weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=date(2026, 3, 2), end=date(2026, 3, 15)
        )
    assert weekly_csv_bytes(frame) == EXPECTED.read_bytes()
