"""The demo-data bootstrap's progress, told as a sentence for a person rather than a log line.

The generator and the importer (data/generate.py, data/load.py) report terse steps such as
`generator:bookings: bookings: 82795 of 82795 rows written`; the app shows them through
`describe()`, which keeps the meaning and drops the plumbing.
"""

import re

PREFIX = "Creating the demo data (first start only): "
_IMPORT_STEP = re.compile(r"^generator:(?P<kind>\w+): (?P<step>.*)$")
_WRITTEN = re.compile(r"^\w+: (?P<done>\d+) of (?P<total>\d+) rows written$")
_ROWS = re.compile(r"^(?:\w+: )?(?P<rows>\d+) rows(?: written)?$")
_CHECKING = re.compile(r"^checking (?P<rows>\d+) rows$")
_GENERATOR_STEPS = {
    "assembling tables": "putting the tables together",
    "tables ready": "tables ready, storing them",
    "done": "done",
}


def _n(digits: str) -> str:
    return f"{int(digits):,}"


def _import_step(kind: str, step: str) -> str:
    table = kind.replace("_", " ")
    if step == "reading":
        return f"preparing {table}"
    if step == "done":
        return f"{table} stored"
    if step == "refreshing derived data":
        return f"working out the daily figures from {table}"
    if match := _CHECKING.match(step):
        return f"checking {table}, {_n(match['rows'])} rows"
    if match := _WRITTEN.match(step):
        return f"writing {table}, {_n(match['done'])} of {_n(match['total'])}"
    if match := _ROWS.match(step):
        return f"writing {table}, {_n(match['rows'])} rows"
    return f"{table}: {step}"


def describe(text: str) -> str:
    """The progress line a person reads for one step the generator or importer reports."""
    if match := _IMPORT_STEP.match(text):
        return PREFIX + _import_step(match["kind"], match["step"])
    if text.startswith("simulating "):
        return PREFIX + f"simulating requests and visits at {text.removeprefix('simulating ')}"
    return PREFIX + _GENERATOR_STEPS.get(text, text)
