"""C2SP tlog-tiles encoding and the tlog-witness `add-checkpoint` witness, without a database."""

from __future__ import annotations

import base64

import pytest

from custos.ledger import (
    AddCheckpoint,
    Checkpoint,
    Cosigner,
    MemoryCosignerState,
    MemoryTree,
    TilePathError,
    TileRef,
    WitnessRequestError,
    decode_bundle,
    encode_bundle,
    encode_index,
    generate_key,
    hash_leaf,
    open_note_full,
    parse_tile_path,
    sign_note,
    tiles_for_size,
)

ORIGIN = "log.example/custos"
LOG_SIGNER, LOG_VERIFIER = generate_key(ORIGIN)
WITNESS_SIGNER, WITNESS_VERIFIER = generate_key("witness.example/w1", cosigner=True)


def test_tile_index_encoding_follows_the_spec_example() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(1000) == "x001/000"
    assert TileRef(level=0, index=1234067, width=7).path() == "tile/0/x001/x234/067.p/7"
    assert TileRef(level=None, index=5).path() == "tile/entries/005"


@pytest.mark.parametrize(
    "path", ["tile/0/x001/x234/067.p/7", "tile/3/000", "tile/entries/x002/999", "tile/63/001.p/1"]
)
def test_canonical_tile_paths_round_trip(path: str) -> None:
    assert parse_tile_path(path).path() == path


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/x000/001",  # a second spelling of tile 1
        "tile/00/001",
        "tile/64/000",
        "tile/0/1",
        "tile/0/001.p/256",
        "tile/0/001.p/0",
        "tile/0/001.p/07",
        "tile/0/x1/001",
        "tile/0/abc",
        "tiles/0/000",
        "tile/0",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_tiles_for_a_size_match_the_spec_examples() -> None:
    tiles = tiles_for_size(70_000)
    full0 = [t for t in tiles if t.level == 0 and not t.partial]
    partial = [(t.level, t.index, t.width) for t in tiles if t.partial]
    assert len(full0) == 273
    assert partial == [(0, 273, 112), (1, 1, 17), (2, 0, 1)]
    assert [(t.level, t.width) for t in tiles if t.level == 1 and not t.partial] == [(1, 256)]
    assert [(t.level, t.index, t.width) for t in tiles_for_size(256)] == [(0, 0, 256), (1, 0, 1)]
    assert tiles_for_size(0) == []


def test_entry_bundles_are_uint16_length_prefixed() -> None:
    entries = [b"", b"a", b"x" * 300]
    blob = encode_bundle(entries)
    assert blob[:7] == b"\x00\x00" + b"\x00\x01a" + b"\x01\x2c"
    assert decode_bundle(blob) == entries
    with pytest.raises(ValueError, match="truncated"):
        decode_bundle(blob[:-1])
    with pytest.raises(ValueError, match="does not fit"):
        encode_bundle([b"x" * 65536])


# --- tlog-witness ----------------------------------------------------------------------------


def _note(tree: MemoryTree, size: int, signer: str = LOG_SIGNER, origin: str = ORIGIN) -> str:
    text = Checkpoint(origin=origin, size=size, root=tree.root(size)).text()
    return sign_note(text=text, signer_key=signer)


def _cosigner(state: MemoryCosignerState) -> Cosigner:
    return Cosigner(
        logs={ORIGIN: [LOG_VERIFIER]},
        signer_key=WITNESS_SIGNER,
        state=state,
        clock=lambda: 1_800_000_000,
    )


def _submit(w: Cosigner, old: int, proof: list[bytes], note: str) -> str:
    return w.add_checkpoint(AddCheckpoint(old_size=old, proof=proof, note=note).encode())


def _status(w: Cosigner, body: bytes) -> tuple[int, int | None]:
    with pytest.raises(WitnessRequestError) as caught:
        w.add_checkpoint(body)
    return caught.value.status, caught.value.size


