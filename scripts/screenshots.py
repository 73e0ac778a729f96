"""Take the README's screenshots: each page of the running app, opened from a shared link.

    python scripts/screenshots.py [--db URL] [--location arlington --location bethesda]
                                  [--start YYYY-MM-DD --end YYYY-MM-DD] [--out docs/screenshots]
    python scripts/screenshots.py --mapping-step [--out docs/screenshots]
    python scripts/screenshots.py --attention [--db URL] [--out docs/screenshots]
    python scripts/screenshots.py --email ADDRESS [--db URL] [--week DATE] [--out docs/screenshots]

Starts `streamlit run` on a free port against `--db` (default: the demo database the app uses),
opens every page with the link `?location=...&start=...&end=...` in a 1400-pixel-wide window and
saves one PNG per page. Without `--start`/`--end` the link leaves the dates out, so the pages show
their default period (the last 12 complete weeks).

`--mapping-step` instead takes the Import page's mapping step (`mapping-step.png`): the shipped
appointment export uploaded to a fresh database with two locations, its one unmapped value
mapped, the preview showing.

`--attention` takes the Overview's "Needs attention" panel for every location and the default
period (`attention.png`), from its heading to the cards' heading.

`--email ADDRESS` takes the HTML part of the weekly e-mail that address gets for `--week` (default:
the latest complete week), as `python -m reports.send --dry-run` writes it, rendered in Chromium
with its inline picture (`weekly-email.png`); nothing is sent.
"""

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queries.db import default_url, normalise_url
from tests.browser.mapping_step import choose, import_server, upload_export
from tests.browser.streamlit_server import dashboard_server, launch, wait_settled

# (URL path of the page, file name, plotly charts the page draws once settled)
PAGES = [
    ("", "overview", 4),
    ("consultations", "consultations", 4),
    ("infusions", "infusions", 4),
    ("capacity", "capacity", 3),
    ("locations", "locations", 1),
]
WIDTH = 1400
# Streamlit scrolls its main area inside the window, so the window must be as tall as the page.
HEIGHT = 3000


def link(base: str, path: str, locations: list[str], start: str | None, end: str | None) -> str:
    params: list[tuple[str, str]] = [("location", loc) for loc in locations]
    params += [(name, value) for name, value in (("start", start), ("end", end)) if value]
    return f"{base}/{path}" + (f"?{urlencode(params)}" if params else "")


def content_height(page: Page) -> int:
    """Height the main area needs to show everything, down to its last element."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMainBlockContainer"]');
            return Math.ceil(main.getBoundingClientRect().top + main.scrollHeight);
        }"""
    )


def shoot(base: str, out: Path, locations: list[str], start: str | None, end: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        for path, name, charts in PAGES:
            page.goto(link(base, path, locations, start, end))
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
                arg=charts,
                timeout=120_000,
            )
            wait_settled(page, timeout=120_000)
            # Plotly draws its transitions after the run settles; give them a moment to finish.
            page.wait_for_timeout(800)
            page.set_viewport_size({"width": WIDTH, "height": content_height(page) + 40})
            page.wait_for_timeout(400)
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            sys.stdout.write(f"{target}: {target.stat().st_size // 1024} KB\n")
            page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        browser.close()


def shoot_mapping_step(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        import_server(Path(folder)) as (base, _url),
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        upload_export(page, base)
        choose(page, "Spravato Monitoring", "other")
        page.get_by_text("No errors: the import would store every row.").wait_for()
        page.get_by_role("button", name="Save the mapping and import").wait_for()
        wait_settled(page)
        page.wait_for_timeout(800)
        page.set_viewport_size({"width": WIDTH, "height": content_height(page) + 160})
        page.wait_for_timeout(400)
        target = out / "mapping-step.png"
        page.screenshot(path=str(target))
        sys.stdout.write(f"{target}: {target.stat().st_size // 1024} KB\n")
        browser.close()


def shoot_attention(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(base)
        wait_settled(page, timeout=120_000)
        top = page.get_by_role("heading", name="Needs attention").bounding_box()
        bottom = page.get_by_role("heading", name="Week of").bounding_box()
        main = page.get_by_test_id("stMainBlockContainer").bounding_box()
        clip = {
            "x": main["x"],
            "y": top["y"] - 16,
            "width": main["width"],
            "height": bottom["y"] - top["y"],
        }
        target = out / "attention.png"
        page.screenshot(path=str(target), clip=clip)
        sys.stdout.write(f"{target}: {target.stat().st_size // 1024} KB\n")
        browser.close()


def shoot_email(url: str, address: str, week: str | None, out: Path) -> None:
    from datetime import date

    from queries.db import open_database
    from reports.content import report_week, weekly_content
    from reports.message import build_message
    from reports.recipients import weekly_recipients

    engine = open_database(url)
    with engine.connect() as conn:
        (person,) = weekly_recipients(conn, only=[address])
        reported = report_week(date.fromisoformat(week) if week else None, date.today())
        content = weekly_content(
            conn, person, week=reported, dashboard_url="https://dashboard.example.org/"
        )
    engine.dispose()
    message = build_message(content, sender="reports@example.org", to=person.email)
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part.get_content_type() == "image/png":
            cid = "cid:" + part["Content-ID"].strip("<>")
            html = html.replace(cid, "data:image/png;base64," + part.get_payload())
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        page_file = Path(folder) / "message.html"
        page_file.write_text(html, encoding="utf-8")
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 800, "height": 600})
        page.goto(page_file.as_uri())
        target = out / "weekly-email.png"
        page.screenshot(path=str(target), full_page=True)
        sys.stdout.write(f"{target}: {target.stat().st_size // 1024} KB\n")
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: the app's own)")
    parser.add_argument("--location", action="append", dest="locations", default=[])
    parser.add_argument("--start", help="first day, YYYY-MM-DD")
    parser.add_argument("--end", help="last day, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--mapping-step", action="store_true", help="the Import mapping step")
    parser.add_argument("--attention", action="store_true", help="the Needs attention panel")
    parser.add_argument("--email", metavar="ADDRESS", help="the weekly e-mail of ADDRESS")
    parser.add_argument("--week", help="with --email: a day of the week to report, YYYY-MM-DD")
    args = parser.parse_args()
    if args.email:
        shoot_email(normalise_url(args.db or default_url()), args.email, args.week, args.out)
        return 0
    if args.mapping_step:
        shoot_mapping_step(args.out)
        return 0
    with dashboard_server(normalise_url(args.db or default_url())) as base:
        if args.attention:
            shoot_attention(base, args.out)
        else:
            shoot(base, args.out, args.locations, args.start, args.end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
