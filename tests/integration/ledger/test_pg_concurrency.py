"""Several processes appending to one PostgreSQL log: one linear log, no gaps, no duplicates."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from custos.domain.events import Event, EventTag
from custos.ledger import MemoryTree, append, integrate
from custos.store.engine import make_engine, session_factory
from custos.store.schema import metadata
from custos.store.tables import LedgerEntry

PROCESSES = 4
TOTAL = 10_000
BATCH = 50


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """A database of its own, created for this test and dropped after it."""
    base = os.environ.get("CUSTOS_TEST_POSTGRES_URL", "")
    if not base:
        pytest.skip("CUSTOS_TEST_POSTGRES_URL is not set")
    name = f"custos_ledger_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _worker(url: str, worker: int) -> None:
    engine = make_engine(url)
    sessions = session_factory(engine)
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    for start in range(0, TOTAL // PROCESSES, BATCH):
        events = [
            Event(
                tag=EventTag.RECORDS_IMPORT_COMPLETE,
                at=at,
                actor=f"system:{worker}",
                data={"worker": worker, "n": start + i},
            )
            for i in range(BATCH)
        ]
        with sessions() as session, session.begin():
            append(session, events)
        if start % (BATCH * 10) == 0:
            with sessions() as session, session.begin():
                integrate(session, now=at)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_four_processes_append_one_linear_log(fresh_pg: str) -> None:
    fork = multiprocessing.get_context("fork")
    procs = [fork.Process(target=_worker, args=(fresh_pg, w)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    engine = make_engine(fresh_pg)
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        rows = session.execute(
            select(LedgerEntry.idx, LedgerEntry.body, LedgerEntry.leaf_hash).order_by(
                LedgerEntry.idx
            )
        ).all()
        assert [r[0] for r in rows] == list(range(TOTAL))
        bodies = {bytes(r[1]) for r in rows}
        assert len(bodies) == TOTAL
        size, root = integrate(session, now=dt.datetime.now(dt.UTC), limit=TOTAL)
    assert size == TOTAL
    assert root == MemoryTree(bytes(r[2]) for r in rows).root()
    engine.dispose()
