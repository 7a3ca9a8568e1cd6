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
`key (32) ‖ count (8, big-endian) ‖ chain head (32)`, each with the hashes of its 16
subtrees four levels below its root (`SUBTREE_BITS`; 32 bytes each, left to right). A proof's
siblings inside a bucket are hashes of whole subtrees: worked out from the records alone, a
proof hashed every person of the bucket (at 1M people, 244 a bucket, about 840 hashes and
1 ms; at 5M, four times that; issue 18). With the 16 stored, it hashes the people of the
key's own subtree (~15) and the few nodes above them. The auditor's check of an export
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
#: Depth below a bucket's root of the subtrees whose hashes a bucket stores: 16 of them.
SUBTREE_BITS = 4
SUBTREES = 1 << SUBTREE_BITS
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
    """The people of one bucket, sorted by key (as integers, for fast bit tests).

    `subtrees` holds the hashes of its `SUBTREES` subtrees (empty: `EMPTY`; one person: that
    person's leaf), as stored beside the records or as last worked out; None until then.
    """

    keys: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)
    subtrees: list[bytes] | None = None

    @classmethod
    def from_blob(cls, blob: bytes, subtrees: bytes | None = None) -> Bucket:
        """A bucket from its stored records and, when given, its stored subtree hashes."""
        if len(blob) % RECORD:
            raise ValueError("a map bucket holds whole records")
        # One comprehension a column: a person's page parses a bucket of ~244 records.
        starts = range(0, len(blob), RECORD)
        count_at, head_at = HASH_SIZE, HASH_SIZE + 8
        out = cls(
            keys=[int.from_bytes(blob[p : p + HASH_SIZE], "big") for p in starts],
            counts=[int.from_bytes(blob[p + count_at : p + head_at], "big") for p in starts],
            heads=[blob[p + head_at : p + RECORD] for p in starts],
        )
        if subtrees is not None:
            if len(subtrees) != SUBTREES * HASH_SIZE:
                raise ValueError(f"a map bucket stores {SUBTREES} subtree hashes")
            out.subtrees = [subtrees[i : i + HASH_SIZE] for i in range(0, len(subtrees), HASH_SIZE)]
        return out

    def to_blob(self) -> bytes:
        return b"".join(
            k.to_bytes(HASH_SIZE, "big") + c.to_bytes(8, "big") + h
            for k, c, h in zip(self.keys, self.counts, self.heads, strict=True)
        )

    def subtrees_blob(self) -> bytes:
        """The subtree hashes as stored beside the records (worked out if need be)."""
        return b"".join(self._subtrees())

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
        self.subtrees = None

    def _leaves(self, lo: int = 0, hi: int | None = None) -> list[bytes]:
        """The leaf hashes (`leaf_hash` of `value_hash`, inlined) of the people in [lo, hi),
        at their positions: the list is indexed like `keys`, and holds `EMPTY` below `lo`."""
        hi = len(self.keys) if hi is None else hi
        return [EMPTY] * lo + [
            _sha256(
                _LEAF
                + k.to_bytes(HASH_SIZE, "big")
                + _sha256(_VALUE + c.to_bytes(8, "big") + h).digest()
            ).digest()
            for k, c, h in zip(self.keys[lo:hi], self.counts[lo:hi], self.heads[lo:hi], strict=True)
        ]

    def _bounds(self) -> list[int]:
        """Where each subtree's people start in `keys`, and their end: `SUBTREES + 1` places."""
        if not self.keys:
            return [0] * (SUBTREES + 1)
        shift = _KEY_BITS - BUCKET_BITS - SUBTREE_BITS
        base = (self.keys[0] >> (shift + SUBTREE_BITS)) << (shift + SUBTREE_BITS)
        return [
            *(bisect.bisect_left(self.keys, base | (s << shift)) for s in range(SUBTREES)),
            len(self.keys),
        ]

    def _subtrees(self) -> list[bytes]:
        """The subtree hashes, worked out from the records once and kept."""
        if self.subtrees is None:
            bounds, leaves = self._bounds(), self._leaves()
            depth = BUCKET_BITS + SUBTREE_BITS
            self.subtrees = [
                self._part(bounds[s], bounds[s + 1], depth, leaves) for s in range(SUBTREES)
            ]
        return self.subtrees

    def _levels(self, bounds: list[int]) -> list[list[tuple[bytes, int]]]:
        """(hash, people) of the nodes from the subtrees up to the bucket's root, level by
        level: the subtrees first, the root last."""
        subtrees = self._subtrees()
        levels = [[(subtrees[s], bounds[s + 1] - bounds[s]) for s in range(SUBTREES)]]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([_combine(below[i], below[i + 1]) for i in range(0, len(below), 2)])
        return levels

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
        """The bucket's subtree: (hash, number of people), from its subtrees (kept, so that
        the store writes them beside the records)."""
        if not self.keys:
            return EMPTY, 0
        return self._levels(self._bounds())[-1][0]

    def path(self, key: bytes) -> tuple[list[bytes], int, int]:
        """Siblings below the bucket's root on `key`'s path, and the [lo, hi) it ends in.

        The first `SUBTREE_BITS` siblings come from the subtree hashes; below them only the
        people of `key`'s subtree are hashed."""
        k = int.from_bytes(key, "big")
        bounds = self._bounds()
        levels = self._levels(bounds)
        siblings: list[bytes] = []
        depth, node = BUCKET_BITS, 0  # node: its index among the nodes of its level
        for level in range(SUBTREE_BITS, 0, -1):
            if levels[level][node][1] <= 1:
                return siblings, bounds[node << level], bounds[(node + 1) << level]
            bit = (k >> (_KEY_BITS - 1 - depth)) & 1
            siblings.append(levels[level - 1][2 * node + 1 - bit][0])
            node, depth = 2 * node + bit, depth + 1
        lo, hi = bounds[node], bounds[node + 1]
        leaves = self._leaves(lo, hi)
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
