"""Where Custos's proof checks are stricter or looser than the Go reference
(transparency-dev/merkle `proof`), one test each; `docs/log.md` lists them."""

from __future__ import annotations

import pytest

from custos.ledger import EMPTY_ROOT, MemoryTree, ProofError, hash_leaf, verify_consistency
from custos.ledger import verify_inclusion as check_inclusion


def _tree(n: int) -> MemoryTree:
    return MemoryTree(hash_leaf(b"%d" % i) for i in range(n))


def test_stricter_every_hash_is_32_bytes() -> None:
    """Go compares roots with `bytes.Equal` and hashes proof elements of any length: two equal
    12-byte "roots" for equal sizes pass there. Custos refuses any root, leaf hash or proof
    hash that is not 32 bytes (the one transparency-dev vector Custos fails)."""
    short = b"\x01" * 12
    with pytest.raises(ProofError, match="12 bytes"):
        verify_consistency(size1=3, size2=3, proof=[], root1=short, root2=short)
    tree = _tree(4)
    proof = tree.inclusion_proof(1)
    with pytest.raises(ProofError, match="proof hash"):
        check_inclusion(
            leaf_hash=hash_leaf(b"1"),
            index=1,
            tree_size=4,
            proof=[*proof[:-1], short],
            root=tree.root(),
        )


def test_looser_consistency_from_the_empty_tree() -> None:
    """Go refuses every consistency proof from size 0 ("meaningless"). Custos accepts one when
    the proof is empty and the first root is MTH({}), because C2SP tlog-witness sends
    `old 0` with an empty proof for a log the witness has not seen yet."""
    tree = _tree(7)
    verify_consistency(size1=0, size2=7, proof=[], root1=EMPTY_ROOT, root2=tree.root())
    verify_consistency(size1=0, size2=0, proof=[], root1=EMPTY_ROOT, root2=EMPTY_ROOT)
    with pytest.raises(ProofError):
        verify_consistency(
            size1=0, size2=7, proof=[tree.root(1)], root1=EMPTY_ROOT, root2=tree.root()
        )
    with pytest.raises(ProofError):
        verify_consistency(size1=0, size2=7, proof=[], root1=tree.root(1), root2=tree.root())
