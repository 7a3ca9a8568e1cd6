"""Upkeep on time without anyone remembering it: overdue releases, purge, alerts."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from custos.api.app import create_app
from custos.domain.events import EventTag
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.workflow import housekeeping, releases, rights
from custos.workflow.context import Context
from tests.conftest import Clock
from tests.integration.conftest import World
from tests.integration.release.conftest import admin_request, approved_felon, requester


def _delivered(world: World) -> str:
    ctx = world.ctx
    rid = approved_felon(world)
    view = releases.build(ctx, actor=world.staff["approver1"], request_id=rid)
    releases.acknowledge_receipt(
        ctx,
        actor=requester(world, "police"),
        release_id=view.id,
        payload_sha256=view.payload_sha256,
    )
    return view.id


def _system_entries(world: World) -> list[str]:
    with world.ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.tag, t.LedgerEntry.body).order_by(t.LedgerEntry.idx)
        ).all()
    return [tag for tag, body in rows if json.loads(bytes(body))["actor"] == "system"]


def test_a_round_purges_after_the_grace_period_and_marks_overdue_after_retention(
    world: World, clock: Clock
) -> None:
    release_id = _delivered(world)
    ciphertext = world.ctx.settings.data_dir / "releases" / release_id
    assert ciphertext.exists()
    first = housekeeping.run_once(world.ctx)
    assert (first.overdue, first.purged, first.failed) == ([], [], [])
    # The person's letter about the disclosure is queued without anyone asking for it.
    (letter,) = rights.notice_queue(world.ctx, actor=world.staff["intake"])
    assert (first.notices, letter.kind) == (1, "disclosure_made")
    assert ciphertext.exists()

    clock.advance(days=world.ctx.settings.purge_grace_days + 1)
    second = housekeeping.run_once(world.ctx)
    assert second.purged == [release_id]
    assert not ciphertext.exists()

    clock.advance(days=5 * 365)
    third = housekeeping.run_once(world.ctx)
    assert third.overdue == [release_id]
    assert releases.get(world.ctx, actor=world.staff["auditor"], release_id=release_id).status == (
        "overdue"
    )
    # Every change is in the ledger under the system's name (an overdue release raises an
    # alert), and a repeat changes nothing.
    logged = _system_entries(world)
    assert EventTag.RELEASE_CIPHERTEXT_PURGE.value in logged
    assert EventTag.OVERSIGHT_ALERT_RAISE.value in logged
    again = housekeeping.run_once(world.ctx)
    assert (again.notices, again.overdue, again.purged, again.alerts) == (0, [], [], 0)
    assert _system_entries(world) == logged


def test_a_request_noticed_before_release_gets_its_letter_once(world: World) -> None:
    """The person's letter about a pending request starts their time to challenge it."""
    first = admin_request(world)
    assert rights.sweep_notices(world.ctx) == 1
    assert rights.sweep_notices(world.ctx) == 0
    second = admin_request(world)
    assert housekeeping.run_once(world.ctx).notices == 1
    letters = rights.notice_queue(world.ctx, actor=world.staff["intake"])
    assert [n.kind for n in letters] == ["disclosure_pending", "disclosure_pending"]
    person = world.person("snap_fleeing_felon").person_id
    with world.ctx.reading() as s:
        keys = set(s.scalars(select(r.Notice.source_key)))
    assert keys == {f"pending:{first}:{person}", f"pending:{second}:{person}"}


def test_a_failing_job_does_not_stop_the_others(
    world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    release_id = _delivered(world)
    clock.advance(days=world.ctx.settings.purge_grace_days + 1)

    def broken(*_: object, **__: object) -> list[str]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(releases, "sweep_retention", broken)
    done = housekeeping.run_once(world.ctx)
    assert done.failed == ["retention"]
    assert done.purged == [release_id]


def test_serving_runs_a_round_at_start(world: World, clock: Clock) -> None:
    release_id = _delivered(world)
    clock.advance(days=world.ctx.settings.purge_grace_days + 1)
    ciphertext = world.ctx.settings.data_dir / "releases" / release_id
    with TestClient(create_app(ctx=world.ctx, background=True)):
        deadline = time.monotonic() + 30
        while ciphertext.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not ciphertext.exists()


def test_one_round_at_a_time_across_processes(world: World, clock: Clock) -> None:
    """Several servers on one PostgreSQL database: while one runs a round, another skips."""
    if world.ctx.engine.dialect.name != "postgresql":
        pytest.skip("the lock is PostgreSQL's; SQLite serves from one process")
    release_id = _delivered(world)
    clock.advance(days=world.ctx.settings.purge_grace_days + 1)
    other = create_engine(world.ctx.engine.url)
    try:
        with other.connect() as held:
            held.execute(text("SELECT pg_advisory_lock(:k)"), {"k": housekeeping._PG_LOCK_KEY})
            assert housekeeping.run_once(world.ctx).skipped
            held.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": housekeeping._PG_LOCK_KEY})
    finally:
        other.dispose()
    done = housekeeping.run_once(world.ctx)
    assert (done.skipped, done.purged) == (False, [release_id])


def test_a_round_that_cannot_reach_the_database_does_not_end_the_schedule(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = world.ctx.settings.model_copy(
        update={"database_url": "postgresql+psycopg://custos@127.0.0.1:1/custos"}
    )
    ctx = Context.from_settings(unreachable)
    stop = threading.Event()
    worker = threading.Thread(target=housekeeping.run_forever, args=(ctx, stop))
    with caplog.at_level(logging.ERROR, logger="custos.housekeeping"):
        worker.start()
        deadline = time.monotonic() + 30
        while "round failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = worker.is_alive()
        stop.set()
        worker.join(timeout=10)
    ctx.engine.dispose()
    assert "round failed" in caplog.text
    assert alive
