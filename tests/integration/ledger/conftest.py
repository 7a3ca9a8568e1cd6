"""A ledger-ready context: the shared test database plus a signer key file (mode 0600)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from custos.domain.events import Event, EventTag
from custos.ledger import append, generate_key
from custos.workflow import ledger
from custos.workflow.context import Context

ORIGIN = "test.custos.example/ledger"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, str]:
    signer, verifier = generate_key(ORIGIN)
    path = tmp_path / "ledger.key"
    ledger.write_key_file(path, [signer])
    return path, verifier


@pytest.fixture
def lctx(ctx: Context, keys: tuple[Path, str]) -> Context:
    settings = ctx.settings.model_copy(update={"ledger_key_path": keys[0], "ledger_origin": ORIGIN})
    return Context(settings=settings, engine=ctx.engine, sessions=ctx.sessions, clock=ctx.clock)


def add_events(ctx: Context, n: int, *, subject: str | None = None, start: int = 0) -> list[int]:
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    events = [
        Event(tag=EventTag.RECORDS_IMPORT_COMPLETE, at=at, actor="system", data={"n": start + i})
        for i in range(n)
    ]
    with ctx.transaction() as session:
        return append(session, events, subject_refs=[subject] * n)
