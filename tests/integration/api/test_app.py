"""The served app publishes signed checkpoints in the background."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from custos.api.app import create_app
from custos.ledger import generate_key, open_note
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.conftest import World

ORIGIN = "test.custos.example/ledger"


def test_serving_publishes_checkpoints_every_interval(world: World, tmp_path: Path) -> None:
    signer, verifier = generate_key(ORIGIN)
    key_path = tmp_path / "ledger.key"
    ledger.write_key_file(key_path, [signer])
    settings = world.ctx.settings.model_copy(
        update={
            "ledger_key_path": key_path,
            "ledger_origin": ORIGIN,
            "checkpoint_interval_seconds": 1,
        }
    )
    ctx = Context(settings=settings, engine=world.ctx.engine, sessions=world.ctx.sessions)
    with TestClient(create_app(ctx=ctx, background=True)) as client:
        deadline = time.monotonic() + 20
        response = client.get("/v1/ledger/checkpoint")
        while response.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            response = client.get("/v1/ledger/checkpoint")
        assert response.status_code == 200, response.text
    text = open_note(note=response.text, verifier_keys=[verifier])
    origin, size, _root = text.splitlines()
    assert origin == ORIGIN
    assert int(size) > 0


def test_without_background_nothing_is_published(world: World) -> None:
    with TestClient(create_app(ctx=world.ctx)) as client:
        assert client.get("/v1/ledger/checkpoint").status_code == 404
