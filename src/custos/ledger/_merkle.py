"""RFC 9162 Merkle tree hashing, proof generation and proof verification.

Everything here is pure: no I/O, no clock. Another implementation can follow it line by line.

Notation (RFC 9162 §2.1.1): `D[n]` is the list of `n` entries; `MTH(D[n])` the Merkle Tree Hash.
A *perfect node* `(level, index)` is the root of the perfect subtree over leaves
`[index·2^level, (index+1)·2^level)`; once that range is filled its hash never changes, which is
why storage keeps only perfect nodes. Every other hash a proof needs (the right edge of a tree
whose size is not a power of two) is folded from at most log2(n) perfect nodes.

Proof generation is split in two steps so that storage can fetch everything at once:
a *plan* lists, for each proof element, the perfect nodes it is folded from; `fold` combines
them. `NodeSource.nodes` answers a whole plan in one call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from custos.ledger._errors import ProofError

_sha256 = hashlib.sha256

#: MTH({}) = SHA-256() — RFC 9162 §2.1.1, the hash of the empty tree.
EMPTY_ROOT = _sha256(b"").digest()

HASH_SIZE = 32

Node = tuple[int, int]
"""A perfect node: (level, index). Level 0 holds the leaf hashes."""


def hash_leaf(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 ‖ d(0))."""
    return _sha256(b"\x00" + entry).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: the hash of an interior node, SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k, the largest power of two strictly smaller than n (n > 1), as RFC 9162 §2.1.1 uses."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeSource(Protocol):
    """Where perfect-node hashes come from: an in-memory tree, or stored tiles."""

    def nodes(self, wanted: Iterable[Node]) -> Mapping[Node, bytes]:
        """The hashes of the given perfect nodes; raises `KeyError` for one not yet built."""
        ...


# --- plans: which perfect nodes each hash is folded from -------------------------------------


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect nodes whose concatenation is the leaf range [start, end), left to right.

    Valid for the ranges the RFC 9162 recursion produces: `start` is a multiple of the largest
    power of two not exceeding `end - start`, so the greedy split below is aligned.
    """
    out: list[Node] = []
    while start < end:
        size = end - start
        # The largest aligned perfect subtree starting at `start` that fits in the range.
        level = size.bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        out.append((level, start >> level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect nodes, left to right (sizes strictly decreasing).

    RFC 9162 §2.1.1 splits at the largest power of two k < n, so the rightmost perfect nodes
    are combined first: MTH = H(p1, H(p2, … H(p(m-1), pm))).
    """
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = hash_children(h, acc)
    return acc


def root_plan(size: int) -> list[Node]:
    """The perfect nodes MTH(D[size]) is folded from; empty for the empty tree."""
    return range_nodes(0, size)


def inclusion_plan(index: int, size: int) -> list[list[Node]]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, as a plan, ordered leaf to root.

    Iterative form of the recursion: at each step the range [lo, hi) is split at
    k = largest power of two < hi - lo; the half not holding `index` is the sibling.
    """
    if not 0 <= index < size:
        raise ValueError("index out of range")
    siblings: list[list[Node]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        n = hi - lo
        if not n & (n - 1):
            # A perfect subtree: every split below is in half, so each sibling is the one
            # perfect node beside the index's at its level (a person's page proves a dozen
            # entries at once, and the general step below was most of the planning).
            height = n.bit_length() - 1
            siblings += [[(level, (index >> level) ^ 1)] for level in range(height - 1, -1, -1)]
            break
        k = _largest_power_of_two_below(n)
        if index < lo + k:
            siblings.append(range_nodes(lo + k, hi))
            hi = lo + k
        else:
            siblings.append(range_nodes(lo, lo + k))
            lo += k
    siblings.reverse()
    return siblings


def consistency_plan(size1: int, size2: int) -> list[list[Node]]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1, as a plan.

    Empty when size1 is 0 or equals size2: those pairs are consistent without a proof.
    """
    if not 0 <= size1 <= size2:
        raise ValueError("need 0 <= size1 <= size2")
    if size1 in (0, size2):
        return []
    out: list[list[Node]] = []
    m, lo, hi, whole = size1, 0, size2, True
    while True:
        n = hi - lo
        if m == n:
            # SUBPROOF(m, D[m], b): nothing when b is true, else MTH(D[m]).
            if not whole:
                out.append(range_nodes(lo, hi))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            out.append(range_nodes(lo + k, hi))
            hi = lo + k
        else:
            out.append(range_nodes(lo, lo + k))
            m -= k
            lo += k
            whole = False
    out.reverse()
    return out


