"""Property tests: the bucketed map, updated a batch at a time, is exactly the defined map.

The bucketed map is what the log commits; `AccountingMap` is checked against the definition in
`test_map.py`. Here every root and proof of the bucketed map, after any sequence of batches,
must equal `AccountingMap`'s over the same people's chains — and verify.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.ledger import ProofError
from custos.ledger._map import AccountingMap, chain, value_hash, verify_map_proof
from custos.ledger._map_buckets import Bucket, BucketMap, bucket_of, build_proof, digests, fold

# Keys crowd into a few buckets (and share long prefixes) so that splits, single-person
# subtrees and empty siblings all occur at every depth, above and below the buckets and the
# buckets' stored subtrees (bucket 0 has people in its subtrees 0, 1, 8 and 15).
prefixes = st.sampled_from(
    [b"\x00\x00", b"\x00\x01", b"\x00\x08", b"\x00\x0f", b"\x00\x10", b"\x80\x00", b"\xff\xf0"]
)
keys = st.builds(
    lambda p, mid, rest: p + mid + rest,
    prefixes,
    st.sampled_from([bytes(20), b"\x01" * 20, b"\x80" + bytes(19)]),
    st.binary(min_size=10, max_size=10),
)
batches = st.lists(st.lists(keys, max_size=12), min_size=1, max_size=4)


def _apply(
    top: BucketMap, stored: dict[int, Bucket], batch: list[bytes], start: int
) -> list[tuple[bytes, int, bytes]]:
    entries = [
        (key, start + i, hashlib.sha256(key + i.to_bytes(4, "big")).digest())
        for i, key in enumerate(batch)
    ]
    for key, _, _ in entries:
        stored.setdefault(bucket_of(key), Bucket())
    top.set_buckets(digests(stored, fold(stored, entries)))
    return entries


def _reference(history: list[tuple[bytes, int, bytes]]) -> tuple[AccountingMap, dict[bytes, bytes]]:
    per: dict[bytes, list[tuple[int, bytes]]] = defaultdict(list)
    for key, index, leaf in history:
        per[key].append((index, leaf))
    values = {key: value_hash(*chain(items)) for key, items in per.items()}
    return AccountingMap(values), values


@settings(max_examples=150, deadline=None)
@given(batches, keys)
def test_bucketed_map_is_the_defined_map(batches: list[list[bytes]], stranger: bytes) -> None:
    top, stored = BucketMap(), dict[int, Bucket]()
    history: list[tuple[bytes, int, bytes]] = []
    for batch in batches:
        history += _apply(top, stored, batch, len(history))
        reference, values = _reference(history)
        assert top.root() == reference.root()
        assert top.people() == len(values)
    for key in [*values, stranger]:
        proof = build_proof(top, key, lambda b: stored.get(b, Bucket()))
        assert proof == reference.prove(key)
        verify_map_proof(top.root(), key, values.get(key), proof)
        # As a server reads it: records and stored subtree hashes; and records alone.
        assert build_proof(top, key, lambda b: _reloaded(stored, b)) == proof
        assert build_proof(top, key, lambda b: _reloaded(stored, b, subtrees=False)) == proof


def _reloaded(stored: dict[int, Bucket], b: int, *, subtrees: bool = True) -> Bucket:
    if b not in stored:
        return Bucket()
    kept = stored[b].subtrees_blob() if subtrees else None
    return Bucket.from_blob(stored[b].to_blob(), kept)


@settings(deadline=None)
@given(st.lists(keys, min_size=1, max_size=12), st.data())
def test_another_entry_for_a_person_changes_the_root_and_voids_their_proof(
    batch: list[bytes], data: st.DataObject
) -> None:
    top, stored = BucketMap(), dict[int, Bucket]()
    history = _apply(top, stored, batch, 0)
    key = data.draw(st.sampled_from(batch))
    before, (_, values) = top.root(), _reference(history)
    old_proof = build_proof(top, key, stored.__getitem__)
    _apply(top, stored, [key], len(history))
    assert top.root() != before
    with pytest.raises(ProofError):
        verify_map_proof(top.root(), key, values[key], old_proof)


def test_blobs_round_trip() -> None:
    top, stored = BucketMap(), dict[int, Bucket]()
    _apply(top, stored, [b"\x00" * 32, b"\x00" * 31 + b"\x01", b"\xff" * 32], 0)
    again = BucketMap.from_blobs(*top.blobs())
    assert again.root() == top.root()
    assert again.counts == top.counts
    for bucket in stored.values():
        assert Bucket.from_blob(bucket.to_blob(), bucket.subtrees_blob()) == bucket
        assert Bucket.from_blob(bucket.to_blob()).digest() == bucket.digest()


def test_a_stored_bucket_with_the_wrong_number_of_subtrees_is_refused() -> None:
    top, stored = BucketMap(), dict[int, Bucket]()
    _apply(top, stored, [b"\x00" * 32, b"\x00" * 31 + b"\x01"], 0)
    bucket = stored[0]
    with pytest.raises(ValueError, match="16 subtree hashes"):
        Bucket.from_blob(bucket.to_blob(), bucket.subtrees_blob()[:-32])


def test_a_new_entry_replaces_the_subtrees_a_bucket_kept() -> None:
    """A bucket keeps its subtree hashes once worked out; folding another entry in must not
    leave the old ones in place (the store would write hashes of the people before)."""
    top, stored = BucketMap(), dict[int, Bucket]()
    _apply(top, stored, [b"\x00" * 32, b"\x00" * 31 + b"\x01"], 0)
    before = stored[0].subtrees_blob()
    _apply(top, stored, [b"\x00\x01" + b"\x07" * 30], 2)
    assert stored[0].subtrees_blob() != before
    assert stored[0].subtrees_blob() == Bucket.from_blob(stored[0].to_blob()).subtrees_blob()
