"""Real `custos serve` and `custos witness` processes on free loopback ports, bounded in time.

Each process runs `python -m custos.cli …` with its own environment; `start` waits for its
health check (at most `STARTUP_SECONDS`) and `stop` terminates it (and kills it if it lingers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

#: Generous: importing the CLI takes seconds on a loaded machine.
STARTUP_SECONDS = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    args: list[str], *, port: int, env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `custos <args>` until the block ends; its output goes to `log`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    environ.update(env)
    with log.open("wb") as out:
        # Its own process group: `serve --workers N` forks worker processes, and a worker
        # orphaned by killing only the supervisor would keep the leader lock of the tests'
        # shared database, starving later tests' background rounds.
        proc = subprocess.Popen(
            [sys.executable, "-m", "custos.cli", *args],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_healthy(proc, port, log)
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group is left
            proc.wait(timeout=10)


def _wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the process exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the process did not start: {log.read_text(errors='replace')[-2000:]}")
