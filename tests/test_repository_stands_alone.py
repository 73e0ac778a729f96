"""The repository stands on its own: no tracked file reads a folder beside the clone."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Written in pieces so this file does not match itself.
OUTSIDE = re.compile(r"\.\." + r"[/\\]" + "shared" + r"|parents\[\d+\]\s*/\s*['\"]" + "shared")


def _tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_file_refers_to_the_shared_folder_beside_the_clone():
    offenders = []
    for path in _tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_the_pattern_catches_a_reference(tmp_path):
    assert OUTSIDE.search("TWO_WEEKS = Path('..') / '..' / '../" + "shared/examples'")
    assert OUTSIDE.search("Path(__file__).parents[2] / " + "'shared'")
    assert not OUTSIDE.search("tests/fixtures/two-weeks")
