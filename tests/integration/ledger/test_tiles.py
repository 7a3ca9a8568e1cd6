"""The log as C2SP tlog-tiles: served by the app, written as static files; public inclusion
proofs. Tiles are checked against an in-memory tree built from the same entries."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.api.app import create_app
from custos.domain.roles import Role
from custos.ledger import (
    MemoryTree,
    TileRef,
    decode_bundle,
    hash_leaf,
    tiles_for_size,
    verify_inclusion,
)
from custos.store.tables import LedgerEntry
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import add_events
from tests.integration.ledger.test_api import _login

PREFIX = "/ledger"  # the path of the default CUSTOS_LEDGER_URL


def _bodies(lctx: Context, n: int) -> list[bytes]:
    with lctx.reading() as session:
        rows = session.scalars(
            select(LedgerEntry.body).where(LedgerEntry.idx < n).order_by(LedgerEntry.idx)
        )
        return [bytes(b) for b in rows]


def _expected_tile(tree: MemoryTree, ref: TileRef) -> bytes:
    level = 8 * (ref.level or 0)
    first = ref.index * 256
    return b"".join(tree.levels[level][first : first + ref.width])


def test_tiles_and_checkpoint_are_served_as_the_spec_defines(lctx: Context) -> None:
    client = TestClient(create_app(ctx=lctx))
    assert client.get(f"{PREFIX}/checkpoint").status_code == 404  # nothing published yet
    add_events(lctx, 300)
    first = ledger.publish_checkpoint(lctx)
    add_events(lctx, 70_000 - 300, start=300)
    ledger.publish_checkpoint(lctx)
    got = client.get(f"{PREFIX}/checkpoint")
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    assert got.headers["cache-control"] == "public, max-age=5"
    assert got.text.split("\n")[:2] == ["test.custos.example/ledger", "70000"]
    assert client.get("/v1/ledger/checkpoint").headers["cache-control"] == "public, max-age=5"
    tree = MemoryTree(hash_leaf(b) for b in _bodies(lctx, 70_000))
    wanted = tiles_for_size(70_000)
    # Every tile of the latest checkpoint; partial tiles of the earlier one too.
    for ref in [*wanted[-6:], wanted[0], *tiles_for_size(first.size)]:
        tile = client.get(f"{PREFIX}/{ref.path()}")
        assert tile.status_code == 200, ref
        assert tile.headers["content-type"] == "application/octet-stream"
        assert tile.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-security-policy" not in tile.headers
        assert tile.content == _expected_tile(tree, ref), ref
    # Beyond the checkpoint, a non-canonical path, an entry bundle without a session: refused.
    assert client.get(f"{PREFIX}/tile/0/273.p/113").status_code == 404
    assert client.get(f"{PREFIX}/tile/0/274").status_code == 404
    assert client.get(f"{PREFIX}/tile/0/x000/001").status_code == 404
    assert client.get(f"{PREFIX}/tile/entries/000").status_code == 401


def test_entry_bundles_are_for_auditors(lctx: Context) -> None:
    client = TestClient(create_app(ctx=lctx))
    add_events(lctx, 260)
    ledger.publish_checkpoint(lctx)
    auditor = _login(client, lctx, "auditor1", Role.AUDITOR)
    intake = _login(client, lctx, "intake1", Role.INTAKE)
    assert client.get(f"{PREFIX}/tile/entries/000", headers=intake).status_code == 403
    full = client.get(f"{PREFIX}/tile/entries/000", headers=auditor)
    assert full.status_code == 200
    assert full.headers["cache-control"] == "private, no-store"
    assert decode_bundle(full.content) == _bodies(lctx, 256)
    partial = client.get(f"{PREFIX}/tile/entries/001.p/4", headers=auditor)
    assert decode_bundle(partial.content) == _bodies(lctx, 260)[256:]
    assert client.get(f"{PREFIX}/tile/entries/001.p/5", headers=auditor).status_code == 404


def test_inclusion_proofs_are_public_by_index_and_by_leaf_hash(lctx: Context) -> None:
    client = TestClient(create_app(ctx=lctx))
    add_events(lctx, 50)
    cp = ledger.publish_checkpoint(lctx)
    body = _bodies(lctx, 50)[17]
    by_index = client.get("/v1/ledger/proofs/inclusion", params={"index": 17}).json()
    wanted = base64.urlsafe_b64encode(hash_leaf(body)).decode()
    by_hash = client.get("/v1/ledger/proofs/inclusion", params={"leaf_hash": wanted}).json()
    assert by_index == by_hash
    plain = base64.b64encode(hash_leaf(body)).decode()
    unescaped = client.get(f"/v1/ledger/proofs/inclusion?leaf_hash={plain}").json()
    assert unescaped == by_index
    assert set(by_index) == {"index", "tree_size", "leaf_hash", "inclusion_proof"}
    verify_inclusion(
        leaf_hash=hash_leaf(body),
        index=17,
        tree_size=cp.size,
        proof=[base64.b64decode(p) for p in by_index["inclusion_proof"]],
        root=cp.root,
    )
    unknown = base64.b64encode(hash_leaf(b"never logged")).decode()
    assert (
        client.get("/v1/ledger/proofs/inclusion", params={"leaf_hash": unknown}).status_code == 404
    )
    assert client.get("/v1/ledger/proofs/inclusion", params={"index": 50}).status_code == 404
    assert client.get("/v1/ledger/proofs/inclusion").status_code == 422
    bad = client.get("/v1/ledger/proofs/inclusion", params={"leaf_hash": "AAAA"})
    assert bad.status_code == 422


@pytest.mark.parametrize("size", [300])
def test_publish_writes_the_same_tiles_as_static_files(
    lctx: Context, tmp_path: Path, size: int
) -> None:
    client = TestClient(create_app(ctx=lctx))
    add_events(lctx, size)
    ledger.publish_checkpoint(lctx)
    out = tmp_path / "public"
    summary = ledger.publish_static(lctx, out)
    assert (summary.size, summary.written, summary.kept) == (size, 3, 0)
    for ref in tiles_for_size(size):
        assert (out / ref.path()).read_bytes() == client.get(f"{PREFIX}/{ref.path()}").content
    assert (out / "checkpoint").read_text() == client.get(f"{PREFIX}/checkpoint").text
    add_events(lctx, 300, start=size)
    ledger.publish_checkpoint(lctx)
    again = ledger.publish_static(lctx, out)
    assert (again.written, again.kept) == (3, 1)  # the full level-0 tile is kept
    assert (out / "tile/0/001.p/44").exists()  # the earlier checkpoint's partial tile stays
    assert not list(out.rglob("*.tmp"))
    assert not (out / "tile" / "entries").exists()  # entries are not public


def test_a_persons_entries_are_proved_together_against_the_stored_tiles(lctx: Context) -> None:
    """A person's entries fall in different tiles (here three bottom tiles and a partial
    upper one, none cached yet): fetched in one query, every proof still verifies."""
    ref = "person-ref-0001"
    for start in (0, 300, 600):
        add_events(lctx, 3, start=start)
        add_events(lctx, 1, subject=ref, start=start + 3)
        add_events(lctx, 296, start=start + 4)
    cp = ledger.publish_checkpoint(lctx)
    proven = ledger.entries_for_subject(lctx, ref, tree_size=cp.size)
    assert [p.index for p in proven] == [3, 303, 603]
    for p in proven:
        verify_inclusion(
            leaf_hash=hash_leaf(p.body),
            index=p.index,
            tree_size=cp.size,
            proof=p.proof,
            root=cp.root,
        )
