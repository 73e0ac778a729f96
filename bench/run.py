"""The network-scale benchmark: import, weekly report, naive pandas, DuckDB and the browser.

    python -m bench [--locations 200] [--years 5] [--databases sqlite postgresql] [--repeat 3]

Every contender runs in its own process (`bench.contenders`), side by side in one run, repeated
and reported as medians; the results go to stdout and to the results section of
docs/performance.md, with the machine and its load average during the run.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
RESULTS_MARK = "<!-- benchmark results below: written by python -m bench -->"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "clinic_bench"
TODAY = date(2025, 6, 30)


@dataclass
class Run:
    """Everything measured, keyed by contender and database."""

    args: argparse.Namespace
    generate_seconds: float | None = None
    results: dict[str, list[dict]] = field(default_factory=dict)
    equal: dict[str, bool] = field(default_factory=dict)
    browser: dict[str, dict[str, float]] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)

    def add(self, name: str, result: dict) -> None:
        self.results.setdefault(name, []).append(result)

    def median(self, name: str, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in self.results[name])


def _contender(*arguments: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.contenders", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"contender {arguments[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _log(text: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def _sample_load(run: Run, stop: threading.Event) -> None:
    while not stop.wait(5):
        run.loads.append(os.getloadavg()[0])


def _source_data(args: argparse.Namespace, work: Path) -> tuple[Path, float | None]:
    """Contract CSV files of the demo network (generated once per size, then reused)."""
    tag = f"{args.locations}x{args.years:g}y-{args.today.isoformat()}"
    files = work / f"csv-{tag}"
    if (files / "bookings.csv").is_file():
        return files, None
    from data.export import export_contract_files
    from data.generate import generate_database
    from queries.db import open_database

    source = work / f"source-{tag}.sqlite"
    source.unlink(missing_ok=True)
    url = f"sqlite:///{source}"
    _log(f"generating {args.locations} locations x {args.years:g} years")
    started = time.perf_counter()
    engine = open_database(url)
    generate_database(engine, locations=args.locations, years=args.years, today=args.today)
    seconds = time.perf_counter() - started
    _log(f"generated in {seconds:.0f} s; exporting contract files")
    partial = files.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    export_contract_files(engine, partial)
    engine.dispose()
    (partial / "users.csv").unlink(missing_ok=True)
    partial.rename(files)
    return files, seconds


def _fresh_database(kind: str, work: Path) -> str:
    if kind == "sqlite":
        path = work / "bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # The database name is a module constant, never input.
        conn.execute(text('DROP DATABASE IF EXISTS "' + PG_BENCH_DB + '" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "' + PG_BENCH_DB + '"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_BENCH_DB


def _browser(url: str, runs: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "scripts/measure_browser.py", "--db", url, "--runs", str(runs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # The imported files are real-looking data: without sign-in configured the app would
        # show its setup page; the benchmark opens it as a single-user install does.
        env={**os.environ, "DASHBOARD_AUTH": "off"},
    )
    if done.returncode != 0:
        _log(f"browser measurement failed:\n{done.stderr[-2000:]}")
        return {}
    found = {}
    for name, median, worst in re.findall(r"(\w+_ms): median (\d+), worst (\d+)", done.stdout):
        found[name] = float(median)
        found[name.replace("_ms", "_worst_ms")] = float(worst)
    return found


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
        )
    except AssertionError:
        return False
    return True


def measure(args: argparse.Namespace) -> Run:
    run = Run(args)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_load, args=(run, stop), daemon=True)
    sampler.start()
    try:
        files, run.generate_seconds = _source_data(args, work)
        start = args.today - timedelta(weeks=51)
        period = ["--start", start.isoformat(), "--end", args.today.isoformat()]
        duck = str(work / "bench.duckdb")
        urls = {}
        for kind in args.databases:
            urls[kind] = _fresh_database(kind, work)
            _log(f"importing into {kind}")
            run.add(
                f"import/{kind}", _contender("import", "--db", urls[kind], "--files", str(files))
            )
        _log("ingesting into DuckDB")
        run.add(
            "import/duckdb", _contender("duckdb-import", "--duckdb", duck, "--files", str(files))
        )
        frames: dict[str, pd.DataFrame] = {}
        for repeat in range(args.repeat):
            _log(f"weekly report, round {repeat + 1} of {args.repeat}")
            for kind, url in urls.items():
                for contender in ("weekly", "naive"):
                    out = str(work / f"{contender}-{kind}.pkl")
                    result = _contender(contender, "--db", url, *period, "--out", out)
                    run.add(f"{contender}/{kind}", result)
                    frames[f"{contender}/{kind}"] = pd.read_pickle(out)
            out = str(work / "duckdb.pkl")
            run.add(
                "weekly/duckdb",
                _contender("duckdb-weekly", "--duckdb", duck, *period, "--out", out),
            )
            frames["weekly/duckdb"] = pd.read_pickle(out)
        reference = frames[f"naive/{args.databases[0]}"]
        for name, frame in frames.items():
            run.equal[name] = _same(frame, reference)
        if args.browser_runs:
            for kind, url in urls.items():
                _log(f"browser on {kind}")
                run.browser[kind] = _browser(url, args.browser_runs)
    finally:
        stop.set()
    return run


def _machine(run: Run) -> list[str]:
    cpu = "unknown"
    memory = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s*(\d+) kB", meminfo.read_text())
        memory = f"{int(found.group(1)) / 1024**2:.1f} GiB" if found else memory
    loads = run.loads or [os.getloadavg()[0]]
    return [
        f"- Machine: {os.cpu_count()} CPUs (nproc), {memory} memory, {cpu}; "
        f"Python {platform.python_version()}",
        f"- Load average (1 min) during the run: min {min(loads):.2f}, "
        f"median {statistics.median(loads):.2f}, max {max(loads):.2f} "
        f"({len(loads)} samples, every 5 s)",
    ]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def report(run: Run) -> str:
    """The results section: tables of medians, ratios and goals, as Markdown."""
    a = run.args
    rows = run.results
    lines = [
        f"## Results: {a.locations} locations x {a.years:g} years "
        f"(data to {a.today.isoformat()}; {a.repeat} rounds, medians)",
        "",
        *_machine(run),
        f"- Command: `python -m bench --locations {a.locations} --years {a.years:g} "
        f"--databases {' '.join(a.databases)} --repeat {a.repeat} "
        f"--browser-runs {a.browser_runs}`",
    ]
    if run.generate_seconds is not None:
        lines.append(f"- Generating the data (`data.generate`): {run.generate_seconds:.0f} s")
    duck_import = run.median("import/duckdb")
    total_rows = rows["import/duckdb"][0]["rows"]
    lines += [
        "",
        "### Import (all contract CSV files, full validation, into an empty database)",
        "",
        "| contender | rows | seconds | rows/s | peak RSS MB | x DuckDB | goal <= 20x |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for kind in [*a.databases, "duckdb"]:
        r = rows[f"import/{kind}"][0]
        ratio = r["seconds"] / duck_import
        goal = "" if kind == "duckdb" else _verdict(ratio <= 20)
        lines.append(
            f"| {kind} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} "
            f"| {r['peak_rss_mb']:.0f} | {ratio:.1f} | {goal} |"
        )
    del total_rows
    duck = run.median("weekly/duckdb")
    lines += [
        "",
        "### Weekly report, whole network, 52 weeks",
        "",
        "| database | ours s | naive s (load s) | DuckDB s | ours / naive time | "
        "ours MB | naive MB | ours / naive memory | ours / DuckDB time | goals (1/3) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind in a.databases:
        ours, naive = run.median(f"weekly/{kind}"), run.median(f"naive/{kind}")
        loaded = run.median(f"naive/{kind}", "load_seconds")
        ours_mb = run.median(f"weekly/{kind}", "peak_rss_mb")
        naive_mb = run.median(f"naive/{kind}", "peak_rss_mb")
        ok = ours <= naive / 3 and ours_mb <= naive_mb / 3
        lines.append(
            f"| {kind} | {ours:.2f} | {naive:.1f} ({loaded:.1f}) | {duck:.2f} "
            f"| {ours / naive:.3f} | {ours_mb:.0f} | {naive_mb:.0f} | {ours_mb / naive_mb:.2f} "
            f"| {ours / duck:.2f} | {_verdict(ok)} |"
        )
    same = all(run.equal.values())
    lines += [
        "",
        "Figures equal cell for cell (ours on every database, naive pandas, DuckDB): "
        + ("yes" if same else "**NO**: " + ", ".join(k for k, v in run.equal.items() if not v)),
    ]
    if run.browser:
        lines += [
            "",
            "### Dashboard in Chromium (Overview page, `scripts/measure_browser.py`)",
            "",
            "| database | first render ms (median / worst) | naive load ms | filter change ms "
            "(median / worst) | a page's first change ms | uncached / cached ms "
            "| first render < naive load | filter <= 500 ms |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for kind, b in run.browser.items():
            if not b:
                failed = f"| {kind} | failed (see the log) |" + " |" * 5
                lines.append(failed + " **NOT met** | **NOT met** |")
                continue
            naive_load = run.median(f"naive/{kind}", "load_seconds") * 1000
            first, change = b["open_to_charts_ms"], b["filter_to_settled_ms"]
            lines.append(
                f"| {kind} | {first:.0f} / {b['open_to_charts_worst_ms']:.0f} | {naive_load:.0f} "
                f"| {change:.0f} / {b['filter_to_settled_worst_ms']:.0f} "
                f"| {b.get('filter_first_ms', float('nan')):.0f} "
                f"| {b.get('filter_uncached_ms', float('nan')):.0f} / "
                f"{b.get('filter_cached_ms', float('nan')):.0f} "
                f"| {_verdict(first < naive_load)} | {_verdict(change <= 500)} |"
            )
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    """Replace the results section of docs/performance.md, keeping the hand-written part above."""
    text = DOC.read_text() if DOC.exists() else ""
    head = text.split(RESULTS_MARK)[0].rstrip() + "\n\n" if text else ""
    DOC.write_text(head + RESULTS_MARK + "\n\n" + section)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=TODAY, help="last data day")
    parser.add_argument(
        "--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the query contenders")
    parser.add_argument("--browser-runs", type=int, default=5, help="0 skips the browser")
    parser.add_argument("--workdir", default="/tmp/clinic-bench", help="data and databases")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    section = report(measure(args))
    sys.stdout.write(section)
    if not args.no_doc:
        write_doc(section)
    return 0
