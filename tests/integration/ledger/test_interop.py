"""Interop: a tile client written from the C2SP specs and RFC 6962 alone, over HTTP.

This module imports nothing from Custos (only the standard library, `cryptography` and the
dev group's HTTP client): it reads a running `custos serve` as any tlog-tiles client would —
the checkpoint (c2sp.org/tlog-checkpoint) and its signature (c2sp.org/signed-note), the hash
tiles (c2sp.org/tlog-tiles) — rebuilds the root, and checks an inclusion proof it computes
itself and the one the log's public API serves. The `served_log` fixture (conftest) starts
the server.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx2 as httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# --- signed note and checkpoint (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) -------------


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """`<name>+<hex key id>+<base64(0x01 ‖ key)>` → (name, key id, Ed25519 public key)."""
    name, key_hash, blob = vkey.split("+", 2)
    raw = base64.b64decode(blob)
    assert raw[0] == 0x01  # Ed25519
    assert len(raw) == 33
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert key_id.hex() == key_hash
    return name, key_id, raw[1:]


def open_note(note: str, vkey: str) -> str:
    """The note's text, if the key signed it."""
    name, key_id, public = parse_vkey(vkey)
    text, sep, sigs = note.rpartition("\n\n")
    assert sep
    text += "\n"
    for line in sigs.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 ")
        signer, blob = line[2:].split(" ")
        raw = base64.b64decode(blob)
        if signer == name and raw[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode())
            return text
    raise AssertionError("no signature by the log's key")


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    origin, size, root = text.split("\n")[:3]
    return origin, int(size), base64.b64decode(root)


# --- tiles (c2sp.org/tlog-tiles) --------------------------------------------------------------


def tile_path(level: int, index: int, width: int) -> str:
    n = f"{index % 1000:03d}"
    while index >= 1000:
        index //= 1000
        n = f"x{index % 1000:03d}/{n}"
    return f"tile/{level}/{n}" + (f".p/{width}" if width < 256 else "")


def fetch_level(client: httpx.Client, prefix: str, level: int, size: int) -> list[bytes]:
    """Every hash of a tree level 8·level for a tree of `size` leaves, from its tiles."""
    count = size >> (8 * level)
    hashes: list[bytes] = []
    for index in range((count + 255) // 256):
        width = min(256, count - index * 256)
        got = client.get(f"{prefix}/{tile_path(level, index, width)}")
        assert got.status_code == 200, got.status_code
        assert got.headers["content-type"] == "application/octet-stream"
        assert len(got.content) == 32 * width
        hashes += [got.content[i : i + 32] for i in range(0, len(got.content), 32)]
    return hashes


# --- RFC 6962 §2.1 ---------------------------------------------------------------------------


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1, leaf to root."""
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


def test_a_spec_client_reads_the_served_log(served_log: Any) -> None:
    prefix: str = served_log.prefix
    with httpx.Client(timeout=10) as client:
        # 1. The checkpoint: short-lived caching, signed by the log, origin = the URL prefix.
        got = client.get(f"{prefix}/checkpoint")
        assert got.status_code == 200
        assert got.headers["content-type"] == "text/plain; charset=utf-8"
        assert "max-age=5" in got.headers["cache-control"]
        origin, size, root = parse_checkpoint(open_note(got.text, served_log.verifier_key))
        assert origin == prefix.removeprefix("http://")
        assert size == 700
        # 2. The tiles rebuild the root; each level-1 hash is the MTH of a full level-0 tile.
        leaves = fetch_level(client, prefix, 0, size)
        assert mth(leaves) == root
        level1 = fetch_level(client, prefix, 1, size)
        assert level1 == [mth(leaves[i * 256 : (i + 1) * 256]) for i in range(size // 256)]
        # 3. An inclusion proof, computed from the tiles and served by the log, leads to the root.
        index = 517
        mine = path(index, leaves)
        served = client.get(
            f"{served_log.base}/v1/ledger/proofs/inclusion",
            params={"index": index, "tree_size": size},
        ).json()
        assert [base64.b64decode(h) for h in served["inclusion_proof"]] == mine
        assert base64.b64decode(served["leaf_hash"]) == leaves[index]
        assert root_from_inclusion(index, size, leaves[index], mine) == root
        # 4. Beyond the checkpoint there is nothing; entries are not public.
        assert client.get(f"{prefix}/tile/0/002.p/189").status_code == 404
        assert client.get(f"{prefix}/tile/entries/000").status_code == 401
