"""Start the dashboard as `streamlit run` does, on a free port, and drive it with Chromium."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Streamlit marks its root element with the script's state; "notRunning" = the run has finished.
SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Clicks download() made per button label, retries included: a retried click may have reached the
# server and fetched the file, so tests that count the audit log's downloads bound them by this.
CLICKS: Counter[str] = Counter()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard_server(database_url: str) -> Iterator[str]:
    """The app served from `database_url` on a free port; yields its base URL."""
    with serve(free_port(), env={**os.environ, "DATABASE_URL": database_url}) as base:
        yield base


@contextmanager
def serve(
    port: int, *, env: dict[str, str], options: tuple[str, ...] = (), log: Path | None = None
) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on `port` with `env` and extra command-line `options`,
    its output in `log` if given; yields the base URL once the server answers its health check,
    and stops it afterwards."""
    output = log.open("w") if log is not None else None
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
            "--server.port", str(port), "--server.headless", "true",
            "--server.address", "127.0.0.1", *options,
        ],
        cwd=ROOT,
        env=env,
        stdout=output or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if output else subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = log.read_text() if log is not None else process.stderr.read().decode()
                    raise RuntimeError(said) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        if output is not None:
            output.close()


@contextmanager
def scripts_serve(
    port: int, *, replicas: int, env: dict[str, str], options: list[str], log: Path
) -> Iterator[list[int]]:
    """`bash scripts/serve --replicas N --port port -- options`, its output in `log`; yields the
    pids of the replicas it started once the proxy answers (every replica has warmed up), then
    stops it with SIGTERM."""
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "scripts/serve", "--replicas", str(replicas), "--port", str(port),
             "--address", "127.0.0.1", "--", *options],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.3)
        # scripts/serve says "replicaN is pid P, ..." for each replica it starts.
        lines = [line for line in log.read_text().splitlines() if " is pid " in line]
        yield [int(line.split(" is pid ")[1].split(",")[0]) for line in lines]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_settled(page: Page, timeout: float = 60_000) -> None:
    """Wait until the app's script run has finished and no element is left stale from before."""
    page.wait_for_selector(SETTLED, timeout=timeout)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=timeout
    )


def wait_for_charts(page: Page, count: int, timeout: float = 60_000) -> None:
    """Wait until `count` plotly charts have drawn their plot area."""
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=count,
        timeout=timeout,
    )


def download(page: Page, label: str) -> bytes:
    """Click the download button `label` and return the file it sends."""
    # A click that lands while a rerun replaces the button is dropped by Streamlit's front end
    # (seen once in CI right after sign-in), so click on a settled page and once more if needed.
    # The front end also disables every widget while its connection to the server is being
    # re-established (seen in CI: the button stayed disabled for a minute after sign-in); a
    # reload opens a fresh connection with the same signed-in session.
    for attempt in range(3):
        wait_settled(page)
        button = page.get_by_role("button", name=label)
        try:
            expect(button).to_be_enabled(timeout=20_000)
        except AssertionError:
            if attempt == 2:
                raise
            page.reload()
            continue
        try:
            with page.expect_download(timeout=30_000) as info:
                CLICKS[label] += 1
                button.click(timeout=10_000)
            return info.value.path().read_bytes()
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
