"""The `python -m data.load` command: exit status and what it prints."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from queries import schema
from queries.db import make_engine
from tests.conftest import TWO_WEEKS

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_FILES = [str(TWO_WEEKS / f"{k}.csv") for k in ("bookings", "locations", "capacity")]


def run_cli(*args: str, timeout: float = 120, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data.load", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
    )


def test_cli_imports_files_and_prints_a_summary_per_file(db_url):
    done = run_cli("--db", db_url, *FIXTURE_FILES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{TWO_WEEKS / 'locations.csv'}: 2 rows (2 inserted, 0 updated)",
        f"{TWO_WEEKS / 'capacity.csv'}: 6 rows (6 inserted, 0 updated, 0 stored rows replaced)",
        f"{TWO_WEEKS / 'bookings.csv'}: 10 rows (10 inserted, 0 updated)",
    ]
    assert "[100%]" in done.stderr
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(schema.bookings)) == 10
    engine.dispose()


def test_cli_refused_file_exits_1_lists_every_error_and_keeps_applied_files(tmp_path):
    bad = tmp_path / "closures.csv"
    bad.write_text("location_id,date\nrockville,tomorrow\nnowhere,2026-03-12\n")
    db = tmp_path / "cli.sqlite"
    done = run_cli("--db", f"sqlite:///{db}", str(bad), str(TWO_WEEKS / "locations.csv"))
    assert done.returncode == 1
    assert f"{bad}: REFUSED - nothing from this file was stored" in done.stdout
    assert f"{bad}:2: column 'date' = 'tomorrow': not a date (YYYY-MM-DD)" in done.stderr
    assert f"{bad}:3: column 'location_id' = 'nowhere': unknown location" in done.stderr
    assert "stay applied" in done.stderr
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(schema.locations)) == 2
        assert conn.scalar(select(func.count()).select_from(schema.closures)) == 0
    engine.dispose()


def test_cli_usage_errors_exit_2_before_touching_the_database(tmp_path):
    db = tmp_path / "never.sqlite"
    wrong_name = tmp_path / "appointments.csv"
    wrong_name.write_text("a\n")
    assert run_cli("--db", f"sqlite:///{db}", str(wrong_name)).returncode == 2
    assert run_cli("--db", f"sqlite:///{db}", str(tmp_path / "bookings.csv")).returncode == 2
    assert run_cli("--db", f"sqlite:///{db}").returncode == 2
    assert not db.exists()
