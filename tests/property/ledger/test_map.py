"""Property tests: the accounting map's proofs verify, bind their person and track every change.

The reference root here is computed from the definition (a plain recursive trie over the key
bits, with no caching or bisection), so these tests check `AccountingMap` against the
construction `docs/accounting-map.md` describes, not against itself.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.ledger import ProofError
from custos.ledger._map import (
    EMPTY,
    AccountingMap,
    MapProof,
    Terminal,
    chain,
    leaf_hash,
    map_key,
    node_hash,
    value_hash,
    verify_map_proof,
)

hashes = st.binary(min_size=32, max_size=32)
maps = st.dictionaries(hashes, hashes, max_size=60)


def _bit(key: bytes, depth: int) -> int:
    return (key[depth // 8] >> (7 - depth % 8)) & 1


def reference_root(items: dict[bytes, bytes], depth: int = 0) -> bytes:
    """The definition: empty → zeros, one leaf → its leaf hash, else hash the two halves."""
    if not items:
        return EMPTY
    if len(items) == 1:
        ((key, value),) = items.items()
        return leaf_hash(key, value)
    left = {k: v for k, v in items.items() if not _bit(k, depth)}
    right = {k: v for k, v in items.items() if _bit(k, depth)}
    return node_hash(reference_root(left, depth + 1), reference_root(right, depth + 1))


@given(maps)
def test_root_matches_the_definition(items: dict[bytes, bytes]) -> None:
    assert AccountingMap(items).root() == reference_root(items)


@given(maps, st.data())
def test_membership_proofs_verify_and_round_trip(
    items: dict[bytes, bytes], data: st.DataObject
) -> None:
    if not items:
        return
    tree = AccountingMap(items)
    key = data.draw(st.sampled_from(sorted(items)))
    proof = tree.prove(key)
    assert proof.terminal is Terminal.LEAF
    decoded = MapProof.decode(proof.encode())
    assert decoded == proof
    verify_map_proof(tree.root(), key, items[key], decoded)
    # The same proof never shows a different value, nor absence.
    with pytest.raises(ProofError):
        verify_map_proof(tree.root(), key, hashlib.sha256(items[key]).digest(), decoded)
    with pytest.raises(ProofError):
        verify_map_proof(tree.root(), key, None, decoded)


@given(maps, hashes)
def test_non_membership_proofs_verify(items: dict[bytes, bytes], absent: bytes) -> None:
    items.pop(absent, None)
    tree = AccountingMap(items)
    proof = MapProof.from_b64(tree.prove(absent).to_b64())
    assert proof.terminal in (Terminal.EMPTY, Terminal.OTHER)
    verify_map_proof(tree.root(), absent, None, proof)
    with pytest.raises(ProofError):
        verify_map_proof(tree.root(), absent, hashlib.sha256(absent).digest(), proof)


@given(maps, st.data())
def test_a_proof_for_one_person_never_verifies_for_another(
    items: dict[bytes, bytes], data: st.DataObject
) -> None:
    if len(items) < 2:
        return
    tree = AccountingMap(items)
    key, other = data.draw(
        st.lists(st.sampled_from(sorted(items)), min_size=2, max_size=2, unique=True)
    )
    proof = tree.prove(key)
    for value in (items[key], items[other]):
        with pytest.raises(ProofError):
            verify_map_proof(tree.root(), other, value, proof)
    with pytest.raises(ProofError):
        verify_map_proof(tree.root(), other, None, proof)


@given(maps, hashes, hashes)
def test_any_change_to_a_value_or_a_new_person_changes_the_root(
    items: dict[bytes, bytes], key: bytes, value: bytes
) -> None:
    tree = AccountingMap(items)
    before = tree.root()
    if items.get(key) == value:
        return
    tree.update({key: value})
    assert tree.root() != before
    assert tree.root() == reference_root({**items, key: value})


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**9), hashes), min_size=1, max_size=12, unique_by=lambda e: e[0]
    ),
    st.data(),
)
def test_dropping_or_changing_any_entry_changes_the_value(
    entries: list[tuple[int, bytes]], data: st.DataObject
) -> None:
    """The value commits to the whole accounting: count, order and every leaf hash."""
    entries.sort()
    whole = value_hash(*chain(entries))
    drop = data.draw(st.integers(0, len(entries) - 1))
    shorter = entries[:drop] + entries[drop + 1 :]
    assert value_hash(*chain(shorter)) != whole
    index, leaf = entries[drop]
    changed = [*entries[:drop], (index, hashlib.sha256(leaf).digest()), *entries[drop + 1 :]]
    assert value_hash(*chain(changed)) != whole


def test_chain_refuses_entries_out_of_log_order() -> None:
    with pytest.raises(ValueError, match="log order"):
        chain([(5, EMPTY), (3, EMPTY)])


@given(maps, st.binary(max_size=200))
def test_decoding_garbage_fails_cleanly_or_round_trips(
    items: dict[bytes, bytes], raw: bytes
) -> None:
    try:
        proof = MapProof.decode(raw)
    except ProofError:
        return
    assert proof.encode() == raw


def test_keys_are_pseudonym_hashes() -> None:
    assert map_key("p_" + "a" * 32) == hashlib.sha256(b"p_" + b"a" * 32).digest()
