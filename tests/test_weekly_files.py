"""The report files: CSV text, the XLSX workbook read back with openpyxl, and the CLI options."""

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd

from queries.metric_definitions import WEEKLY_COLUMNS
from queries.report_csv import weekly_csv_bytes
from queries.report_files import report_filters, weekly_xlsx_bytes
from queries.scope import EVERYTHING
from queries.weekly import weekly_metrics
from tests.builders import add_booking, add_capacity, add_consultation, add_location, refresh_all

ROOT = Path(__file__).resolve().parents[1]
WEEK = date(2026, 4, 6)


def small_report(engine) -> pd.DataFrame:
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_location(conn, "quiet")
        add_capacity(conn, "rock", "mon", "08:00", "16:00", 3)
        add_booking(conn, "b1", "rock", "p1", "2026-04-06 09:00", duration=100)
        add_booking(conn, "b2", "rock", "p2", "2026-04-07 09:00", status="no_show", duration=100)
        add_consultation(conn, "c1", "rock", "2026-04-06 09:00", first_contact="2026-04-06 09:45")
        add_consultation(conn, "c2", "rock", "2026-04-06 09:00")
        add_consultation(conn, "c3", "rock", "2026-04-06 09:00")
        refresh_all(conn)
        return weekly_metrics(conn, scope=EVERYTHING, locations=None, start=WEEK, end=WEEK)


def test_csv_prints_fixed_decimals_and_empty_fields(engine):
    text = weekly_csv_bytes(small_report(engine)).decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == ",".join(c.name for c in WEEKLY_COLUMNS)
    # rock: 3 requests, one contacted in 45 min (33.3 %); 1 completed + 1 no-show of 200 minutes
    # in 24 available hours (13.9 %).
    assert lines[2] == "2026-04-06,rock,3,45.0,33.3,0,,2,1,1,0,0,50.0,1,0,0,24.00,3.33,13.9"
    assert lines[1] == "2026-04-06,quiet,0,,,0,,0,0,0,0,0,,0,0,0,0.00,0.00,"
    assert lines[3].startswith("2026-04-06,ALL,3,45.0,33.3,")
    assert text.endswith("\n") and "\r" not in text
    assert len(lines) == 5


def test_xlsx_has_the_three_sheets_and_the_csv_values_as_numbers(engine):
    frame = small_report(engine)
    filters = report_filters(
        frame,
        start=WEEK,
        end=WEEK,
        week_start="mon",
        generated_at=datetime(2026, 4, 20, tzinfo=UTC),
    )
    book = openpyxl.load_workbook(io.BytesIO(weekly_xlsx_bytes(frame, filters=filters)))
    assert book.sheetnames == ["weekly_metrics", "filters", "definitions"]

    sheet = book["weekly_metrics"]
    cells = list(sheet.iter_rows())
    expected = list(csv.reader(io.StringIO(weekly_csv_bytes(frame).decode())))
    assert [c.value for c in cells[0]] == expected[0]
    for cells_row, csv_row in zip(cells[1:], expected[1:], strict=True):
        for column, cell, text in zip(WEEKLY_COLUMNS, cells_row, csv_row, strict=True):
            if column.kind == "date":
                assert cell.value == datetime.fromisoformat(text)
                assert cell.number_format == "yyyy-mm-dd"
            elif text == "":
                assert cell.value is None
            elif column.kind == "text":
                assert cell.value == text
            else:
                assert isinstance(cell.value, int | float)
                assert f"{cell.value:.{column.decimals or 0}f}" == text
                assert cell.number_format == {None: "0", 1: "0.0", 2: "0.00"}[column.decimals]

    assert [[c.value for c in row] for row in book["filters"].iter_rows()] == [
        ["filter", "value"],
        ["locations", "quiet rock"],
        ["start", "2026-04-06"],
        ["end", "2026-04-06"],
        ["week_start", "mon"],
        ["generated_at", "2026-04-20T00:00:00+00:00"],
    ]
    definitions = list(book["definitions"].iter_rows(values_only=True))
    assert definitions[0] == ("#", "column", "definition")
    assert definitions[1] == (1, "week_start", "date of the first day of the week (YYYY-MM-DD)")
    assert [row[1] for row in definitions[1:20]] == [c.name for c in WEEKLY_COLUMNS]
    for name in book.sheetnames:
        for row in book[name].iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith("="))


def test_xlsx_writes_formula_like_text_as_text():
    frame = pd.DataFrame(
        [{c.name: 0 for c in WEEKLY_COLUMNS} | {"week_start": WEEK, "location_id": "=1+1"}]
    )
    data = weekly_xlsx_bytes(frame, filters={"locations": '=HYPERLINK("http://x")'})
    book = openpyxl.load_workbook(io.BytesIO(data))
    cell = book["weekly_metrics"]["B2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert book["filters"]["B2"].data_type == "s"


def run_cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "queries.weekly", "--db", db_url, *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_cli_picks_xlsx_from_suffix_and_filters_locations(engine, db_url, tmp_path):
    small_report(engine)
    out = tmp_path / "report.xlsx"
    done = run_cli(
        db_url,
        "--start",
        "2026-04-06",
        "--end",
        "2026-04-12",
        "--location",
        "rock",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    values = list(book["weekly_metrics"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in values] == ["rock", "ALL"]
    assert values[0][2] == 3


def test_cli_rejects_unknown_location_with_its_name(engine, db_url, tmp_path):
    small_report(engine)
    done = run_cli(
        db_url,
        "--start",
        "2026-04-06",
        "--end",
        "2026-04-12",
        "--location",
        "atlantis",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert done.returncode == 2
    assert "atlantis" in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_csv_cells_of_awkward_values():
    """Whatever a column holds: NaN is an empty field, counts print as whole numbers, ratios
    with their decimals as Python's format does, and text (a suppressed `<11`) as it is."""
    rows = 4
    frame = pd.DataFrame({c.name: [0] * rows for c in WEEKLY_COLUMNS})
    frame["week_start"] = [date(2026, 4, 6), date(2026, 4, 6), "2026-04-13", None]
    frame["location_id"] = ["a", "a", "b", "ALL"]
    frame["consult_requests"] = [3.0, float("nan"), 7.0, 0.0]  # a count held as floats
    frame["no_shows"] = ["<11", 12, "<11", 0]  # a suppressed count is text
    frame["median_response_minutes"] = [0.05, 0.15, -0.0, float("nan")]
    frame["available_room_hours"] = [2.675, 1e6 / 3, float("inf"), 0.005]
    cells = list(csv.reader(io.StringIO(weekly_csv_bytes(frame).decode("utf-8"))))[1:]
    column = {c.name: n for n, c in enumerate(WEEKLY_COLUMNS)}

    def of(name: str) -> list[str]:
        return [row[column[name]] for row in cells]

    assert of("week_start") == ["2026-04-06", "2026-04-06", "2026-04-13", ""]
    assert of("location_id") == ["a", "a", "b", "ALL"]
    assert of("consult_requests") == ["3", "", "7", "0"]
    assert of("no_shows") == ["<11", "12", "<11", "0"]
    # As held in binary: 0.05 is a little over, 0.15 a little under, 2.675 under, 0.005 over.
    assert of("median_response_minutes") == ["0.1", "0.1", "-0.0", ""]
    assert of("available_room_hours") == ["2.67", "333333.33", "inf", "0.01"]
