"""The server's start (`streamlit run dashboard/app.py`) warms up before it answers anyone:
once its health check answers, the default views are loaded (dashboard/warmup.py)."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from data.load import import_files
from tests.browser.streamlit_server import free_port
from tests.conftest import TWO_WEEKS

ROOT = Path(__file__).resolve().parent.parent
WARMED = "warm-up: default views of 1 scope(s)"


def _log_once_answering(db_url: str, log: Path, **settings: str) -> str:
    """Start the server, wait for its health check to answer, stop it; its log until then."""
    env = {**os.environ, "DATABASE_URL": db_url, "DASHBOARD_AUTH": "off", **settings}
    port = free_port()
    health = f"http://127.0.0.1:{port}/_stcore/health"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
                "--server.port", str(port), "--server.headless", "true",
                "--server.address", "127.0.0.1",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(health) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            return log.read_text()
        finally:
            process.terminate()
            process.wait(timeout=20)


def _fill(engine) -> None:
    import_files(engine, [p for p in TWO_WEEKS.glob("*.csv") if "expected" not in p.name])


def test_the_default_views_are_loaded_before_the_server_answers(db_url, engine, tmp_path):
    _fill(engine)
    assert WARMED in _log_once_answering(db_url, tmp_path / "server.log")


def test_warm_up_off_loads_nothing_at_the_start(db_url, engine, tmp_path):
    _fill(engine)
    log = _log_once_answering(db_url, tmp_path / "server.log", DASHBOARD_WARMUP="off")
    assert "warm-up" not in log
    assert "Traceback" not in log
