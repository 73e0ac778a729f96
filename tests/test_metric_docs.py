"""docs/metrics.md and the metric registry say the same thing, and the registry's formulas hold."""

import re
from pathlib import Path

from queries.metric_definitions import (
    CONVENTIONS,
    HIGHER,
    LOWER,
    WEEKLY_COLUMNS,
    column,
    markdown_table,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_docs_table_is_the_registry_written_out():
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = markdown_table().splitlines()[0]
    start = lines.index(header)
    end = next((n for n in range(start, len(lines)) if not lines[n].startswith("|")), len(lines))
    assert lines[start:end] == markdown_table().splitlines()


def test_the_docs_table_lists_every_column_in_report_order():
    rows = markdown_table().splitlines()[2:]
    names = [row.split("|")[2].strip() for row in rows]
    assert names[:3] == ["week_start", "location_id", "consult_requests"]
    assert names[-1] == "utilization_pct"
    assert len(names) == 19


def test_every_convention_of_the_registry_is_in_the_docs():
    doc = _squeezed(DOC.read_text(encoding="utf-8"))
    for convention in CONVENTIONS:
        assert _squeezed(convention) in doc


def test_rates_where_a_rise_is_bad_news_say_so():
    assert column("no_show_rate_pct").direction == LOWER
    assert column("median_response_minutes").direction == LOWER
    assert column("utilization_pct").direction == HIGHER
    assert column("consult_conversion_pct").higher_is_better
    assert not column("no_show_rate_pct").higher_is_better


def test_formulas_compute_from_summed_counts():
    counts = {
        "consult_requests": 8,
        "contacted_within_1h": 3,
        "consults_completed": 0,
        "consults_converted": 0,
        "booked_minutes": 90,
        "available_minutes": 600,
    }
    # 3 of 8 = 37.5 %, half-way: rounds up.
    assert column("contacted_within_1h_pct").value(counts) == 37.5
    assert column("consult_conversion_pct").value(counts) is None  # no consults
    assert column("booked_room_hours").value(counts) == 1.5
    assert column("available_room_hours").value(counts) == 10.0
    assert column("utilization_pct").value(counts) == 15.0
    assert column("consult_requests").value(counts) == 8


def test_every_metric_has_a_label_and_a_direction_word():
    for metric in WEEKLY_COLUMNS[2:]:
        assert metric.label
        assert metric.direction in ("higher is better", "lower is better", "neutral")
