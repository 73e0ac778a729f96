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

from bench.files import shuffled_files, week_reexport

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
RESULTS_MARK = "<!-- benchmark results below: written by python -m bench -->"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# How the browser measurement serves the app: as the Quick start does, and for the whole group.
SERVERS = ("streamlit run", "scripts/serve --replicas 1")
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


def _browser(url: str, runs: int, replicas: int = 0) -> dict[str, float]:
    script = ["scripts/measure_browser.py", "--db", url, "--runs", str(runs)]
    done = subprocess.run(
        [sys.executable, *script, "--replicas", str(replicas)],
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
    pattern = r"(\w+_ms): median (\d+), worst (\d+) \(\d+ measured; first (\d+)\)"
    for name, median, worst, first in re.findall(pattern, done.stdout):
        found[name] = float(median)
        found[name.replace("_ms", "_worst_ms")] = float(worst)
        found[name.replace("_ms", "_first_ms")] = float(first)
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
        orders = {"import": files}
        if args.shuffle:
            _log("shuffling the rows of the files")
            orders["import-shuffled"] = shuffled_files(files, args.seed)
        start = args.today - timedelta(weeks=51)
        period = ["--start", start.isoformat(), "--end", args.today.isoformat()]
        duck = str(work / "bench.duckdb")
        urls = {}
        for kind in args.databases:
            for order, directory in orders.items():
                urls[kind] = _fresh_database(kind, work)
                _log(f"{order} into {kind}")
                run.add(
                    f"{order}/{kind}",
                    _contender("import", "--db", urls[kind], "--files", str(directory)),
                )
        # DuckDB's ingest takes seconds and varies by half from run to run on a shared machine:
        # its median over the rounds anchors the ratios, not one lucky or unlucky run. The file
        # order goes last, as the weekly query reads the database it leaves.
        for repeat in range(args.repeat):
            for order, directory in reversed(orders.items()):
                _log(f"{order}: DuckDB ingest, round {repeat + 1} of {args.repeat}")
                run.add(
                    f"{order}/duckdb",
                    _contender("duckdb-import", "--duckdb", duck, "--files", str(directory)),
                )
        frames: dict[str, pd.DataFrame] = {}

        def query(contender: str, name: str, *arguments: str) -> None:
            out = str(work / (re.sub(r"\W+", "-", name) + ".pkl"))
            run.add(name, _contender(contender, *arguments, *period, "--out", out))
            frames[name] = pd.read_pickle(out)

        for repeat in range(args.repeat):
            _log(f"weekly report, round {repeat + 1} of {args.repeat}")
            for kind, url in urls.items():
                # Naive pandas over the tables is no goal's anchor and takes a minute: one round.
                contenders = (
                    ("weekly", "weekly-cli", "naive") if repeat == 0 else ("weekly", "weekly-cli")
                )
                for contender in contenders:
                    query(contender, f"{contender}/{kind}", "--db", url)
            query("naive-files", "naive-files", "--files", str(files))
            query("duckdb-weekly", "weekly/duckdb", "--duckdb", duck)
        reference = frames[f"naive/{args.databases[0]}"]
        for name, frame in frames.items():
            run.equal[name] = _same(frame, reference)
        for repeat in range(args.repeat):
            week = week_reexport(files, last_day=args.today, seed=args.seed + repeat)
            for kind, url in urls.items():
                _log(f"a week's re-export into {kind}, round {repeat + 1} of {args.repeat}")
                run.add(f"reexport/{kind}", _contender("import", "--db", url, "--files", str(week)))
        for kind, url in urls.items():
            # The re-exports changed the stored rows: the report must follow them.
            query("weekly", f"after re-export: weekly/{kind}", "--db", url)
            query("naive", f"after re-export: naive/{kind}", "--db", url)
            run.equal[f"after re-export: weekly/{kind}"] = _same(
                frames[f"after re-export: weekly/{kind}"], frames[f"after re-export: naive/{kind}"]
            )
        if args.browser_runs:
            for kind, url in urls.items():
                _log(f"browser on {kind}")
                run.browser[f"{kind}, {SERVERS[0]}"] = _browser(url, args.browser_runs)
                _log(f"browser on {kind} through scripts/serve")
                run.browser[f"{kind}, {SERVERS[1]}"] = _browser(url, args.browser_runs, 1)
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


def _ratio_goal(ratio: float, limit: float, unit: str) -> str:
    return f"{ratio:.2f}x {unit}: {_verdict(ratio <= limit)}"


def report(run: Run) -> str:
    """The results section: tables of medians, ratios and goals, as Markdown."""
    a = run.args
    rows = run.results
    orders = ["import", "import-shuffled"] if a.shuffle else ["import"]
    lines = [
        f"## Results: {a.locations} locations x {a.years:g} years "
        f"(data to {a.today.isoformat()}; {a.repeat} rounds, medians)",
        "",
        *_machine(run),
        f"- Command: `python -m bench --locations {a.locations} --years {a.years:g} "
        f"--databases {' '.join(a.databases)} --repeat {a.repeat} "
        f"--browser-runs {a.browser_runs}" + (f" --shuffle --seed {a.seed}`" if a.shuffle else "`"),
    ]
    if run.generate_seconds is not None:
        lines.append(f"- Generating the data (`data.generate`): {run.generate_seconds:.0f} s")
    duck_import = run.median("import/duckdb")
    duck = run.median("weekly/duckdb")
    goals = {
        "Full import, file order: at most 20x DuckDB's ingest": {},
        "Full import, rows shuffled: at most 20x DuckDB's ingest": {},
        "A week's re-export into the full database: at most 2x DuckDB's ingest of all of it": {},
        "`python -m queries.weekly`, whole process: time at most 1/3 of naive pandas over the "
        "CSV files": {},
        "`python -m queries.weekly`, whole process: peak memory at most 1/3 of naive pandas "
        "over the CSV files": {},
        "The report's own query (in process): at most 2x DuckDB's query of the raw rows": {},
    }
    names = list(goals)
    naive_files = run.median("naive-files")
    naive_files_mb = run.median("naive-files", "peak_rss_mb")
    for kind in a.databases:
        for order, name in zip(orders, names, strict=False):
            ratio = run.median(f"{order}/{kind}") / run.median(f"{order}/duckdb")
            goals[name][kind] = _ratio_goal(ratio, 20, "DuckDB")
        ratio = run.median(f"reexport/{kind}") / duck_import
        goals[names[2]][kind] = _ratio_goal(ratio, 2, "DuckDB")
        ratio = run.median(f"weekly-cli/{kind}") / naive_files
        goals[names[3]][kind] = _ratio_goal(ratio, 1 / 3, "naive")
        ratio = run.median(f"weekly-cli/{kind}", "peak_rss_mb") / naive_files_mb
        goals[names[4]][kind] = _ratio_goal(ratio, 1 / 3, "naive")
        ratio = run.median(f"weekly/{kind}") / duck
        goals[names[5]][kind] = _ratio_goal(ratio, 2, "DuckDB")
    same = all(run.equal.values())
    lines += [
        "",
        "### Goals",
        "",
        "| goal | " + " | ".join(a.databases) + " |",
        "|---|" + "---|" * len(a.databases),
    ]
    for name, verdicts in goals.items():
        cells = [verdicts.get(kind, "not measured (needs `--shuffle`)") for kind in a.databases]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Figures equal cell for cell (ours on every database, in process and from the command, "
        "naive pandas over the tables and over the CSV files, DuckDB; and ours against naive "
        "pandas after the re-exports): "
        + ("yes" if same else "**NO**: " + ", ".join(k for k, v in run.equal.items() if not v)),
        "",
        "### Import (all contract CSV files, full validation, into an empty database)",
        "",
        "| files | contender | rows | seconds | rows/s | peak RSS MB | x DuckDB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for order in orders:
        label = "rows shuffled" if order == "import-shuffled" else "file order"
        for kind in [*a.databases, "duckdb"]:
            runs = rows[f"{order}/{kind}"]
            r, seconds = runs[0], run.median(f"{order}/{kind}")
            ratio = seconds / run.median(f"{order}/duckdb")
            if len(runs) > 1:
                times = sorted(each["seconds"] for each in runs)
                kind += f" (median of {len(runs)}: {times[0]:.1f}-{times[-1]:.1f} s)"
            lines.append(
                f"| {label} | {kind} | {r['rows']:,} | {seconds:.1f} "
                f"| {r['rows'] / seconds:,.0f} | {r['peak_rss_mb']:.0f} | {ratio:.1f} |"
            )
    lines += [
        "",
        "### A week's re-export into the full database (`bench/files.py`: a week of bookings "
        "and requests, already stored; a tenth with a new status, a fiftieth moved a day, a "
        "fiftieth moved to another location)",
        "",
        "| database | rows | seconds | peak RSS MB | x DuckDB's ingest of all the files |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in a.databases:
        seconds = run.median(f"reexport/{kind}")
        lines.append(
            f"| {kind} | {rows[f'reexport/{kind}'][0]['rows']:,} | {seconds:.2f} "
            f"| {run.median(f'reexport/{kind}', 'peak_rss_mb'):.0f} "
            f"| {seconds / duck_import:.2f} |"
        )
    lines += [
        "",
        "### Weekly report, whole network, 52 weeks",
        "",
        "Naive pandas over the CSV files: "
        f"{naive_files:.2f} s (reading {run.median('naive-files', 'load_seconds'):.2f} s), "
        f"peak {naive_files_mb:.0f} MB. DuckDB's query of the raw rows: {duck:.2f} s.",
        "",
        "| database | command s | command MB | query in process s | naive over tables s "
        "(load s; one round) | naive over tables MB | command / naive CSV time "
        "| command / naive CSV memory | query / DuckDB time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in a.databases:
        cli = run.median(f"weekly-cli/{kind}")
        cli_mb = run.median(f"weekly-cli/{kind}", "peak_rss_mb")
        ours = run.median(f"weekly/{kind}")
        naive = run.median(f"naive/{kind}")
        loaded = run.median(f"naive/{kind}", "load_seconds")
        naive_mb = run.median(f"naive/{kind}", "peak_rss_mb")
        lines.append(
            f"| {kind} | {cli:.2f} | {cli_mb:.0f} | {ours:.3f} | {naive:.1f} ({loaded:.1f}) "
            f"| {naive_mb:.0f} | {cli / naive_files:.3f} | {cli_mb / naive_files_mb:.2f} "
            f"| {ours / duck:.2f} |"
        )
    if run.browser:
        lines += [
            "",
            "### Dashboard in Chromium (Overview page, `scripts/measure_browser.py`)",
            "",
            "The first render right after a start (the server's first page) against naive "
            "pandas reading the CSV files and grouping them (`naive-files`, "
            f"{naive_files * 1000:.0f} ms); later renders in new browser contexts. Served by "
            f"`{SERVERS[0]}` as the Quick start does, and by `{SERVERS[1]}` as the README runs "
            "it for the whole group. Either way the server computes the default view at its "
            "start, before it answers (dashboard/app.py, dashboard/warmup.py), so the start "
            "ends when it is ready.",
            "",
            "| database, server | first render right after a start ms | render ms (median / worst) "
            "| filter change ms (median / worst) | a page's first change ms "
            "| uncached / cached ms | first render <= naive CSV | filter <= 500 ms |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for kind, b in run.browser.items():
            if not b:
                failed = f"| {kind} | failed (see the log) |" + " |" * 5
                lines.append(failed + " **NOT met** | **NOT met** |")
                continue
            first, change = b["open_to_charts_first_ms"], b["filter_to_settled_ms"]
            lines.append(
                f"| {kind} | {first:.0f} | {b['open_to_charts_ms']:.0f} / "
                f"{b['open_to_charts_worst_ms']:.0f} "
                f"| {change:.0f} / {b['filter_to_settled_worst_ms']:.0f} "
                f"| {b.get('filter_first_ms', float('nan')):.0f} "
                f"| {b.get('filter_uncached_ms', float('nan')):.0f} / "
                f"{b.get('filter_cached_ms', float('nan')):.0f} "
                f"| {_verdict(first <= naive_files * 1000)} | {_verdict(change <= 500)} |"
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
    parser.add_argument(
        "--shuffle",
        action="store_true",
        help="also import the files with their rows in random order (seeded by --seed)",
    )
    parser.add_argument("--seed", type=int, default=15, help="shuffle and re-export seed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    section = report(measure(args))
    sys.stdout.write(section)
    if not args.no_doc:
        write_doc(section)
    return 0