def test_the_request_body_is_the_specs_format() -> None:
    tree = MemoryTree(hash_leaf(b"%d" % i) for i in range(9))
    note = _note(tree, 9)
    body = AddCheckpoint(old_size=4, proof=tree.consistency_proof(4, 9), note=note).encode()
    head, _, rest = body.decode().partition("\n\n")
    assert head.split("\n")[0] == "old 4"
    assert [base64.b64decode(x) for x in head.split("\n")[1:]] == tree.consistency_proof(4, 9)
    assert rest == note
    assert AddCheckpoint.parse(body) == AddCheckpoint(
        old_size=4, proof=tree.consistency_proof(4, 9), note=note
    )


def test_a_witness_cosigns_a_consistent_history_and_answers_409_with_its_size() -> None:
    state = MemoryCosignerState()
    w = _cosigner(state)
    tree = MemoryTree(hash_leaf(b"%d" % i) for i in range(300))
    lines = _submit(w, 0, [], _note(tree, 20))
    assert lines.startswith("— witness.example/w1 ")
    assert lines.endswith("\n")
    opened = open_note_full(note=_note(tree, 20) + lines, verifier_keys=[WITNESS_VERIFIER])
    assert opened.cosigned_at[0][2] == 1_800_000_000
    # A stale old size: 409 and the size the witness holds.
    body = AddCheckpoint(old_size=0, proof=[], note=_note(tree, 300)).encode()
    assert _status(w, body) == (409, 20)
    _submit(w, 20, tree.consistency_proof(20, 300), _note(tree, 300))
    assert state.logs[ORIGIN].size == 300
    # The same checkpoint again is cosigned again.
    assert _submit(w, 300, [], _note(tree, 300))
    assert state.alarms == []


def test_a_witness_refuses_a_fork_with_the_specs_statuses_and_keeps_the_evidence() -> None:
    state = MemoryCosignerState()
    w = _cosigner(state)
    honest = MemoryTree(hash_leaf(b"%d" % i) for i in range(40))
    forked = MemoryTree(hash_leaf(b"other %d" % i) for i in range(40))
    _submit(w, 0, [], _note(honest, 20))
    # Another history from the size it holds: the proof cannot verify (422).
    body = AddCheckpoint(
        old_size=20, proof=forked.consistency_proof(20, 40), note=_note(forked, 40)
    ).encode()
    assert _status(w, body)[0] == 422
    # Another root for the same size: 409.
    body = AddCheckpoint(old_size=20, proof=[], note=_note(forked, 20)).encode()
    assert _status(w, body) == (409, 20)
    assert state.alarms[0][1].startswith("size 40 is not consistent")
    assert "forked" in state.alarms[1][1]
    assert state.logs[ORIGIN].size == 20  # nothing was rolled forward


def test_a_witness_answers_400_403_404() -> None:
    w = _cosigner(MemoryCosignerState())
    tree = MemoryTree(hash_leaf(b"%d" % i) for i in range(5))
    assert _status(w, b"old 01\n\n" + _note(tree, 5).encode())[0] == 400
    assert _status(w, b"old 1\n" + _note(tree, 5).encode())[0] == 400
    assert _status(w, b"old 6\n\n" + _note(tree, 5).encode())[0] == 400
    assert _status(w, b"old 0\nnot base64!\n\n" + _note(tree, 5).encode())[0] == 400
    assert _status(w, b"old 0\n" + b"AAAA\n" * 64 + b"\n" + _note(tree, 5).encode())[0] == 400
    impostor, _ = generate_key(ORIGIN)
    assert _status(w, b"old 0\n\n" + _note(tree, 5, signer=impostor).encode())[0] == 403
    other, _ = generate_key("other.example/log")
    assert _status(w, b"old 0\n\n" + _note(tree, 5, other, "other.example/log").encode())[0] == 404


def test_a_proof_from_size_zero_must_be_empty() -> None:
    w = _cosigner(MemoryCosignerState())
    tree = MemoryTree(hash_leaf(b"%d" % i) for i in range(5))
    body = AddCheckpoint(old_size=0, proof=[tree.root(2)], note=_note(tree, 5)).encode()
    assert _status(w, body)[0] == 422