def _resolve(source: NodeSource, plan: list[list[Node]]) -> list[bytes]:
    wanted = {node for item in plan for node in item}
    found = source.nodes(wanted)
    return [fold([found[node] for node in item]) for item in plan]


def root_hash(source: NodeSource, size: int) -> bytes:
    """MTH(D[size]) (RFC 9162 §2.1.1) from stored perfect nodes."""
    if size == 0:
        return EMPTY_ROOT
    plan = root_plan(size)
    found = source.nodes(plan)
    return fold([found[node] for node in plan])


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1)."""
    return _resolve(source, inclusion_plan(index, size))


def inclusion_proofs(source: NodeSource, indices: Iterable[int], size: int) -> list[list[bytes]]:
    """The inclusion proofs of several leaves in one tree, from one lookup of all the nodes
    they need: a person's accounting proves each of their entries, and one proof at a time
    would fetch each cold tile in its own round trip (issue 18)."""
    plans = [inclusion_plan(index, size) for index in indices]
    found = source.nodes({node for plan in plans for item in plan for node in item})
    return [[fold([found[node] for node in item]) for item in plan] for plan in plans]


def consistency_proof(source: NodeSource, size1: int, size2: int) -> list[bytes]:
    """The consistency proof from tree size `size1` to `size2` (RFC 9162 §2.1.4.1)."""
    return _resolve(source, consistency_plan(size1, size2))


# --- verification -----------------------------------------------------------------------------


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")


def verify_inclusion(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: list[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves with `root`.

    Exactly the algorithm of RFC 9162 §2.1.3.2. Returns None; raises `ProofError` on any
    failure, so a failed check cannot be ignored by accident.
    """
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    for p in proof:
        _check_hash("proof hash", p)
    # 1. Compare leaf_index against tree_size. If leaf_index >= tree_size, fail.
    if index < 0 or index >= tree_size:
        raise ProofError(f"leaf index {index} is outside a tree of size {tree_size}")
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, tree_size - 1
    # 3. Set r to hash.
    r = leaf_hash
    # 4. For each value p in the inclusion_path array:
    for p in proof:
        # 4a. If sn is 0, stop the iteration and fail the proof verification.
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        # 4b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 4b.i. Set r to HASH(0x01 || p || r).
            r = hash_children(p, r)
            # 4b.ii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            #        is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # 4b. Otherwise: set r to HASH(0x01 || r || p).
            r = hash_children(r, p)
        # 4c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 and r must equal the root hash.
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    *, size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of `size2` leaves with `root2` extends the one of `size1` with `root1`.

    RFC 9162 §2.1.4.2 for 0 < size1 < size2. The two edge cases the RFC leaves to the caller
    are decided as in other transparency-log implementations: size1 = size2 needs an empty proof
    and equal roots; size1 = 0 needs an empty proof and root1 = MTH({}) (every tree extends
    the empty one). Raises `ProofError` on any failure.
    """
    _check_hash("first root", root1)
    _check_hash("second root", root2)
    for c in proof:
        _check_hash("proof hash", c)
    if size1 < 0 or size2 < size1:
        raise ProofError(f"no consistency from tree size {size1} to {size2}")
    if size1 in (size2, 0):
        _check_trivial_consistency(size1=size1, size2=size2, proof=proof, root1=root1, root2=root2)
        return
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not proof:
        raise ProofError("consistency proof is empty")
    fr, sr = _consistency_roots(size1, size2, proof, root1)
    if fr != root1:
        raise ProofError("consistency proof does not lead to the first root")
    if sr != root2:
        raise ProofError("consistency proof does not lead to the second root")


def _check_trivial_consistency(
    *, size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    """The edge cases RFC 9162 leaves to the caller: equal sizes, or from the empty tree."""
    if size1 == size2:
        if proof:
            raise ProofError("a proof between equal tree sizes must be empty")
        if root1 != root2:
            raise ProofError("two different roots for the same tree size")
        return
    if proof:
        raise ProofError("a proof from the empty tree must be empty")
    if root1 != EMPTY_ROOT:
        raise ProofError("the empty tree has a different root")


def _consistency_roots(
    size1: int, size2: int, proof: list[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 2–7 for 0 < size1 < size2 and a non-empty proof: the first and
    second roots the proof leads to (the caller compares them with the roots it holds)."""
    path = list(proof)
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = size1 - 1, size2 - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # 6a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            raise ProofError("consistency proof is too long")
        # 6b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 6b.i. Set fr to HASH(0x01 || c || fr).
            fr = hash_children(c, fr)
            # 6b.ii. Set sr to HASH(0x01 || c || sr).
            sr = hash_children(c, sr)
            # 6b.iii. Unless LSB(fn) is set, right-shift fn and sn equally until either
            #         LSB(fn) is set or fn is 0.  # noqa: ERA001
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # 6b. Otherwise: set sr to HASH(0x01 || sr || c).
            sr = hash_children(sr, c)
        # 6c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return fr, sr


