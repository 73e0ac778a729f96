"""The server's start (`streamlit run dashboard/app.py`) warms up before it answers anyone:
once its health check answers, the default views are loaded (dashboard/warmup.py)."""

import os
from pathlib import Path

from data.load import import_files
from tests.browser.streamlit_server import free_port, serve
from tests.conftest import TWO_WEEKS

WARMED = "warm-up: default views of 1 scope(s)"


def _log_once_answering(db_url: str, log: Path, **settings: str) -> str:
    """Start the server, wait for its health check to answer, stop it; its log until then."""
    env = {**os.environ, "DATABASE_URL": db_url, "DASHBOARD_AUTH": "off", **settings}
    with serve(free_port(), env=env, log=log):
        return log.read_text()


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
