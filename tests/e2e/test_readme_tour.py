"""The README's tour, run as written against a real demo server (`scripts/tour`).

The demo is set up and served by `custos demo` in its own process, on a free port, over a
fresh data directory; the tour runs from another directory, as a reader in a second terminal
would. A tour command that stops working fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOUR = REPO / "scripts" / "tour"
README = REPO / "README.md"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    env = {
        **os.environ,
        "CUSTOS_DEMO": "true",
        "CUSTOS_DATABASE_URL": f"sqlite:///{tmp_path / 'custos.db'}",
        "CUSTOS_DATA_DIR": str(tmp_path / "var"),
        "CUSTOS_POLICIES_DIR": str(REPO / "policies"),
    }
    log = (tmp_path / "demo.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "custos.cli", "demo", "--people", "300", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail((tmp_path / "demo.log").read_text(encoding="utf-8"))
                time.sleep(0.5)
        yield url, env
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed")
def test_the_readme_tour_runs_as_written(demo: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = demo
    reader = tmp_path / "reader"
    reader.mkdir()
    result = subprocess.run(
        ["bash", str(TOUR)],
        cwd=reader,
        env={**env, "DEMO_URL": url, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    out = result.stdout
    assert "== the tour is complete" in out
    assert "2020(e)(8)(E)" in out  # the decision cites its authority
    assert '"status":"denied"' in out.replace(" ", "")
    assert "No records are disclosed" in out
    assert "payload decrypted and its SHA-256 matches the signed manifest" in out
    assert "snap/photo" in out
    assert "demo-photos/per_demo_02.svg" in out
    assert re.search(r"OK: \d+ entries verified", out)


def _commands(text: str) -> list[str]:
    """Command lines of ```sh blocks, without comments and continuation breaks."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    lines = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        for raw in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", raw).strip()
            if line and not line.startswith("#"):
                lines.append(re.sub(r"\s+", " ", line))
    return lines


def test_the_readme_tour_is_the_script() -> None:
    """Every command the README's tour shows is in the script the test above runs."""
    tour = README.read_text(encoding="utf-8").split("## A five-minute tour", 1)[1]
    tour = tour.split("\n## ", 1)[0]
    script = re.sub(r"\s+", " ", TOUR.read_text(encoding="utf-8").replace("\\\n", " "))
    # The first lines set the defaults, which the script reads from its environment instead.
    own = ("export PATH=", "DEMO_URL=", "VAR=")
    shown = [c for c in _commands(tour) if not c.startswith(own)]
    assert shown
    missing = [c for c in shown if c not in script]
    assert missing == []
