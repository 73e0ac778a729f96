"""A command imports only what it uses: no Alembic when the schema is at the newest migration,
no Excel writer for CSV output, no pandas for a weekly CSV report, nothing of the dashboard; a
database behind is still migrated."""

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select

from queries.db import ALEMBIC_VERSION, MIGRATIONS, head_revision, make_engine, upgrade
from tests.builders import add_location
from tests.conftest import TWO_WEEKS

ROOT = Path(__file__).resolve().parent.parent
NOT_FOR_A_CSV_REPORT = {"alembic", "xlsxwriter", "openpyxl", "streamlit", "dashboard", "plotly"}


def _alembic_head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _weekly_csv(url: str, out: Path) -> set[str]:
    """Run `python -m queries.weekly --format csv`; the top-level packages it imported."""
    period = ["--start", "2026-03-02", "--end", "2026-03-08"]
    return _imported("queries.weekly", "--db", url, *period, "--format", "csv", "--out", str(out))


def _imported(*command: str) -> set[str]:
    """Run `python -m COMMAND...`; the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # -X importtime writes "import time: self | cumulative | package.module" for each import.
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def _stored_revision(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.scalars(select(ALEMBIC_VERSION.c.version_num)).all()
    engine.dispose()
    return found


def test_head_revision_read_from_the_files_is_alembics_head():
    assert head_revision() == _alembic_head()


def test_weekly_csv_on_a_database_at_head_imports_no_alembic_excel_pandas_or_dashboard(
    db_url, engine, tmp_path
):
    with engine.begin() as conn:
        add_location(conn, "arlington")
    imported = _weekly_csv(db_url, tmp_path / "weekly.csv")
    assert imported & (NOT_FOR_A_CSV_REPORT | {"pandas"}) == set()
    assert {"queries", "sqlalchemy", "numpy"} <= imported  # the list is read right
    lines = (tmp_path / "weekly.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [
        ["2026-03-02", "arlington"],
        ["2026-03-02", "ALL"],
    ]


def test_weekly_csv_on_a_database_behind_migrates_it_first(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        add_location(conn, "arlington")
    engine.dispose()
    assert _stored_revision(url) == ["0004"]
    imported = _weekly_csv(url, tmp_path / "weekly.csv")
    assert "alembic" in imported
    assert _stored_revision(url) == [_alembic_head()]


def test_weekly_csv_on_a_new_database_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    imported = _weekly_csv(url, tmp_path / "weekly.csv")
    assert "alembic" in imported
    assert _stored_revision(url) == [_alembic_head()]
    assert (tmp_path / "weekly.csv").read_text().startswith("week_start,location_id,")


def test_importing_csv_files_loads_no_workbook_reader_or_dashboard(db_url):
    imported = _imported("data.load", "--db", db_url, str(TWO_WEEKS / "locations.csv"))
    assert imported & NOT_FOR_A_CSV_REPORT == set()
    assert {"data", "queries", "pandas"} <= imported
