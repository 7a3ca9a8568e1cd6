"""The accounting map: a verifiable map from each person to their whole accounting.

An inclusion proof says "this disclosure is in the log". It cannot say "and there are no
others": the agency could leave an entry out of the list it shows a person. This map closes
that gap. Its key is a person's keyed pseudonym; its value commits to *every* accounting entry
naming that person, as a count and the head of a hash chain over the entries' leaf hashes in
log order. The map's root is committed in the log with every checkpoint, so a person holding a
map proof against a signed checkpoint learns "these are all N disclosures of your data up to
tree size S" — or, with a non-membership proof, "there are none". An auditor recomputes every
committed root from the entries, so a shortened list cannot be shown without detection.

The construction follows the compressed sparse Merkle trees of CONIKS, Google's Key
Transparency and the Jellyfish/AKD directories (the one behind WhatsApp's key transparency):
a binary trie over the 256 bits of ``SHA-256(pseudonym)``, in which an empty subtree hashes to
32 zero bytes and a subtree holding exactly one leaf *is* that leaf (no hashing down its
single-child path). A tree of n people therefore has about n interior nodes, proofs hold about
log2(n) sibling hashes, and the root is a function of the set of (key, value) pairs alone.

Hashes (all SHA-256; the prefixes keep the map's hashes apart from the log's RFC 9162 ones):

* ``key       = SHA-256(pseudonym as UTF-8)``
* ``chain_0   = 32 zero bytes``;
  ``chain_i   = SHA-256(0x13 ‖ chain_{i-1} ‖ uint64be(log index) ‖ entry leaf hash)``
* ``value     = SHA-256(0x12 ‖ uint64be(count) ‖ chain_count)``
* ``leaf      = SHA-256(0x10 ‖ key ‖ value)``
* ``interior  = SHA-256(0x11 ‖ left ‖ right)``; ``empty = 32 zero bytes``

`docs/accounting-map.md` describes the format and the proof encoding so that another
implementation can check a proof without this code.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from custos.ledger._errors import ProofError

#: Every key, value and hash of the map is a SHA-256 digest.
HASH_SIZE = 32
EMPTY = bytes(HASH_SIZE)
_HEADER = 3  # terminal kind (1 byte) and depth (2 bytes)
_LEAF, _NODE, _VALUE, _CHAIN = b"\x10", b"\x11", b"\x12", b"\x13"
_KEY_BITS = 256
#: Longer proofs cannot come from an honest tree of fewer than 2**64 people.
MAX_DEPTH = _KEY_BITS
_sha256 = hashlib.sha256


def map_key(pseudonym: str) -> bytes:
    """The map key of a person: SHA-256 of their pseudonym, so keys spread evenly."""
    return _sha256(pseudonym.encode("utf-8")).digest()


def chain_step(head: bytes, index: int, leaf_hash: bytes) -> bytes:
    """Extend a person's hash chain by one accounting entry (log index and leaf hash)."""
    return _sha256(_CHAIN + head + index.to_bytes(8, "big") + leaf_hash).digest()


def chain(entries: Iterable[tuple[int, bytes]]) -> tuple[int, bytes]:
    """Count and chain head over (log index, leaf hash) pairs, in log order."""
    count, head = 0, EMPTY
    last = -1
    for index, leaf in entries:
        if index <= last:
            raise ValueError("accounting entries must be in strictly increasing log order")
        head, last, count = chain_step(head, index, leaf), index, count + 1
    return count, head


def value_hash(count: int, head: bytes) -> bytes:
    """The map value committing to a person's count and chain head."""
    return _sha256(_VALUE + count.to_bytes(8, "big") + head).digest()


def leaf_hash(key: bytes, value: bytes) -> bytes:
    return _sha256(_LEAF + key + value).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE + left + right).digest()


def _bit(key: bytes, depth: int) -> int:
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1


def _split(keys: Sequence[bytes], lo: int, hi: int, depth: int) -> int:
    """The first position in keys[lo:hi] (sorted, sharing `depth` leading bits) whose bit is 1."""
    while lo < hi:
        mid = (lo + hi) // 2
        if _bit(keys[mid], depth):
            hi = mid
        else:
            lo = mid + 1
    return lo


class Terminal(IntEnum):
    """How a proof's path ends."""

    #: At the person's own leaf: the proof shows their value (membership).
    LEAF = 0
    #: At an empty subtree: nobody with this key prefix (non-membership).
    EMPTY = 1
    #: At another person's leaf sharing the prefix (non-membership).
    OTHER = 2


