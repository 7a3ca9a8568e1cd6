"""`custos serve --workers N`: several real server processes over one database, one leader.

The checkpoint publisher and the housekeeping rounds must run in one process only; when that
process dies (killed, not asked to stop) another must take them over, or checkpoints would
stop being published while the API still answers.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_SECRET
from tests.integration.ledger.processes import STARTUP_SECONDS, free_port, running

pytestmark = pytest.mark.slow

_LEADS = re.compile(r"process (\d+) leads")
_FOLLOWS = re.compile(r"process (\d+) follows")


def _wait_for(log: Path, done: Callable[[str], object], what: str) -> str:
    """The log's text once `done(text)` holds; fails naming `what` after a generous wait."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if done(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{what}; the log:\n{log.read_text(errors='replace')[-3000:]}")


def _database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_database"))
    db = tmp_path / "custos.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), db)
    return f"sqlite:///{db}"


def test_one_of_three_workers_leads_and_another_takes_over_when_it_is_killed(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "CUSTOS_DATABASE_URL": _database(backend, request, tmp_path),
        "CUSTOS_DATA_DIR": str(tmp_path / "var"),
        "CUSTOS_PSEUDONYM_SECRET": TEST_SECRET,
        "CUSTOS_POLICIES_DIR": str(REPO / "policies"),
    }
    log = tmp_path / "serve.log"
    args = ["serve", "--workers", "3", "--port", str(port)]
    with running(args, port=port, env=env, log=log):
        text = _wait_for(
            log,
            lambda s: len(_LEADS.findall(s)) + len(_FOLLOWS.findall(s)) >= 3,
            "the three workers did not all settle as leader or follower",
        )
        leaders = set(_LEADS.findall(text))
        assert len(leaders) == 1, text
        assert len(set(_FOLLOWS.findall(text))) == 2, text
        (first,) = leaders

        os.kill(int(first), signal.SIGKILL)
        text = _wait_for(
            log,
            lambda s: set(_LEADS.findall(s)) - {first},
            "no other worker took the lead after the leader was killed",
        )
        later = set(_LEADS.findall(text)) - {first}
        assert len(later) == 1, text
