"""Property tests: the offline verifier, cut into ranges at any size, agrees with the RFC.

The export is built here from first principles (reference roots, signed notes, consistency
proofs), so these tests check `verify_export` against the definition rather than against
the code that writes exports.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.ledger import (
    Checkpoint,
    MemoryTree,
    VerificationError,
    consistency_proof,
    generate_key,
    hash_leaf,
    root_hash,
    sign_note,
)
from custos.ledger._verify import verify_export

ORIGIN = "test.custos.example/ledger"
SIGNER, VERIFIER = generate_key(ORIGIN)

entry = st.binary(max_size=40).filter(lambda b: b"\n" not in b)


@st.composite
def exports(draw: st.DrawFn) -> tuple[list[bytes], list[int]]:
    entries = draw(st.lists(entry, min_size=1, max_size=300))
    sizes = draw(
        st.lists(st.integers(min_value=1, max_value=len(entries)), min_size=1, unique=True)
    )
    return entries, sorted(sizes)


def write_export(directory: Path, entries: list[bytes], sizes: list[int], *, newline: bool) -> None:
    tree = MemoryTree(hash_leaf(e) for e in entries)
    body = b"".join(e + b"\n" for e in entries)
    (directory / "entries.jsonl").write_bytes(body if newline else body[:-1])
    (directory / "leaves.bin").write_bytes(b"".join(hash_leaf(e) for e in entries))
    with (directory / "checkpoints.jsonl").open("w") as f:
        previous = 0
        for size in sizes:
            text = Checkpoint(origin=ORIGIN, size=size, root=root_hash(tree, size)).text()
            proof = consistency_proof(tree, previous, size) if previous else []
            record = {
                "note": sign_note(text=text, signer_key=SIGNER),
                "consistency": [base64.b64encode(p).decode() for p in proof],
            }
            f.write(json.dumps(record) + "\n")
            previous = size


@settings(max_examples=150, deadline=None)
@given(exports(), st.integers(min_value=1, max_value=2048), st.booleans())
def test_any_cut_into_ranges_verifies_the_same(
    export: tuple[list[bytes], list[int]], task_bytes: int, newline: bool
) -> None:
    entries, sizes = export
    # Without a final line break an empty last entry would be no entry at all: the format
    # leaves it out, as it leaves out a raw newline inside an entry.
    newline = newline or not entries[-1]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_export(directory, entries, sizes, newline=newline)
        # Entries past the last checkpoint are refused unless the caller allows them.
        if sizes[-1] < len(entries):
            with pytest.raises(VerificationError) as caught:
                verify_export(directory, verifier_keys=[VERIFIER], task_bytes=task_bytes)
            assert caught.value.first_bad_entry == sizes[-1]
        report = verify_export(
            directory, verifier_keys=[VERIFIER], task_bytes=task_bytes, allow_unsigned_tail=True
        )
    assert (report.entries, report.verified_size) == (len(entries), sizes[-1])
    assert [c.checkpoint.size for c in report.checkpoints] == sizes


@settings(max_examples=150, deadline=None)
@given(exports(), st.integers(min_value=1, max_value=2048), st.data())
def test_an_altered_entry_is_named_whatever_the_cut(
    export: tuple[list[bytes], list[int]], task_bytes: int, data: st.DataObject
) -> None:
    entries, sizes = export
    bad = data.draw(st.integers(min_value=0, max_value=sizes[-1] - 1))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_export(directory, entries, sizes, newline=True)
        tampered = [*entries[:bad], entries[bad] + b"!", *entries[bad + 1 :]]
        (directory / "entries.jsonl").write_bytes(b"".join(e + b"\n" for e in tampered))
        with pytest.raises(VerificationError) as caught:
            verify_export(directory, verifier_keys=[VERIFIER], task_bytes=task_bytes)
    assert caught.value.first_bad_entry == bad
