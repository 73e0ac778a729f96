"""The HAProxy configuration shipped for several machines is one HAProxy accepts, and keeps a
browser on its replica by cookie."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "haproxy-multi.cfg"


def test_haproxy_accepts_the_configuration_for_several_machines():
    result = subprocess.run(
        ["/usr/sbin/haproxy", "-c", "-f", str(CONFIG)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_server_has_a_cookie_of_its_own():
    lines = [line.split() for line in CONFIG.read_text().splitlines()]
    servers = [words for words in lines if words and words[0] == "server"]
    cookies = [words[words.index("cookie") + 1] for words in servers]
    assert len(servers) >= 2
    assert len(set(cookies)) == len(servers)
    assert ["cookie", "dashboard_replica", "insert", "indirect", "nocache", "httponly"] in lines
