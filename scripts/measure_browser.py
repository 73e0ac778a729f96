"""Measure the dashboard in Chromium: open -> charts drawn, and filter change -> page settled.

    python scripts/measure_browser.py --db URL [--runs 5] [--changes 3] [--replicas N]
        [--screenshot F.png]

Starts `streamlit run` on a free port against `--db` (with `--replicas N`: `bash scripts/serve
--replicas N`, whose replicas warm up before its proxy opens, as the whole group is served) and
opens the Overview `--runs` times, each in a fresh browser context (no cache, no open
connection), as a manager opening a link does. In
each it then changes the period `--changes` times, as a manager choosing dates does. It reports
the median and worst of each timing in milliseconds, with the machine's load average before and
after (compare runs only at similar load).

A filter change is the choice of an option: the "Period" dropdown is opened first, and the change
is timed from the option's pointerdown to the first frame painted with the page settled: the
link changed, the script run finished, nothing left stale and every chart drawn. Both ends are
taken in the page (`performance.now()`), so the driver's own round trips are not counted.

The changes alternate between two presets, and the server's cache outlives a browser context:
the first change to each preset reads the database (`filter_uncached_ms`), later ones are
served from the cache (`filter_cached_ms`). `filter_first_ms` is each page's first change (a
fresh page has not yet run the code a change runs); `filter_to_settled_ms` takes every change.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.streamlit_server import (
    SETTLED,
    dashboard_server,
    free_port,
    launch,
    scripts_serve,
    wait_for_charts,
    wait_settled,
)

OVERVIEW_CHARTS = 4
PRESETS = ("Last 4 weeks", "Last 26 weeks")
# Armed before the option is clicked: notes the pointerdown, then checks every animation frame
# whether the page has settled, and notes the time once that frame has been painted (a task
# queued from the frame's callback runs after its paint).
WATCH_CHANGE = """([before, charts, settled]) => {
  const change = window.__change = {clicked: null, settled: null};
  document.addEventListener('pointerdown', (event) => { change.clicked = event.timeStamp; },
                            {capture: true, once: true});
  const drawn = () => [...document.querySelectorAll('.stPlotlyChart')]
    .filter((chart) => chart.querySelector('.main-svg')).length >= charts;
  const check = () => {
    if (change.clicked !== null && window.location.href !== before
        && document.querySelector(settled) !== null
        && document.querySelectorAll('[data-stale="true"]').length === 0 && drawn()) {
      setTimeout(() => { change.settled = performance.now(); });
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
}"""


def change_period(page: Page, preset: str) -> float:
    """Choose `preset` in the "Period" dropdown; milliseconds until the page has settled."""
    page.get_by_test_id("stSelectbox").filter(has_text="Period").click()
    option = page.get_by_role("option", name=preset)
    option.wait_for(state="visible")
    page.evaluate(WATCH_CHANGE, [page.url, OVERVIEW_CHARTS, SETTLED])
    option.click()
    page.wait_for_function("() => window.__change.settled !== null", timeout=60_000)
    return page.evaluate("() => window.__change.settled - window.__change.clicked")


def measure(base: str, runs: int, changes: int, screenshot: Path | None) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {
        "open_to_charts_ms": [],
        "filter_to_settled_ms": [],
        "filter_first_ms": [],
        "filter_uncached_ms": [],
        "filter_cached_ms": [],
    }
    chosen: set[str] = set()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for run in range(runs):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(base + "/")
            wait_for_charts(page, OVERVIEW_CHARTS)
            wait_settled(page)
            timings["open_to_charts_ms"].append((time.perf_counter() - started) * 1000)
            for change in range(changes):
                preset = PRESETS[(run * changes + change) % len(PRESETS)]
                elapsed = change_period(page, preset)
                timings["filter_to_settled_ms"].append(elapsed)
                if change == 0:
                    timings["filter_first_ms"].append(elapsed)
                cached = "filter_cached_ms" if preset in chosen else "filter_uncached_ms"
                timings[cached].append(elapsed)
                chosen.add(preset)
            if screenshot and run == 0:
                page.screenshot(path=str(screenshot), full_page=True)
            context.close()
        browser.close()
    return timings


@contextmanager
def _server(database_url: str, replicas: int) -> Iterator[str]:
    """The app's base URL once it answers: `streamlit run`, or scripts/serve's proxy."""
    if not replicas:
        with dashboard_server(database_url) as base:
            yield base
        return
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "serve.log"
        with scripts_serve(port, replicas=replicas, env=env, options=[], log=log):
            yield f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL the app reads")
    parser.add_argument("--runs", type=int, default=5, help="pages opened, each in a new context")
    parser.add_argument("--changes", type=int, default=3, help="period changes on each page")
    parser.add_argument(
        "--replicas", type=int, default=0, help="serve through scripts/serve (0: streamlit run)"
    )
    parser.add_argument("--screenshot", type=Path, help="save a full-page screenshot here")
    args = parser.parse_args()
    # The machine's load changes these figures more than most code changes: report it alongside.
    load_before = os.getloadavg()
    with _server(args.db, args.replicas) as base:
        timings = measure(base, args.runs, args.changes, args.screenshot)
    load_after = os.getloadavg()
    sys.stdout.write(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{value:.2f}" for value in load_before)
        + "; after "
        + ", ".join(f"{value:.2f}" for value in load_after)
        + f"; {os.cpu_count()} CPUs\n"
    )
    for name, values in timings.items():
        if not values:  # too few changes to come back to a preset
            continue
        sys.stdout.write(
            f"{name}: median {statistics.median(values):.0f}, worst {max(values):.0f} "
            f"({len(values)} measured; first {values[0]:.0f})\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
