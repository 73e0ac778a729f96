"""The `targets` file kind: imported like every other file, refused with file:line reasons."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from data.load import ImportRefused, import_files
from queries.audit import read_log
from queries.scope import EVERYTHING
from queries.targets import effective_targets, stored_targets
from tests.builders import add_location

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def two_locations(engine):
    with engine.begin() as conn:
        add_location(conn, "rock")
        add_location(conn, "pike")
    return engine


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_targets_file_replaces_the_stored_targets_and_is_audited(two_locations, tmp_path):
    first = write(tmp_path / "targets.csv", "location_id,metric,min,max\n*,no_show_rate_pct,,5\n")
    import_files(two_locations, [first])
    second = write(
        tmp_path / "targets.csv",
        "Location_ID , Metric,min,max,weeks\n"
        "*,no_show_rate_pct,,7.5,\n"
        "rock,no_show_rate_pct,,10,3\n"
        "rock,utilization_pct,60,85,1\n",
    )
    summary = import_files(two_locations, [second])
    assert str(summary) == f"{second}: 3 rows (3 inserted, 0 updated, 1 stored rows replaced)"
    with two_locations.connect() as conn:
        stored = stored_targets(conn, scope=EVERYTHING)
        effective = effective_targets(conn, scope=EVERYTHING, locations=None)
        log = read_log(conn, scope=EVERYTHING, actions=["targets"])
    # The `*` row first, then the locations' rows; an empty `weeks` is 2.
    assert stored.fillna(-1).values.tolist() == [
        ["*", "no_show_rate_pct", -1, 7.5, 2],
        ["rock", "no_show_rate_pct", -1, 10.0, 3],
        ["rock", "utilization_pct", 60.0, 85.0, 1],
    ]
    no_show = effective[effective["metric"] == "no_show_rate_pct"].set_index("location_id")
    assert no_show["max"].to_dict() == {"pike": 7.5, "rock": 10.0}
    assert no_show["source"].to_dict() == {"pike": "*", "rock": "location"}
    latest = json.loads(log["detail"].iloc[0])
    assert latest["source"] == "import"
    assert latest["before"] == [["*", "no_show_rate_pct", None, 5.0, 2]]
    assert len(log) == 2


def test_a_bad_targets_file_is_refused_with_every_reason_and_keeps_the_stored_rows(
    two_locations, tmp_path
):
    good = write(tmp_path / "targets.csv", "location_id,metric,max\n*,no_show_rate_pct,8\n")
    import_files(two_locations, [good])
    bad = write(
        tmp_path / "targets.csv",
        "location_id,metric,min,max,weeks\n"
        "nowhere,no_show_rate_pct,,8,2\n"  # 2
        "rock,no_shows_pct,,8,2\n"  # 3
        "rock,utilization_pct,,,2\n"  # 4
        "rock,median_response_minutes,90,60,2\n"  # 5
        "pike,contacted_within_1h_pct,80,120,2\n"  # 6
        "pike,no_show_rate_pct,,eight,0\n"  # 7
        "*,utilization_pct,70,90,2\n"  # 8
        "*,utilization_pct,60,90,2\n"  # 9
        "Rock!,utilization_pct,70,90,2\n",  # 10
    )
    with pytest.raises(ImportRefused) as refused:
        import_files(two_locations, [bad])
    assert [str(e) for e in refused.value.errors] == [
        f"{bad}:2: column 'location_id' = 'nowhere': unknown location (not in locations)",
        f"{bad}:3: column 'metric' = 'no_shows_pct': not one of "
        + refused.value.errors[1].reason.removeprefix("not one of "),
        f"{bad}:4: column 'min' = '': give min, max or both",
        f"{bad}:5: column 'max' = '60': below min",
        f"{bad}:6: column 'max' = '120': a percentage above 100",
        f"{bad}:7: column 'max' = 'eight': not a number",
        f"{bad}:7: column 'weeks' = '0': must be between 1 and 52",
        f"{bad}:9: column 'metric' = 'utilization_pct': duplicate location_id+metric "
        "(first on line 8)",
        f"{bad}:10: column 'location_id' = 'Rock!': not a slug (1-40 of a-z, 0-9, -) or *",
    ]
    assert "no_show_rate_pct" in refused.value.errors[1].reason
    with two_locations.connect() as conn:
        stored = stored_targets(conn, scope=EVERYTHING)
    assert stored.fillna(-1).values.tolist() == [["*", "no_show_rate_pct", -1, 8.0, 2]]


def test_the_command_line_refuses_a_bad_targets_file_with_file_and_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    locations = write(
        tmp_path / "locations.csv", "location_id,name,city,state\nrock,Rock,Rockville,MD\n"
    )
    bad = write(tmp_path / "targets.csv", "location_id,metric,max\nrock,utilization_pct,-5\n")
    done = subprocess.run(
        [sys.executable, "-m", "data.load", "--db", db, str(locations), str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"{bad}:2: column 'max' = '-5': must be between 0 and 100000" in done.stderr
    assert f"{bad}: REFUSED - nothing from this file was stored" in done.stdout
    assert "Traceback" not in done.stderr
