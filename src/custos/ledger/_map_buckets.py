"""The accounting map kept in buckets, so that an update rehashes only what changed.

`AccountingMap` (in `_map`) rehashes the whole tree for a new root: fine for a proof's test,
far too slow for a log that commits a root with every checkpoint. Here the 2**12 subtrees at
depth 12 ("buckets") are kept apart, each with its hash and its number of people, and the
4095 nodes above them in a small heap-ordered "top" tree. A change to some people rehashes
their buckets and the top nodes on the buckets' paths; nothing else. At 1M people a bucket
holds about 244 people, so one person's update hashes about a thousand nodes (well under a
millisecond) and a release touching everyone hashes each node once.

The tree is the one `docs/accounting-map.md` defines, so its root and proofs are exactly
`AccountingMap`'s; only the bookkeeping differs. A node's hash depends on its number of
people: none → the empty hash, one → that person's leaf (at whatever depth), more → the hash of
its two children. So a top node is worked out from its children's (hash, count) pairs alone.

Buckets are stored (`custos.ledger._map_store`) as blobs of 72-byte records, sorted by key:
`key (32) ‖ count (8, big-endian) ‖ chain head (32)`. The auditor's check of an export
(`_map_audit`) keeps the same structure in memory.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from custos.ledger._map import (
    EMPTY,
    HASH_SIZE,
    MapProof,
    Terminal,
    node_hash,
    value_hash,
)

#: Depth of the buckets: 4096 subtrees.
BUCKET_BITS = 12
BUCKETS = 1 << BUCKET_BITS
_TOP_NODES = 2 * BUCKETS - 1  # heap order: node i has children 2i+1, 2i+2; buckets last
_FIRST_BUCKET = BUCKETS - 1
RECORD = HASH_SIZE + 8 + HASH_SIZE
_KEY_BITS = 256
_LEAF, _VALUE, _CHAIN = b"\x10", b"\x12", b"\x13"  # as in `_map`
_sha256 = hashlib.sha256


def bucket_of(key: bytes) -> int:
    """The bucket of a 32-byte key: its first 12 bits."""
    return (key[0] << 4) | (key[1] >> 4)


def _combine(left: tuple[bytes, int], right: tuple[bytes, int]) -> tuple[bytes, int]:
    """A node from its children: empty, the one leaf below it, or the hash of both."""
    count = left[1] + right[1]
    if count == 0:
        return EMPTY, 0
    if count == 1:
        return (left[0] if left[1] else right[0]), 1
    return node_hash(left[0], right[0]), count


@dataclass
class Bucket:
    """The people of one bucket, sorted by key (as integers, for fast bit tests)."""

    keys: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)

    @classmethod
    def from_blob(cls, blob: bytes) -> Bucket:
        if len(blob) % RECORD:
            raise ValueError("a map bucket holds whole records")
        out = cls()
        for pos in range(0, len(blob), RECORD):
            out.keys.append(int.from_bytes(blob[pos : pos + HASH_SIZE], "big"))
            out.counts.append(int.from_bytes(blob[pos + HASH_SIZE : pos + HASH_SIZE + 8], "big"))
            out.heads.append(blob[pos + HASH_SIZE + 8 : pos + RECORD])
        return out

    def to_blob(self) -> bytes:
        return b"".join(
            k.to_bytes(HASH_SIZE, "big") + c.to_bytes(8, "big") + h
            for k, c, h in zip(self.keys, self.counts, self.heads, strict=True)
        )

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, key: bytes) -> tuple[int, bytes] | None:
        """(count, chain head) of a person, None when they have no entry."""
        k = int.from_bytes(key, "big")
        pos = bisect.bisect_left(self.keys, k)
        if pos < len(self.keys) and self.keys[pos] == k:
            return self.counts[pos], self.heads[pos]
        return None

    def extend(self, items: Iterable[tuple[bytes, int, bytes]]) -> None:
        """Add accounting entries (key, log index, leaf hash), in log order, to people's
        chains. Chain steps are `chain_step`, inlined."""
        state = dict(zip(self.keys, zip(self.counts, self.heads, strict=True), strict=True))
        before = len(state)
        for key, index, leaf in items:
            k = int.from_bytes(key, "big")
            count, head = state.get(k, (0, EMPTY))
            state[k] = (
                count + 1,
                _sha256(_CHAIN + head + index.to_bytes(8, "big") + leaf).digest(),
            )
        if len(state) != before:
            self.keys = sorted(state)
        self.counts = [state[k][0] for k in self.keys]
        self.heads = [state[k][1] for k in self.keys]

    def _leaves(self) -> list[bytes]:
        """Every person's leaf hash (`leaf_hash` of `value_hash`, inlined)."""
        return [
            _sha256(
                _LEAF
                + k.to_bytes(HASH_SIZE, "big")
                + _sha256(_VALUE + c.to_bytes(8, "big") + h).digest()
            ).digest()
            for k, c, h in zip(self.keys, self.counts, self.heads, strict=True)
        ]

    def _subtree(self, lo: int, hi: int, depth: int, leaves: list[bytes]) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        keys, shift = self.keys, _KEY_BITS - 1 - depth
        bit = (keys[lo] >> shift) & 1
        if bit == (keys[hi - 1] >> shift) & 1:  # everyone on one side: the other is empty
            child = self._subtree(lo, hi, depth + 1, leaves)
            return node_hash(EMPTY, child) if bit else node_hash(child, EMPTY)
        threshold = ((keys[lo] >> (shift + 1)) << (shift + 1)) | (1 << shift)
        mid = bisect.bisect_left(keys, threshold, lo, hi)
        return node_hash(
            self._subtree(lo, mid, depth + 1, leaves), self._subtree(mid, hi, depth + 1, leaves)
        )

    def _split(self, lo: int, hi: int, depth: int) -> int:
        """First position in [lo, hi) (sharing `depth` leading bits) whose bit `depth` is 1."""
        shift = _KEY_BITS - 1 - depth
        threshold = ((self.keys[lo] >> (shift + 1)) << (shift + 1)) | (1 << shift)
        return bisect.bisect_left(self.keys, threshold, lo, hi)

    def _part(self, lo: int, hi: int, depth: int, leaves: list[bytes]) -> bytes:
        return self._subtree(lo, hi, depth, leaves) if hi > lo else EMPTY

    def digest(self) -> tuple[bytes, int]:
        """The bucket's subtree: (hash, number of people)."""
        n = len(self.keys)
        if n == 0:
            return EMPTY, 0
        return self._subtree(0, n, BUCKET_BITS, self._leaves()), n

    def path(self, key: bytes) -> tuple[list[bytes], int, int]:
        """Siblings below the bucket's root on `key`'s path, and the [lo, hi) it ends in."""
        k = int.from_bytes(key, "big")
        leaves = self._leaves()
        lo, hi, depth = 0, len(self.keys), BUCKET_BITS
        siblings: list[bytes] = []
        while hi - lo > 1:
            mid = self._split(lo, hi, depth)
            if (k >> (_KEY_BITS - 1 - depth)) & 1:
                siblings.append(self._part(lo, mid, depth + 1, leaves))
                lo = mid
            else:
                siblings.append(self._part(mid, hi, depth + 1, leaves))
                hi = mid
            depth += 1
        return siblings, lo, hi


