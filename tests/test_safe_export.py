"""Downloads: no cell can start a formula, and small counts are suppressed for sharing."""

import csv
import io
import re
from datetime import date

import openpyxl
import pandas as pd
import pytest

from queries.downloads import weekly_csv_download
from queries.metric_definitions import WEEKLY_COLUMN_NAMES
from queries.neutralise import neutralise_text
from queries.safe_export import (
    SMALL_MARK,
    numerator_could_be_small,
    safe_weekly_xlsx_bytes,
    suppress_small_counts,
)

WEEK = date(2026, 3, 2)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REAL_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
FORMULA_LIKE = [
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]


def _row(location_id: str, **values: object) -> dict:
    row = dict.fromkeys(WEEKLY_COLUMN_NAMES, 0)
    row.update(week_start=WEEK, location_id=location_id)
    for name in (
        "median_response_minutes",
        "contacted_within_1h_pct",
        "consult_conversion_pct",
        "no_show_rate_pct",
        "utilization_pct",
    ):
        row[name] = None
    row.update(available_room_hours=0.0, booked_room_hours=0.0)
    row.update(values)
    return row


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(WEEKLY_COLUMN_NAMES))


@pytest.mark.parametrize("value", [v for v in FORMULA_LIKE if "\r" not in v])
def test_formula_like_text_gets_a_leading_apostrophe(value):
    assert neutralise_text(value) == "'" + value


def test_carriage_return_becomes_a_line_feed_so_csv_quotes_it():
    assert neutralise_text("\r=1+1") == "'\n=1+1"
    assert neutralise_text("ok\r\n=1+1") == "ok\n=1+1"


@pytest.mark.parametrize("value", ["-5", "+3.25", "1e3", "-1.5E-3", ".5", "0"])
def test_real_numbers_are_left_alone(value):
    assert neutralise_text(value) == value


@pytest.mark.parametrize("value", ["-", "-inf", "- 5", "+1+1", "-1,000", "=1"])
def test_signed_text_that_is_not_a_plain_number_is_neutralised(value):
    assert neutralise_text(value) == "'" + value


@pytest.mark.parametrize("value", ["rockville", "", "ALL", "2026-03-02", "a=b", "x-1"])
def test_ordinary_text_is_unchanged(value):
    assert neutralise_text(value) == value


def _assert_no_formula_start(cell: object) -> None:
    if isinstance(cell, str) and cell and not REAL_NUMBER.fullmatch(cell):
        assert not cell.lstrip(" ").startswith(FORMULA_STARTS), repr(cell)


@pytest.mark.parametrize("suppress_small", [False, True])
def test_csv_download_has_no_cell_that_starts_a_formula(suppress_small):
    rows = [_row(loc, consult_requests=20) for loc in FORMULA_LIKE] + [_row("ALL")]
    data = weekly_csv_download(_frame(rows), suppress_small=suppress_small)
    cells = [cell for line in csv.reader(io.StringIO(data.decode(), newline="")) for cell in line]
    for cell in cells:
        _assert_no_formula_start(cell)
    # The text is kept, only made inert.
    assert '\'=HYPERLINK("http://evil.example","x")' in cells


@pytest.mark.parametrize("suppress_small", [False, True])
def test_xlsx_download_has_no_formula_in_any_sheet(suppress_small):
    rows = [_row(loc, consult_requests=20) for loc in FORMULA_LIKE] + [_row("ALL")]
    filters = {"locations": " ".join(FORMULA_LIKE), "start": "=1+1", "note": "@me"}
    data = safe_weekly_xlsx_bytes(_frame(rows), filters=filters, suppress_small=suppress_small)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["weekly_metrics", "filters", "definitions"]
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                _assert_no_formula_start(cell.value)
    locations = [c.value for c in book["weekly_metrics"]["B"][1:]]
    assert locations == ["'" + loc.replace("\r", "\n") for loc in FORMULA_LIKE] + ["ALL"]


