"""Every transition writes exactly one event in the same transaction as the change; a failure
before commit keeps neither; the log refuses edits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from custos.domain.lifecycle import RequestStatus
from custos.store import tables as t
from custos.workflow import requests
from custos.workflow.context import Context
from tests.integration.conftest import World, paper_fleeing_felon


class InjectedFailureError(Exception):
    pass


def _tags(ctx: Context, request_id: str) -> list[str]:
    with ctx.reading() as s:
        return list(
            s.scalars(
                select(t.LedgerEntry.tag)
                .where(t.LedgerEntry.request_id == request_id)
                .order_by(t.LedgerEntry.idx)
            )
        )


def _status_events(ctx: Context, request_id: str) -> list[tuple[str, str]]:
    with ctx.reading() as s:
        bodies = s.scalars(
            select(t.LedgerEntry.body)
            .where(t.LedgerEntry.request_id == request_id)
            .order_by(t.LedgerEntry.idx)
        )
        out = []
        for body in bodies:
            data = json.loads(body)["data"]
            if "previous" in data:
                out.append((data["previous"], data["status"]))
        return out


def test_each_transition_has_exactly_one_event(world: World) -> None:
    ctx = world.ctx
    rid = requests.submit(
        ctx,
        actor=world.staff["intake"],
        data=paper_fleeing_felon(world),
        requester_id=world.requesters["police"],
    )
    requests.classify(ctx, actor=world.staff["counsel"], request_id=rid)
    requests.approve(ctx, actor=world.staff["approver1"], request_id=rid)
    requests.approve(ctx, actor=world.staff["approver2"], request_id=rid)
    assert _tags(ctx, rid) == [
        "request:intake:receive",
        "request:decision:partial",
        "request:review:start",
        "request:classification:confirm",
        "request:approval:grant",
        "request:approval:grant",
        "request:status:approve",
    ]
    # The transitions, read back from the log, are exactly the path the request took.
    assert _status_events(ctx, rid) == [
        ("received", "decided"),
        ("decided", "in_review"),
        ("in_review", "approved"),
    ]
    with ctx.reading() as s:
        assert s.get(t.Request, rid).status == RequestStatus.APPROVED  # type: ignore[union-attr]


@contextmanager
def _failing_before_commit(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make every unit of work fail after its body ran (change and event written) but
    before it commits."""
    original = ctx.sessions

    @contextmanager
    def transaction() -> Iterator[Session]:
        with original() as session, session.begin():
            yield session
            session.flush()
            raise InjectedFailureError

    monkeypatch.setattr(ctx, "transaction", transaction)
    try:
        yield
    finally:
        monkeypatch.undo()


def _counts(ctx: Context) -> tuple[int, int, int, int]:
    with ctx.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(t.LedgerEntry)) or 0,
            s.scalar(select(func.count()).select_from(t.Request)) or 0,
            s.scalar(select(func.count()).select_from(t.Approval)) or 0,
            s.scalar(select(func.count()).select_from(t.DecisionRow)) or 0,
        )


def test_a_failure_before_commit_keeps_neither_change_nor_event(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = world.ctx
    before = _counts(ctx)
    with _failing_before_commit(ctx, monkeypatch), pytest.raises(InjectedFailureError):
        requests.submit(
            ctx,
            actor=world.staff["intake"],
            data=paper_fleeing_felon(world),
            requester_id=world.requesters["police"],
        )
    assert _counts(ctx) == before

    rid = requests.submit(
        ctx,
        actor=world.staff["intake"],
        data=paper_fleeing_felon(world),
        requester_id=world.requesters["police"],
    )
    requests.classify(ctx, actor=world.staff["counsel"], request_id=rid)
    before = _counts(ctx)
    with _failing_before_commit(ctx, monkeypatch), pytest.raises(InjectedFailureError):
        requests.approve(ctx, actor=world.staff["approver1"], request_id=rid)
    assert _counts(ctx) == before
    with _failing_before_commit(ctx, monkeypatch), pytest.raises(InjectedFailureError):
        requests.deny(ctx, actor=world.staff["counsel"], request_id=rid, reason="test")
    assert _counts(ctx) == before
    with ctx.reading() as s:
        row = s.get(t.Request, rid)
        assert row is not None
        assert row.status == RequestStatus.IN_REVIEW
        assert row.denial_reason is None


def test_the_log_refuses_updates_and_deletes(world: World) -> None:
    ctx = world.ctx
    with ctx.reading() as s:
        assert (s.scalar(select(func.count()).select_from(t.LedgerEntry)) or 0) > 0
    with pytest.raises(DBAPIError, match="append-only"), ctx.transaction() as s:
        s.execute(update(t.LedgerEntry).values(tag="request:status:approve"))
    with pytest.raises(DBAPIError, match="append-only"), ctx.transaction() as s:
        s.execute(text("DELETE FROM ledger_entries"))


def test_events_hold_no_plaintext_personal_data(world: World) -> None:
    ctx = world.ctx
    person = world.person("snap_fleeing_felon")
    rid = requests.submit(
        ctx,
        actor=world.staff["intake"],
        data=paper_fleeing_felon(world),
        requester_id=world.requesters["police"],
    )
    with ctx.reading() as s:
        bodies = b"\n".join(s.scalars(select(t.LedgerEntry.body)))
    assert rid.encode() in bodies
    for value in (
        person.ssn,
        person.first_name,
        person.last_name,
        person.dcn,
        str(person.birth_date),
    ):
        assert value is not None
        assert value.encode() not in bodies