class BucketMap:
    """The whole map: buckets (loaded on demand by the caller) and the top tree above them."""

    def __init__(self, hashes: list[bytes] | None = None, counts: list[int] | None = None) -> None:
        self.hashes = hashes if hashes is not None else [EMPTY] * _TOP_NODES
        self.counts = counts if counts is not None else [0] * _TOP_NODES
        if len(self.hashes) != _TOP_NODES or len(self.counts) != _TOP_NODES:
            raise ValueError("a map's top tree has one node per bucket and each node above")

    @classmethod
    def from_blobs(cls, hashes: bytes, counts: bytes) -> BucketMap:
        return cls(
            [hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)],
            [int.from_bytes(counts[i : i + 8], "big") for i in range(0, len(counts), 8)],
        )

    def blobs(self) -> tuple[bytes, bytes]:
        return b"".join(self.hashes), b"".join(c.to_bytes(8, "big") for c in self.counts)

    def root(self) -> bytes:
        return self.hashes[0]

    def people(self) -> int:
        return self.counts[0]

    def bucket_count(self, bucket: int) -> int:
        return self.counts[_FIRST_BUCKET + bucket]

    def set_buckets(self, digests: dict[int, tuple[bytes, int]]) -> None:
        """Record new bucket digests and rehash the top nodes above them, each once."""
        dirty: set[int] = set()
        for bucket, (digest, count) in digests.items():
            node = _FIRST_BUCKET + bucket
            self.hashes[node], self.counts[node] = digest, count
            dirty.add((node - 1) // 2)
        while dirty:
            parents: set[int] = set()
            for node in sorted(dirty, reverse=True):
                left, right = 2 * node + 1, 2 * node + 2
                self.hashes[node], self.counts[node] = _combine(
                    (self.hashes[left], self.counts[left]),
                    (self.hashes[right], self.counts[right]),
                )
                if node:
                    parents.add((node - 1) // 2)
            dirty = parents

    def walk(self, key: bytes) -> tuple[list[bytes], int]:
        """Siblings from the root down the top tree on `key`'s path, and the node it stops at
        (a node of at most one person, or the key's bucket)."""
        node, siblings = 0, []
        for depth in range(BUCKET_BITS):
            if self.counts[node] <= 1:
                break
            bit = (key[depth >> 3] >> (7 - (depth & 7))) & 1
            siblings.append(self.hashes[2 * node + 2 - bit])
            node = 2 * node + 1 + bit
        return siblings, node

    def lone_bucket(self, node: int) -> int:
        """The bucket holding the single person below a top node of count 1."""
        while node < _FIRST_BUCKET:
            node = 2 * node + 1 if self.counts[2 * node + 1] else 2 * node + 2
        return node - _FIRST_BUCKET

    def is_bucket(self, node: int) -> bool:
        return node >= _FIRST_BUCKET


def build_proof(top: BucketMap, key: bytes, load: Callable[[int], Bucket]) -> MapProof:
    """A membership or non-membership proof of `key`, loading at most one bucket (the one
    `proof_bucket` names)."""
    siblings, node = top.walk(key)
    which = _bucket_at(top, node)
    lo = hi = 0
    bucket: Bucket | None = None
    if which is not None:
        bucket = load(which)
        if top.counts[node] > 1:  # the path reached the key's bucket, several people in it
            below, lo, hi = bucket.path(key)
            siblings += below
        else:
            lo, hi = 0, 1
    return _proof(key, siblings, bucket, lo, hi)


def proof_bucket(top: BucketMap, key: bytes) -> int | None:
    """The bucket `build_proof` loads for `key` (None: it loads none), so a caller proving
    many keys can read all their buckets at once."""
    return _bucket_at(top, top.walk(key)[1])


def _bucket_at(top: BucketMap, node: int) -> int | None:
    """The bucket below the node a key's walk through the top tree stopped at: the key's own
    bucket when several people share the subtree, the one person's when one does."""
    count = top.counts[node]
    if count > 1:
        return node - _FIRST_BUCKET
    if count == 1:
        return top.lone_bucket(node)
    return None


def _proof(key: bytes, siblings: list[bytes], bucket: Bucket | None, lo: int, hi: int) -> MapProof:
    present = tuple(s != EMPTY for s in siblings)
    kept = tuple(s for s in siblings if s != EMPTY)
    terminal, other_key, other_value = Terminal.EMPTY, None, None
    if bucket is not None and hi > lo:
        found = bucket.keys[lo].to_bytes(HASH_SIZE, "big")
        if found == key:
            terminal = Terminal.LEAF
        else:
            terminal, other_key = Terminal.OTHER, found
            other_value = value_hash(bucket.counts[lo], bucket.heads[lo])
    return MapProof(
        depth=len(siblings),
        present=present,
        siblings=kept,
        terminal=terminal,
        other_key=other_key,
        other_value=other_value,
    )


def fold(buckets: dict[int, Bucket], entries: Iterable[tuple[bytes, int, bytes]]) -> set[int]:
    """Extend people's chains by (key, log index, leaf hash) entries, in log order; returns the
    buckets touched. `buckets` must hold every bucket the entries touch."""
    grouped: dict[int, list[tuple[bytes, int, bytes]]] = {}
    for entry in entries:
        key = entry[0]
        grouped.setdefault((key[0] << 4) | (key[1] >> 4), []).append(entry)
    for b, items in grouped.items():
        buckets[b].extend(items)
    return set(grouped)


def digests(buckets: dict[int, Bucket], touched: Iterable[int]) -> dict[int, tuple[bytes, int]]:
    """The new (hash, count) of each touched bucket, for `BucketMap.set_buckets`."""
    return {b: buckets[b].digest() for b in touched}