# --- an in-memory tree ------------------------------------------------------------------------


def perfect_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a perfect subtree (a power-of-two count of leaf hashes), level by level."""
    level = list(leaf_hashes)
    while len(level) > 1:
        pairs = iter(level)
        level = [_sha256(b"\x01" + a + b).digest() for a, b in zip(pairs, pairs, strict=True)]
    return level[0]


class MemoryTree:
    """A Merkle tree held in memory with every perfect node: the reference `NodeSource`.

    Used by tests, the offline verifier and the benchmarks; storage keeps the same nodes in
    tiles (see `custos.ledger._tiles`).
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf_hash: bytes) -> None:
        self.extend([leaf_hash])

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        new = list(leaf_hashes)
        if not new:
            return
        self.levels[0].extend(new)
        level = 0
        while True:
            below = self.levels[level]
            if level + 1 == len(self.levels):
                if len(below) < 2:  # noqa: PLR2004 - a parent needs two children
                    break
                self.levels.append([])
            above = self.levels[level + 1]
            first = len(above)
            last = len(below) // 2
            if first == last:
                break
            above.extend(hash_children(below[2 * i], below[2 * i + 1]) for i in range(first, last))
            level += 1

    def nodes(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        return {(lv, i): self.levels[lv][i] for lv, i in wanted}

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self, index, self.size if size is None else size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(self, size1, self.size if size2 is None else size2)


class CompactRange:
    """The right edge of a growing tree: at most log2(n) perfect nodes (RFC 9162 §2.1.1).

    Streams leaves in and yields the root at any size, in O(log n) memory; the offline
    verifier uses it to recompute every checkpoint's root in one pass.
    """

    def __init__(self) -> None:
        self.size = 0
        #: (level, hash) pairs, left to right, levels strictly decreasing.
        self._stack: list[tuple[int, bytes]] = []

    def _push(self, level: int, node: bytes) -> None:
        stack = self._stack
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            node = hash_children(left, node)
            level += 1
        stack.append((level, node))

    def push(self, level: int, node: bytes) -> None:
        """Append a perfect node covering the next 2**level leaves.

        The node must start where the range ends now (the size is a multiple of its width),
        which is what lets hashes computed elsewhere — another process, a stored tile — be
        merged in without rehashing their leaves.
        """
        if level < 0 or self.size % (1 << level):
            raise ValueError(f"a level-{level} node cannot start at size {self.size}")
        self._push(level, node)
        self.size += 1 << level

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaf hashes, hashing whole aligned perfect subtrees level by level."""
        pos, total = 0, len(leaf_hashes)
        while pos < total:
            remaining = total - pos
            level = remaining.bit_length() - 1
            if self.size:
                level = min(level, (self.size & -self.size).bit_length() - 1)
            width = 1 << level
            self.push(level, perfect_root(leaf_hashes[pos : pos + width]))
            pos += width

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        return fold([h for _, h in self._stack])
