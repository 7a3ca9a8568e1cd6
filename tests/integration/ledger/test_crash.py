"""Crash safety: a writer killed with SIGKILL at random moments never tears or loses the log."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from sqlalchemy import select

from custos.domain.events import Event, EventTag
from custos.ledger import MemoryTree, append, hash_leaf, integrate, tree_state
from custos.store.base import Base
from custos.store.engine import make_engine, session_factory
from custos.store.schema import metadata
from custos.store.tables import LedgerEntry

RUNS = 50


def _writer(url: str, conn: Connection) -> None:
    """Append batches forever, integrating now and then; report each committed index."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    batch = 0
    while True:
        batch += 1
        events = [
            Event(
                tag=EventTag.RECORDS_IMPORT_COMPLETE,
                at=at,
                actor="system",
                data={"batch": batch, "i": i, "pad": "x" * random.randrange(200)},
            )
            for i in range(random.randrange(1, 200))
        ]
        with sessions() as session, session.begin():
            last = append(session, events)[-1]
        conn.send(last)
        if batch % 3 == 0:
            with sessions() as session, session.begin():
                integrate(session, now=at, limit=500)


@pytest.mark.slow
def test_sigkill_during_appends_never_tears_the_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    _ = metadata
    Base.metadata.create_all(engine)
    fork = multiprocessing.get_context("fork")
    rng = random.Random(4)
    committed = -1
    for _ in range(RUNS):
        parent, child = fork.Pipe()
        proc = fork.Process(target=_writer, args=(url, child), daemon=True)
        proc.start()
        time.sleep(rng.uniform(0.02, 0.25))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        while parent.poll():
            committed = max(committed, parent.recv())
        parent.close()
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        rows = session.execute(
            select(LedgerEntry.idx, LedgerEntry.body, LedgerEntry.leaf_hash).order_by(
                LedgerEntry.idx
            )
        ).all()
        # Every committed entry is there, the indices have no gap, no entry is torn.
        assert committed > 0
        assert len(rows) > committed
        assert [r[0] for r in rows] == list(range(len(rows)))
        for _, body, leaf in rows:
            assert hash_leaf(bytes(body)) == bytes(leaf)
            json.loads(body)
        # The tiles left by killed integrations still give the right tree.
        while integrate(session, now=dt.datetime.now(dt.UTC))[0] < len(rows):
            pass
        size, root = tree_state(session)
    assert size == len(rows)
    assert root == MemoryTree(bytes(r[2]) for r in rows).root()
    engine.dispose()