@dataclass(frozen=True, kw_only=True)
class MapProof:
    """The sibling hashes from the root down to where a key's path ends.

    `siblings` holds only the non-empty siblings, top first; `present` says, level by level,
    whether that level's sibling is in `siblings` (else it is the empty hash).
    """

    depth: int
    present: tuple[bool, ...]
    siblings: tuple[bytes, ...]
    terminal: Terminal
    #: For `Terminal.OTHER`: the other leaf's key and value hash.
    other_key: bytes | None = None
    other_value: bytes | None = None

    def encode(self) -> bytes:
        """The proof's bytes (see docs/accounting-map.md): what its size is measured on."""
        bitmap = bytearray((self.depth + 7) // 8)
        for level, here in enumerate(self.present):
            if here:
                bitmap[level >> 3] |= 0x80 >> (level & 7)
        tail = b""
        if self.terminal is Terminal.OTHER:
            tail = (self.other_key or b"") + (self.other_value or b"")
        return (
            bytes([self.terminal])
            + self.depth.to_bytes(2, "big")
            + bytes(bitmap)
            + b"".join(self.siblings)
            + tail
        )

    @classmethod
    def decode(cls, data: bytes) -> MapProof:
        """Parse `encode`'s bytes strictly: any length or field out of place is an error."""
        if len(data) < _HEADER:
            raise ProofError("map proof: too short")
        try:
            terminal = Terminal(data[0])
        except ValueError:
            raise ProofError("map proof: unknown terminal kind") from None
        depth = int.from_bytes(data[1:_HEADER], "big")
        if depth > MAX_DEPTH:
            raise ProofError("map proof: deeper than the key")
        present, pos = _read_bitmap(data, _HEADER, depth)
        siblings, pos = _read_hashes(data, pos, sum(present), "sibling hash")
        other_key = other_value = None
        if terminal is Terminal.OTHER:
            (other_key, other_value), pos = _read_hashes(data, pos, 2, "other leaf")
        if pos != len(data):
            raise ProofError("map proof: trailing bytes")
        return cls(
            depth=depth,
            present=present,
            siblings=tuple(siblings),
            terminal=terminal,
            other_key=other_key,
            other_value=other_value,
        )

    def to_b64(self) -> str:
        return base64.b64encode(self.encode()).decode("ascii")

    @classmethod
    def from_b64(cls, text: str) -> MapProof:
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            raise ProofError("map proof: not base64") from None
        return cls.decode(raw)


def _read_bitmap(data: bytes, pos: int, depth: int) -> tuple[tuple[bool, ...], int]:
    size = (depth + 7) // 8
    bitmap = data[pos : pos + size]
    if len(bitmap) != size:
        raise ProofError("map proof: truncated bitmap")
    bits = [bool(bitmap[i >> 3] & (0x80 >> (i & 7))) for i in range(size * 8)]
    if any(bits[depth:]):
        raise ProofError("map proof: stray bits after the last level")
    return tuple(bits[:depth]), pos + size


def _read_hashes(data: bytes, pos: int, count: int, what: str) -> tuple[list[bytes], int]:
    end = pos + count * HASH_SIZE
    if len(data) < end:
        raise ProofError(f"map proof: truncated {what}")
    return [data[p : p + HASH_SIZE] for p in range(pos, end, HASH_SIZE)], end


def _terminal_node(key: bytes, value: bytes | None, proof: MapProof) -> bytes:
    """Step 1 of `verify_map_proof`: where the path ends, checked against the claim."""
    if value is not None:
        if proof.terminal is not Terminal.LEAF:
            raise ProofError("map proof: proves absence, but a value was claimed")
        return leaf_hash(key, _sized(value, "values"))
    if proof.terminal is Terminal.EMPTY:
        return EMPTY
    if proof.terminal is not Terminal.OTHER:
        raise ProofError("map proof: proves a value, but absence was claimed")
    if proof.other_key is None or proof.other_value is None:
        raise ProofError("map proof: another leaf needs its key and value")
    other = _sized(proof.other_key, "keys")
    if other == key:
        raise ProofError("map proof: the 'other' leaf is the key itself")
    if any(_bit(other, d) != _bit(key, d) for d in range(proof.depth)):
        raise ProofError("map proof: the other leaf is not on this key's path")
    return leaf_hash(other, _sized(proof.other_value, "values"))


def _sized(value: bytes, what: str) -> bytes:
    if len(value) != HASH_SIZE:
        raise ProofError(f"map proof: {what} are {HASH_SIZE} bytes")
    return value


def verify_map_proof(root: bytes, key: bytes, value: bytes | None, proof: MapProof) -> None:
    """Check that `key` maps to `value` (None: is absent) in the map with this root.

    Raises `ProofError` on any mismatch, so a failed check cannot be ignored by accident.
    Steps:
    1. The terminal must match the claim: the key's own leaf for a value, an empty subtree or
       another key's leaf for absence; another key must differ from `key` yet share the
       `depth` leading bits of its path.
    2. Fold the siblings from the terminal up to the root, each level's side given by the key.
    3. The result must equal `root`.
    """
    _sized(key, "keys")
    _sized(root, "roots")
    if len(proof.present) != proof.depth or sum(proof.present) != len(proof.siblings):
        raise ProofError("map proof: bitmap and siblings disagree")
    # 1.
    node = _terminal_node(key, value, proof)
    # 2.
    siblings = list(proof.siblings)
    for level in range(proof.depth - 1, -1, -1):
        sibling = siblings.pop() if proof.present[level] else EMPTY
        node = node_hash(sibling, node) if _bit(key, level) else node_hash(node, sibling)
    # 3.
    if node != root:
        raise ProofError("map proof: does not lead to the committed root")


class AccountingMap:
    """The map in memory: sorted keys, their values, and the hashes of interior nodes.

    `root()` and `prove()` hash each interior node once and keep it, keyed by its depth and
    its first key's position, until the next `update`. Building the root of n people costs
    about 2n hashes.
    """

    def __init__(self, values: Mapping[bytes, bytes] | None = None) -> None:
        self._values: dict[bytes, bytes] = dict(values or {})
        for key, value in self._values.items():
            if len(key) != HASH_SIZE or len(value) != HASH_SIZE:
                raise ValueError("map keys and values are 32 bytes")
        self._keys: list[bytes] = sorted(self._values)
        self._cache: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key: bytes) -> bytes | None:
        return self._values.get(key)

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return ((k, self._values[k]) for k in self._keys)

    def update(self, changes: Mapping[bytes, bytes]) -> None:
        """Set the values of some keys (new or existing). Interior hashes are recomputed lazily."""
        fresh = [k for k in changes if k not in self._values]
        for key, value in changes.items():
            if len(key) != HASH_SIZE or len(value) != HASH_SIZE:
                raise ValueError("map keys and values are 32 bytes")
            self._values[key] = value
        if fresh:
            if len(fresh) > len(self._keys) // 8:
                self._keys = sorted(self._values)
            else:
                for key in fresh:
                    bisect.insort(self._keys, key)
        self._cache.clear()

    def root(self) -> bytes:
        return self._subtree(0, len(self._keys), 0)

    def _subtree(self, lo: int, hi: int, depth: int) -> bytes:
        if hi == lo:
            return EMPTY
        if hi - lo == 1:
            key = self._keys[lo]
            return leaf_hash(key, self._values[key])
        # At one depth the subtrees partition the sorted keys, so (depth, first key) names one.
        cached = self._cache.get((depth, lo))
        if cached is not None:
            return cached
        mid = _split(self._keys, lo, hi, depth)
        made = node_hash(self._subtree(lo, mid, depth + 1), self._subtree(mid, hi, depth + 1))
        self._cache[(depth, lo)] = made
        return made

    def prove(self, key: bytes) -> MapProof:
        """A membership proof for a present key, a non-membership proof for an absent one."""
        if len(key) != HASH_SIZE:
            raise ValueError("map keys are 32 bytes")
        lo, hi, depth = 0, len(self._keys), 0
        present: list[bool] = []
        siblings: list[bytes] = []
        while hi - lo > 1:
            mid = _split(self._keys, lo, hi, depth)
            if _bit(key, depth):
                sibling, lo = self._subtree(lo, mid, depth + 1), mid
            else:
                sibling, hi = self._subtree(mid, hi, depth + 1), mid
            present.append(sibling != EMPTY)
            if sibling != EMPTY:
                siblings.append(sibling)
            depth += 1
        found = self._keys[lo] if hi > lo else None
        if found is None:
            terminal, other_key, other_value = Terminal.EMPTY, None, None
        elif found == key:
            terminal, other_key, other_value = Terminal.LEAF, None, None
        else:
            terminal, other_key, other_value = Terminal.OTHER, found, self._values[found]
        return MapProof(
            depth=depth,
            present=tuple(present),
            siblings=tuple(siblings),
            terminal=terminal,
            other_key=other_key,
            other_value=other_value,
        )
