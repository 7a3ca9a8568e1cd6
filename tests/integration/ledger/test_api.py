"""The /v1/ledger endpoints: public reads for anyone, entries for auditors only."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from custos.api.app import create_app
from custos.domain.roles import Role
from custos.ledger import Checkpoint, hash_leaf, open_note, verify_consistency, verify_inclusion
from custos.workflow import accounts, ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import add_events

PASSWORD = "correct horse battery staple"


def _login(client: TestClient, lctx: Context, username: str, role: Role) -> dict[str, str]:
    accounts.create_staff(
        lctx,
        actor=None,
        username=username,
        display_name=username,
        password=PASSWORD,
        roles={role},
    )
    token = client.post(
        "/v1/staff/session", json={"username": username, "password": PASSWORD}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_public_and_auditor_views(lctx: Context, keys: tuple[Path, str]) -> None:
    client = TestClient(create_app(ctx=lctx))
    add_events(lctx, 10)
    ledger.publish_checkpoint(lctx)
    first = Checkpoint.parse(
        open_note(note=client.get("/v1/ledger/checkpoint").text, verifier_keys=[keys[1]])
    )
    add_events(lctx, 30)
    auditor = _login(client, lctx, "auditor1", Role.AUDITOR)
    assert client.post("/v1/ledger/checkpoint", headers=auditor).status_code == 201
    cp = Checkpoint.parse(
        open_note(note=client.get("/v1/ledger/checkpoint").text, verifier_keys=[keys[1]])
    )
    proof = client.get(
        "/v1/ledger/proofs/consistency", params={"first": 10, "second": cp.size}
    ).json()
    verify_consistency(
        size1=10,
        size2=cp.size,
        proof=[base64.b64decode(p) for p in proof["proof"]],
        root1=first.root,
        root2=cp.root,
    )
    leaves = client.get("/v1/ledger/leaves", params={"start": 0, "count": 5}).json()
    assert len(leaves["leaf_hashes"]) == 5
    assert "entry" not in leaves
    # Entries: auditors only.
    assert client.get("/v1/ledger/entries").status_code == 401
    intake = _login(client, lctx, "intake1", Role.INTAKE)
    assert client.get("/v1/ledger/entries", headers=intake).status_code == 403
    entry = client.get("/v1/ledger/entries/25", headers=auditor).json()
    verify_inclusion(
        leaf_hash=hash_leaf(entry["entry"].encode()),
        index=25,
        tree_size=cp.size,
        proof=[base64.b64decode(p) for p in entry["inclusion_proof"]],
        root=cp.root,
    )
