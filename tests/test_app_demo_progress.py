"""The first-start progress line reads as a sentence, whatever step the generator reports."""

import pytest

from dashboard.demo_progress import describe

STEPS = [
    ("simulating Arlington", "simulating requests and visits at Arlington"),
    ("assembling tables", "putting the tables together"),
    ("generator:bookings: reading", "preparing bookings"),
    ("generator:bookings: checking 82795 rows", "checking bookings, 82,795 rows"),
    (
        "generator:bookings: bookings: 82795 of 82795 rows written",
        "writing bookings, 82,795 of 82,795",
    ),
    ("generator:capacity: capacity: 12 rows", "writing capacity, 12 rows"),
    (
        "generator:consultations: consultations: 1200 rows written",
        "writing consultations, 1,200 rows",
    ),
    ("generator:locations: done", "locations stored"),
    ("generator:bookings: refreshing derived data", "working out the daily figures from bookings"),
    ("done", "done"),
]


@pytest.mark.parametrize(("reported", "shown"), STEPS)
def test_progress_reads_like_a_sentence(reported, shown):
    assert describe(reported) == "Creating the demo data (first start only): " + shown


def test_no_plumbing_reaches_the_reader():
    for reported, _ in STEPS:
        assert "generator:" not in describe(reported)
        assert "rows written" not in describe(reported)


def test_an_unknown_step_is_still_shown():
    assert describe("indexing") == "Creating the demo data (first start only): indexing"
