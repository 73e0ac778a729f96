"""One benchmark contender per process, so each peak memory (ru_maxrss) is its own.

    python -m bench.contenders import --db URL --files DIR
    python -m bench.contenders weekly|weekly-cli|naive --db URL --start D --end D --out FILE
    python -m bench.contenders naive-files --files DIR --start D --end D --out FILE
    python -m bench.contenders duckdb-import --duckdb FILE --files DIR
    python -m bench.contenders duckdb-weekly --duckdb FILE --start D --end D --out FILE

Prints one JSON object: `seconds` of the measured step, `peak_rss_mb` of the whole process
(interpreter and libraries included, the same for every contender), and contender extras.
`weekly-cli` times the command `python -m queries.weekly` as a whole process, start to exit,
and reports that process's peak memory instead of its own.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec from the parent process.
    found = re.search(r"VmHWM:\s*(\d+) kB", Path("/proc/self/status").read_text())
    return int(found.group(1)) / 1024


def _import(args: argparse.Namespace) -> dict:
    from data.load import import_files
    from queries.db import open_database

    engine = open_database(args.db)
    paths = sorted(Path(args.files).glob("*.csv"))
    started = time.perf_counter()
    summary = import_files(engine, paths)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": sum(f.rows for f in summary.files)}


def _weekly(args: argparse.Namespace) -> dict:
    # The query's time, not pandas' import: weekly_metrics imports it for its frame.
    import pandas  # noqa: F401

    from queries.db import make_engine
    from queries.scope import EVERYTHING
    from queries.weekly import weekly_metrics

    engine = make_engine(args.db)
    with engine.connect() as conn:
        started = time.perf_counter()
        frame = weekly_metrics(
            conn, scope=EVERYTHING, locations=None, start=args.start, end=args.end
        )
        seconds = time.perf_counter() - started
    engine.dispose()
    frame.to_pickle(args.out)
    return {"seconds": seconds, "rows": len(frame)}


def _weekly_cli(args: argparse.Namespace) -> dict:
    command = [sys.executable, "-m", "queries.weekly", "--db", args.db]
    command += ["--start", args.start.isoformat(), "--end", args.end.isoformat()]
    text = args.out + ".csv"
    command += ["--format", "csv", "--out", text]
    started = time.perf_counter()
    # This process imports nothing big before the command starts, so the peak that Linux
    # carries over into the command's usage from before its exec is this small one's.
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"python -m queries.weekly exited with {child.returncode}")
    import pandas as pd

    frame = pd.read_csv(text, dtype={"location_id": str})
    frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    frame.to_pickle(args.out)
    return {"seconds": seconds, "rows": len(frame), "process_peak_rss_mb": usage.ru_maxrss / 1024}


def _naive(args: argparse.Namespace) -> dict:
    from bench.naive import read_raw, weekly_report
    from queries.db import make_engine

    engine = make_engine(args.db)
    with engine.connect() as conn:
        started = time.perf_counter()
        raw = read_raw(conn)
        loaded = time.perf_counter() - started
        frame = weekly_report(raw, start=args.start, end=args.end)
        seconds = time.perf_counter() - started
    engine.dispose()
    frame.to_pickle(args.out)
    return {"seconds": seconds, "load_seconds": loaded, "rows": len(frame)}


def _naive_files(args: argparse.Namespace) -> dict:
    from bench.naive import read_files, weekly_report

    started = time.perf_counter()
    raw = read_files(Path(args.files))
    loaded = time.perf_counter() - started
    frame = weekly_report(raw, start=args.start, end=args.end)
    seconds = time.perf_counter() - started
    frame.to_pickle(args.out)
    return {"seconds": seconds, "load_seconds": loaded, "rows": len(frame)}


def _duckdb_import(args: argparse.Namespace) -> dict:
    import duckdb

    from bench.duck import ingest

    Path(args.duckdb).unlink(missing_ok=True)
    con = duckdb.connect(args.duckdb)
    started = time.perf_counter()
    rows = ingest(con, Path(args.files))
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def _duckdb_weekly(args: argparse.Namespace) -> dict:
    import duckdb

    from bench.duck import weekly_report

    con = duckdb.connect(args.duckdb, read_only=True)
    started = time.perf_counter()
    frame = weekly_report(con, start=args.start, end=args.end)
    seconds = time.perf_counter() - started
    con.close()
    frame.to_pickle(args.out)
    return {"seconds": seconds, "rows": len(frame)}


CONTENDERS = {
    "import": _import,
    "weekly": _weekly,
    "weekly-cli": _weekly_cli,
    "naive": _naive,
    "naive-files": _naive_files,
    "duckdb-import": _duckdb_import,
    "duckdb-weekly": _duckdb_weekly,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.contenders")
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("--db")
    parser.add_argument("--files")
    parser.add_argument("--duckdb")
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    result = CONTENDERS[args.contender](args)
    result["peak_rss_mb"] = result.pop("process_peak_rss_mb", None) or _peak_rss_mb()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
