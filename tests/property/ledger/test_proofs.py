"""Property tests: RFC 9162 proofs verify, and every kind of tampering is rejected."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from custos.ledger import (
    MemoryTree,
    ProofError,
    canonical,
    hash_children,
    hash_leaf,
    inclusion_proofs,
    verify_consistency,
    verify_inclusion,
)


def reference_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 §2.1.1 defines it, recursively."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hash_leaf(entries[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return hash_children(reference_mth(entries[:k]), reference_mth(entries[k:]))


def tree_of(n: int) -> tuple[list[bytes], MemoryTree]:
    entries = [f"entry {i}".encode() for i in range(n)]
    return entries, MemoryTree(hash_leaf(e) for e in entries)


sizes = st.integers(min_value=1, max_value=300)


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_root_matches_the_rfc_definition(entries: list[bytes]) -> None:
    assert MemoryTree(hash_leaf(e) for e in entries).root() == reference_mth(entries)


@given(sizes, st.data())
def test_inclusion_proofs_verify(n: int, data: st.DataObject) -> None:
    entries, tree = tree_of(n)
    size = data.draw(st.integers(min_value=1, max_value=n))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    verify_inclusion(
        leaf_hash=hash_leaf(entries[index]),
        index=index,
        tree_size=size,
        proof=tree.inclusion_proof(index, size),
        root=tree.root(size),
    )


@given(sizes, st.data())
def test_consistency_proofs_verify(n: int, data: st.DataObject) -> None:
    _, tree = tree_of(n)
    size1 = data.draw(st.integers(min_value=0, max_value=n))
    verify_consistency(
        size1=size1,
        size2=n,
        proof=tree.consistency_proof(size1, n),
        root1=tree.root(size1),
        root2=tree.root(),
    )


@given(sizes, st.data())
def test_wrong_inclusion_proofs_are_rejected(n: int, data: st.DataObject) -> None:
    entries, tree = tree_of(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = tree.inclusion_proof(index)
    leaf, root = hash_leaf(entries[index]), tree.root()
    # A wrong tree size alone is not detectable from the path (the signed checkpoint binds
    # size and root together), so it is not among the alterations.
    how = data.draw(st.sampled_from(["leaf", "index", "root", "flip", "drop", "add"]))
    args = {"leaf_hash": leaf, "index": index, "tree_size": n, "proof": proof, "root": root}
    if how == "leaf":
        args["leaf_hash"] = hash_leaf(entries[index] + b"!")
    elif how == "index":
        other = data.draw(st.integers(min_value=0, max_value=n))
        assume(other != index)
        args["index"] = other
    elif how == "root":
        args["root"] = tree.root(n - 1) if n > 1 else hashlib.sha256(b"x").digest()
    elif how == "flip":
        assume(proof)
        at = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = bytearray(proof[at])
        bad[data.draw(st.integers(min_value=0, max_value=31))] ^= 1
        args["proof"] = [*proof[:at], bytes(bad), *proof[at + 1 :]]
    elif how == "drop":
        assume(proof)
        args["proof"] = proof[:-1]
    else:
        args["proof"] = [*proof, hashlib.sha256(b"extra").digest()]
    with pytest.raises(ProofError):
        verify_inclusion(**args)  # type: ignore[arg-type]  # the dict holds the right types


@given(st.integers(min_value=2, max_value=300), st.data())
def test_wrong_consistency_proofs_are_rejected(n: int, data: st.DataObject) -> None:
    _, tree = tree_of(n)
    size1 = data.draw(st.integers(min_value=1, max_value=n - 1))
    proof = tree.consistency_proof(size1, n)
    how = data.draw(st.sampled_from(["root1", "root2", "flip", "drop", "add", "size1", "swap"]))
    args = {
        "size1": size1,
        "size2": n,
        "proof": proof,
        "root1": tree.root(size1),
        "root2": tree.root(),
    }
    if how == "root1":
        args["root1"] = hashlib.sha256(b"other").digest()
    elif how == "root2":
        args["root2"] = tree.root(n - 1)
    elif how == "flip":
        at = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = bytearray(proof[at])
        bad[0] ^= 0x80
        args["proof"] = [*proof[:at], bytes(bad), *proof[at + 1 :]]
    elif how == "drop":
        args["proof"] = proof[:-1]
    elif how == "add":
        args["proof"] = [*proof, hashlib.sha256(b"extra").digest()]
    elif how == "size1":
        other = data.draw(st.integers(min_value=1, max_value=n - 1))
        assume(other != size1)
        args["size1"] = other
    else:
        assume(len(proof) > 1 and proof[0] != proof[1])
        args["proof"] = [proof[1], proof[0], *proof[2:]]
    with pytest.raises(ProofError):
        verify_consistency(**args)  # type: ignore[arg-type]  # the dict holds the right types


def test_equal_and_empty_sizes_follow_the_documented_rule() -> None:
    _, tree = tree_of(5)
    verify_consistency(size1=5, size2=5, proof=[], root1=tree.root(), root2=tree.root())
    with pytest.raises(ProofError):
        verify_consistency(size1=5, size2=5, proof=[], root1=tree.root(), root2=tree.root(4))
    with pytest.raises(ProofError):
        verify_consistency(size1=6, size2=5, proof=[], root1=tree.root(), root2=tree.root())


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_fast_canonical_encoding_is_rfc8785(body: dict[str, Any]) -> None:
    try:
        expected = bytes(rfc8785.dumps(body))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return
    assert canonical(body) == expected


@given(sizes, st.data())
def test_proofs_made_together_are_each_leafs_own_proof(n: int, data: st.DataObject) -> None:
    """A person's entries are proved in one pass; each proof must be exactly the one made
    alone, and verify."""
    entries, tree = tree_of(n)
    size = data.draw(st.integers(min_value=1, max_value=n))
    indices = data.draw(st.lists(st.integers(min_value=0, max_value=size - 1), max_size=12))
    together = inclusion_proofs(tree, indices, size)
    assert together == [tree.inclusion_proof(i, size) for i in indices]
    for index, proof in zip(indices, together, strict=True):
        verify_inclusion(
            leaf_hash=hash_leaf(entries[index]),
            index=index,
            tree_size=size,
            proof=proof,
            root=tree.root(size),
        )
