"""One benchmark contender per process, so each peak memory (ru_maxrss) is its own.

    python -m bench.contenders import --db URL --files DIR
    python -m bench.contenders weekly|naive --db URL --start D --end D --out FILE
    python -m bench.contenders duckdb-import --duckdb FILE --files DIR
    python -m bench.contenders duckdb-weekly --duckdb FILE --start D --end D --out FILE

Prints one JSON object: `seconds` of the measured step, `peak_rss_mb` of the whole process
(interpreter and libraries included, the same for every contender), and contender extras.
"""

import argparse
import json
import re
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
    "naive": _naive,
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
    result["peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
