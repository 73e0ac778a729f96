"""Measure the dashboard in Chromium: open -> charts drawn, and filter change -> page settled.

    python scripts/measure_browser.py --db URL [--runs 5] [--screenshot overview.png]

Starts `streamlit run` on a free port against `--db`, opens the Overview `--runs` times in fresh
browser contexts, and reports the median and worst of each timing in milliseconds, with the
machine's load average before and after (compare runs only at similar load).

The filter change alternates between two presets, and the server's cache outlives a browser
context: the first change to each preset reads the database (`filter_uncached_ms`), later ones
are served from the cache (`filter_cached_ms`); `filter_to_settled_ms` takes all of them.

A filter change is the choice of an option: the "Period" dropdown is opened first, and the timer
starts when the option is clicked, so opening the dropdown is not counted. It stops when the
link has changed, the script run has finished, nothing is left stale and the charts are drawn.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.streamlit_server import (
    dashboard_server,
    launch,
    wait_for_charts,
    wait_settled,
)

OVERVIEW_CHARTS = 4


def measure(base: str, runs: int, screenshot: Path | None) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {
        "open_to_charts_ms": [],
        "filter_to_settled_ms": [],
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

            preset = "Last 4 weeks" if run % 2 == 0 else "Last 26 weeks"
            before = page.url
            page.get_by_test_id("stSelectbox").filter(has_text="Period").click()
            option = page.get_by_role("option", name=preset)
            option.wait_for(state="visible")
            started = time.perf_counter()
            option.click()
            page.wait_for_function("url => window.location.href !== url", arg=before)
            wait_settled(page)
            wait_for_charts(page, OVERVIEW_CHARTS)
            elapsed = (time.perf_counter() - started) * 1000
            timings["filter_to_settled_ms"].append(elapsed)
            cached = "filter_cached_ms" if preset in chosen else "filter_uncached_ms"
            timings[cached].append(elapsed)
            chosen.add(preset)
            if screenshot and run == 0:
                page.screenshot(path=str(screenshot), full_page=True)
            context.close()
        browser.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL the app reads")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, help="save a full-page screenshot here")
    args = parser.parse_args()
    # The machine's load changes these figures more than most code changes: report it alongside.
    load_before = os.getloadavg()
    with dashboard_server(args.db) as base:
        timings = measure(base, args.runs, args.screenshot)
    load_after = os.getloadavg()
    sys.stdout.write(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{value:.2f}" for value in load_before)
        + "; after "
        + ", ".join(f"{value:.2f}" for value in load_after)
        + f"; {os.cpu_count()} CPUs\n"
    )
    for name, values in timings.items():
        if not values:  # too few runs to change to a preset a second time
            continue
        sys.stdout.write(
            f"{name}: median {statistics.median(values):.0f}, worst {max(values):.0f} "
            f"({len(values)} runs; first run {values[0]:.0f})\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
