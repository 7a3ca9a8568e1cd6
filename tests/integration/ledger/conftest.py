"""A ledger-ready context: the shared test database plus a signer key file (mode 0600); a
log served by a real `custos serve` process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from custos.config import origin_of
from custos.domain.events import Event, EventTag
from custos.ledger import append, generate_key
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.conftest import TEST_SECRET
from tests.integration.ledger.processes import free_port, running

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


@dataclass(frozen=True, kw_only=True)
class ServedLog:
    """A `custos serve` process over a log with published checkpoints."""

    base: str
    #: The log's URL prefix (`CUSTOS_LEDGER_URL`): tiles and checkpoint live under it.
    prefix: str
    verifier_key: str
    ctx: Context
    env: dict[str, str]


def serve_env(ctx: Context, key: Path) -> dict[str, str]:
    """The environment a `custos serve` process needs to serve `ctx`'s database."""
    settings = ctx.settings
    return {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_DATA_DIR": str(settings.data_dir),
        "CUSTOS_PSEUDONYM_SECRET": TEST_SECRET,
        "CUSTOS_POLICIES_DIR": str(settings.policies_dir),
        "CUSTOS_LEDGER_URL": settings.ledger_url,
        "CUSTOS_LEDGER_KEY_PATH": str(key),
    }


@pytest.fixture
def served_log(sqlite_ctx: Context, tmp_path: Path) -> Iterator[ServedLog]:
    """700 entries and two checkpoints, served by a real `custos serve` on a free port, the
    log under `/log` (so its origin is `127.0.0.1:<port>/log`)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/log"
    signer, verifier = generate_key(origin_of(url))
    key = tmp_path / "ledger.key"
    ledger.write_key_file(key, [signer])
    settings = sqlite_ctx.settings.model_copy(
        update={"ledger_url": url, "ledger_origin": origin_of(url), "ledger_key_path": key}
    )
    ctx = Context(
        settings=settings,
        engine=sqlite_ctx.engine,
        sessions=sqlite_ctx.sessions,
        clock=sqlite_ctx.clock,
    )
    add_events(ctx, 300)
    ledger.publish_checkpoint(ctx)
    add_events(ctx, 400, start=300)
    ledger.publish_checkpoint(ctx)
    env = serve_env(ctx, key)
    args = ["serve", "--port", str(port)]
    with running(args, port=port, env=env, log=tmp_path / "serve.log"):
        yield ServedLog(
            base=f"http://127.0.0.1:{port}", prefix=url, verifier_key=verifier, ctx=ctx, env=env
        )
