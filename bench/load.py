"""`python -m bench.load`: the Monday rush against a running dashboard, server-side.

    python -m bench.load --managers 120 --over 60 [--views 5] [--gap 1] [--whole-network]
                         [--url URL] [--db URL]

Managers arrive evenly over `--over` seconds; each opens `--views` new links to their location
(locations in turn; with `--whole-network`, links to every location, as the operations director
opens them), each with a period of its own, `--gap` seconds apart. A manager opening a
link gets a session of its own, so every view is a new websocket session speaking Streamlit's
protocol: the client sends the `rerun_script` BackMsg with the link's query string and reads
ForwardMsgs until `script_finished`. A view's time runs from opening the connection to that
message. It prints the median, p95 and max, and exits with status 1 if any view failed (an
exception or an error message on the page, a closed connection, no finish within `--timeout`).

The server must show data without sign-in: a demo database, or `DASHBOARD_AUTH=off` on a copy
of the data. Locations and dates come from `--db` (default: `DATABASE_URL`, else the SQLite file
in data/), the database the server reads. Loopback addresses only, and every count and time is
bounded.
"""

import argparse
import asyncio
import math
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from queries import catalog
from queries.calendar_table import latest_complete_week
from queries.db import default_url, open_database
from queries.scope import EVERYTHING

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_MANAGERS, MAX_VIEWS, MAX_OVER, MAX_GAP, MAX_TIMEOUT = 1000, 20, 3600, 60, 600
# A view's period: 4 to 52 whole weeks ending with the latest complete week.
SHORTEST, LONGEST = 4, 52


@dataclass(frozen=True)
class View:
    seconds: float
    error: str | None = None


def links(
    location_ids: list[str],
    latest_week: date,
    *,
    managers: int,
    views: int,
    whole_network: bool = False,
) -> list[list[str]]:
    """Each manager's query strings: their location (in turn), or every location (no location
    in the link), a new period per view."""
    end = latest_week + timedelta(days=6)
    span = LONGEST - SHORTEST + 1
    result = []
    for manager in range(managers):
        location = location_ids[manager % len(location_ids)]
        # Managers sharing a location (or all of them, the whole network) get periods the others
        # did not ask for.
        first = (manager if whole_network else manager // len(location_ids)) * views
        where = {} if whole_network else {"location": location}
        result.append(
            [
                urlencode(
                    where
                    | {
                        "start": latest_week - timedelta(weeks=SHORTEST - 1 + (first + k) % span),
                        "end": end,
                    }
                )
                for k in range(views)
            ]
        )
    return result


def _page_error(msg: ForwardMsg) -> str | None:
    if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
        return None
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"exception on the page: {element.exception.type} {element.exception.message}"
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return f"error on the page: {element.alert.body.splitlines()[0][:200]}"
    return None


async def open_view(stream_url: str, query: str, timeout: float) -> View:
    """One new session: ask for the link `query` and wait for the end of the script's run."""
    began = time.perf_counter()
    error = None
    try:
        async with asyncio.timeout(timeout):
            async with connect(
                stream_url,
                subprotocols=["streamlit"],
                max_size=None,
                compression=None,
                open_timeout=None,
                ping_interval=None,
            ) as socket:
                back = BackMsg()
                back.rerun_script.query_string = query
                await socket.send(back.SerializeToString())
                async for frame in socket:
                    msg = ForwardMsg.FromString(frame)
                    error = error or _page_error(msg)
                    if msg.HasField("script_finished"):
                        if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                            error = error or f"run ended with status {msg.script_finished}"
                        break
                else:
                    error = error or "the server closed the connection before the run finished"
    except TimeoutError:
        error = f"no end of the run within {timeout:g} s"
    except (OSError, WebSocketException) as problem:
        error = f"connection failed: {problem}"
    return View(time.perf_counter() - began, error)


async def manager(
    stream_url: str, queries: list[str], *, delay: float, gap: float, timeout: float
) -> list[View]:
    await asyncio.sleep(delay)
    views = []
    for number, query in enumerate(queries):
        if number:
            await asyncio.sleep(gap)
        views.append(await open_view(stream_url, query, timeout))
    return views


async def rush(
    stream_url: str, plan: list[list[str]], *, over: float, gap: float, timeout: float
) -> list[View]:
    step = over / len(plan)
    done = await asyncio.gather(
        *(
            manager(stream_url, queries, delay=i * step, gap=gap, timeout=timeout)
            for i, queries in enumerate(plan)
        )
    )
    return [view for views in done for view in views]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with `fraction` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def bounded(name: str, low: float, high: float, kind=float):
    def parse(text: str):
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be from {low:g} to {high:g}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--managers", type=bounded("--managers", 1, MAX_MANAGERS, int), default=120)
    parser.add_argument("--over", type=bounded("--over", 0, MAX_OVER), default=60.0)
    parser.add_argument("--views", type=bounded("--views", 1, MAX_VIEWS, int), default=5)
    parser.add_argument("--gap", type=bounded("--gap", 0, MAX_GAP), default=1.0)
    parser.add_argument(
        "--whole-network",
        action="store_true",
        help="links to every location (no location in the link) instead of one each",
    )
    parser.add_argument("--timeout", type=bounded("--timeout", 1, MAX_TIMEOUT), default=120.0)
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--db", default=None, help="the server's database (default: DATABASE_URL)")
    args = parser.parse_args(argv)

    address = urlsplit(args.url)
    if address.scheme not in ("http", "https") or address.hostname not in LOOPBACK:
        parser.error(f"--url {args.url}: only http(s) on a loopback address (127.0.0.1, localhost)")
    scheme = "wss" if address.scheme == "https" else "ws"
    stream_url = f"{scheme}://{address.netloc}{address.path.rstrip('/')}/_stcore/stream"

    engine = open_database(args.db or default_url())
    with engine.connect() as conn:
        location_ids = list(catalog.visible_locations(conn, scope=EVERYTHING)["location_id"])
        last_activity = catalog.latest_activity_date(conn, scope=EVERYTHING)
    engine.dispose()
    if not location_ids:
        parser.error("the database holds no locations: import or generate data first")
    plan = links(
        location_ids,
        latest_complete_week(last_activity, date.today(), "mon"),
        managers=args.managers,
        views=args.views,
        whole_network=args.whole_network,
    )

    began = time.perf_counter()
    views = asyncio.run(rush(stream_url, plan, over=args.over, gap=args.gap, timeout=args.timeout))
    wall = time.perf_counter() - began
    seconds = [view.seconds for view in views]
    errors = [view.error for view in views if view.error]
    print(
        f"{args.managers} managers over {args.over:g} s, {args.views} new views each "
        + ("of the whole network " if args.whole_network else "")
        + f"{args.gap:g} s apart, against {args.url}: {len(views)} views, {len(errors)} errors, "
        f"in {wall:.1f} s"
    )
    print(
        f"median {statistics.median(seconds):.3f} s  p95 {percentile(seconds, 0.95):.3f} s  "
        f"max {max(seconds):.3f} s"
    )
    for error in sorted(set(errors))[:10]:
        print(f"error ({errors.count(error)}x): {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