# One week, two locations, worked out by hand (see docs/access.md for the rules):
#   a: 25 requests, 12 within 1 h (48.0 %, rest 13); 15 consults, 10 converted (66.7 %, 10 is
#      small -> rate withheld); bookings 40 completed + 3 no-shows (small) + 12 late = 55
#      scheduled (withheld: it would give the 3 back), rate 3/55, booked hours and utilization
#      withheld with it.
#   b: 7 requests (small): median and 1 h rate withheld; 0 consults; 30 + 11 + 15 = 56 scheduled,
#      rate 11/56 = 19.6, 93.33 h of 200 = 46.7 %; 2 cancellations (small); 5 boosters (small).
#   ALL: requests 32 withheld (b small); its median stays (a median is not a sum); consults 15
#      shown but conversion withheld (a's is); no-shows 14 and scheduled 111 withheld; 2
#      cancellations and 5 boosters are themselves small.
SUPPRESSION_INPUT = [
    _row(
        "a",
        consult_requests=25,
        median_response_minutes=30.0,
        contacted_within_1h_pct=48.0,
        consults_completed=15,
        consult_conversion_pct=66.7,
        infusions_scheduled=55,
        infusions_completed=40,
        no_shows=3,
        late_cancellations=12,
        no_show_rate_pct=5.5,
        new_patients=12,
        available_room_hours=200.0,
        booked_room_hours=91.67,
        utilization_pct=45.8,
    ),
    _row(
        "b",
        consult_requests=7,
        median_response_minutes=12.5,
        contacted_within_1h_pct=57.1,
        infusions_scheduled=56,
        infusions_completed=30,
        no_shows=11,
        late_cancellations=15,
        cancellations=2,
        no_show_rate_pct=19.6,
        new_patients=11,
        booster_infusions=5,
        available_room_hours=200.0,
        booked_room_hours=93.33,
        utilization_pct=46.7,
    ),
    _row(
        "ALL",
        consult_requests=32,
        median_response_minutes=25.0,
        contacted_within_1h_pct=50.0,
        consults_completed=15,
        consult_conversion_pct=66.7,
        infusions_scheduled=111,
        infusions_completed=70,
        no_shows=14,
        late_cancellations=27,
        cancellations=2,
        no_show_rate_pct=12.6,
        new_patients=23,
        booster_infusions=5,
        available_room_hours=400.0,
        booked_room_hours=185.0,
        utilization_pct=46.3,
    ),
]
S = SMALL_MARK
# Columns 3..19 of the report, in order.
SUPPRESSION_EXPECTED = {
    "a": [25, 30.0, 48.0, 15, None, None, 40, S, 12, 0, None, 12, 0, 0, 200.0, None, None],
    "b": [S, None, None, 0, None, 56, 30, 11, 15, S, 19.6, 11, S, 0, 200.0, 93.33, 46.7],
    "ALL": [None, 25.0, None, 15, None, None, 70, None, 27, S, None, 23, S, 0, 400.0, None, None],
}


def test_small_counts_become_lt11_and_values_that_reveal_them_are_empty():
    result = suppress_small_counts(_frame(SUPPRESSION_INPUT))
    for _, row in result.iterrows():
        got = [None if pd.isna(v) else v for v in row.iloc[2:].tolist()]
        assert got == SUPPRESSION_EXPECTED[row["location_id"]], row["location_id"]


def test_zero_counts_are_shown_when_suppressing():
    frame = _frame([_row("a", consult_requests=0), _row("ALL", consult_requests=0)])
    assert suppress_small_counts(frame)["consult_requests"].tolist() == [0, 0]


def test_eleven_is_not_small_and_ten_is():
    frame = _frame([_row("a", no_shows=11), _row("b", no_shows=10), _row("ALL", no_shows=21)])
    assert suppress_small_counts(frame)["no_shows"].tolist() == [11, S, None]


def test_single_location_all_row_is_suppressed_like_the_location():
    frame = _frame(
        [
            _row("a", consult_requests=4, contacted_within_1h_pct=75.0),
            _row("ALL", consult_requests=4, contacted_within_1h_pct=75.0),
        ]
    )
    result = suppress_small_counts(frame)
    assert result["consult_requests"].tolist() == [S, S]
    assert result["contacted_within_1h_pct"].isna().all()


@pytest.mark.parametrize(
    ("rate", "denominator", "expected"),
    [
        (48.0, 25, False),  # 12 of 25, 13 not
        (40.0, 25, True),  # 10 of 25
        (80.0, 25, True),  # 20 of 25: the 5 not within the hour are small
        (0.0, 25, False),  # none at all
        (100.0, 25, False),  # all of them
        (0.5, 2000, True),  # 9, 10 or 11 of 2000: could be 10
        (1.0, 2000, False),  # 19, 20 or 21 of 2000
        (99.6, 2000, True),  # 1991..1993 of 2000: 7..9 not
    ],
)
def test_hidden_numerator_or_its_complement_could_be_small(rate, denominator, expected):
    assert numerator_could_be_small(rate, denominator) is expected


def test_csv_and_xlsx_both_carry_the_suppression_and_the_filters_sheet_says_so():
    frame = _frame(SUPPRESSION_INPUT)
    lines = list(csv.reader(io.StringIO(weekly_csv_download(frame, suppress_small=True).decode())))
    b = lines[2]
    assert b[1] == "b"
    assert b[2] == S and b[3] == "" and b[4] == ""
    book = openpyxl.load_workbook(
        io.BytesIO(safe_weekly_xlsx_bytes(frame, filters={"start": "x"}, suppress_small=True))
    )
    sheet = book["weekly_metrics"]
    assert sheet["C3"].value == S and sheet["D3"].value is None
    filters = {row[0].value: row[1].value for row in book["filters"].iter_rows(min_row=2)}
    assert filters["small_counts"].startswith("Small counts suppressed")


def test_unsuppressed_download_keeps_small_counts():
    frame = _frame(SUPPRESSION_INPUT)
    lines = list(csv.reader(io.StringIO(weekly_csv_download(frame, suppress_small=False).decode())))
    assert lines[2][2] == "7"
    book = openpyxl.load_workbook(
        io.BytesIO(safe_weekly_xlsx_bytes(frame, filters={}, suppress_small=False))
    )
    filters = {row[0].value: row[1].value for row in book["filters"].iter_rows(min_row=2)}
    assert filters["small_counts"].startswith("not suppressed")
