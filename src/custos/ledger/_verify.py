"""Offline verification of an exported log.

An export is a directory of plain files, so another implementation can check it:

- `entries.jsonl` — line i is entry i, exactly its RFC 8785 bytes (canonical JSON never holds
  a raw newline, so the line break is unambiguous);
- `leaves.bin` — the log's leaf hashes, 32 bytes each, in order (as published to the public);
- `checkpoints.jsonl` — one JSON object a line, in increasing tree size:
  `{"note": <signed checkpoint with cosignatures>, "consistency": [<base64 hash>, …]}`, where
  `consistency` proves the checkpoint extends the previous one (RFC 9162 §2.1.4);
- `keys.txt` — the log's verifier keys, for information only: the verifier is given the keys
  to trust separately.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from custos.ledger._checkpoint import Checkpoint
from custos.ledger._errors import CheckpointError, NoteError, ProofError, VerificationError
from custos.ledger._merkle import HASH_SIZE, CompactRange, verify_consistency
from custos.ledger._note import open_note_full

ENTRIES = "entries.jsonl"
LEAVES = "leaves.bin"
CHECKPOINTS = "checkpoints.jsonl"
KEYS = "keys.txt"

_CHUNK = 1 << 16
_sha256 = hashlib.sha256


@dataclass(frozen=True, kw_only=True)
class VerifiedCheckpoint:
    checkpoint: Checkpoint
    #: Names of witnesses (from the given witness keys) whose cosignatures verified.
    witnesses: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    """What an export proved: every entry up to `verified_size` is in the signed log."""

    entries: int
    verified_size: int
    checkpoints: tuple[VerifiedCheckpoint, ...]


def read_entries(path: Path, *, block: int = 1 << 24) -> Iterator[list[bytes]]:
    """The entries of `entries.jsonl` in chunks, each without its line break."""
    with path.open("rb") as f:
        rest = b""
        while chunk := f.read(block):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            yield lines
        if rest:
            yield [rest]


def _load_checkpoints(  # noqa: C901 - numbered steps of one check
    path: Path, verifier_keys: list[str], witness_keys: list[str], min_witnesses: int
) -> list[VerifiedCheckpoint]:
    # 1. Every checkpoint must be signed by a trusted log key and be well formed.
    out: list[VerifiedCheckpoint] = []
    previous: Checkpoint | None = None
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if not lines:
        raise VerificationError("the export holds no checkpoint")
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            note = record["note"]
            proof = [base64.b64decode(h, validate=True) for h in record.get("consistency", [])]
            opened = open_note_full(note=note, verifier_keys=verifier_keys)
            checkpoint = Checkpoint.parse(opened.text)
        except (NoteError, CheckpointError) as exc:
            raise VerificationError(f"checkpoint {number}: {exc}") from None
        except (ValueError, KeyError, TypeError):
            raise VerificationError(f"checkpoint {number}: not a checkpoint record") from None
        # 2. Cosignatures: count the trusted witnesses that cosigned this exact note text.
        witnesses: tuple[str, ...] = ()
        if witness_keys:
            try:
                cosigned = open_note_full(note=note, verifier_keys=witness_keys)
                witnesses = tuple(name for name, _, _ in cosigned.cosigned_at)
            except NoteError as exc:
                if "no verifiable" not in str(exc):
                    raise VerificationError(f"checkpoint {number}: {exc}") from None
        if len(witnesses) < min_witnesses:
            raise VerificationError(
                f"checkpoint {number} (size {checkpoint.size}) has {len(witnesses)} witness "
                f"cosignatures, {min_witnesses} required"
            )
        # 3. Each checkpoint must extend the previous one (RFC 9162 §2.1.4.2).
        if previous is not None:
            if checkpoint.origin != previous.origin:
                raise VerificationError(f"checkpoint {number} names another log")
            if checkpoint.size <= previous.size:
                raise VerificationError(f"checkpoint {number} does not grow the log")
            try:
                verify_consistency(
                    size1=previous.size,
                    size2=checkpoint.size,
                    proof=proof,
                    root1=previous.root,
                    root2=checkpoint.root,
                )
            except ProofError as exc:
                raise VerificationError(
                    f"checkpoint {number} (size {checkpoint.size}) is not consistent with "
                    f"size {previous.size}: {exc}"
                ) from None
        out.append(VerifiedCheckpoint(checkpoint=checkpoint, witnesses=witnesses))
        previous = checkpoint
    return out


def _roots_at(leaves: Iterator[list[bytes]], sizes: list[int]) -> Iterator[tuple[int, bytes]]:
    """(size, root) at each of `sizes` (increasing), streaming leaf hashes in chunks."""
    tree = CompactRange()
    targets = iter(sizes)
    target = next(targets, None)
    for chunk in leaves:
        pos = 0
        while pos < len(chunk) and target is not None:
            take = min(len(chunk) - pos, target - tree.size)
            tree.extend(chunk[pos : pos + take])
            pos += take
            if tree.size == target:
                yield target, tree.root()
                target = next(targets, None)
        if target is None:
            return


def _recorded_leaves(path: Path) -> Iterator[list[bytes]]:
    with path.open("rb") as f:
        while chunk := f.read(HASH_SIZE * _CHUNK):
            yield [chunk[i : i + HASH_SIZE] for i in range(0, len(chunk), HASH_SIZE)]


def verify_export(
    directory: Path,
    *,
    verifier_keys: list[str],
    witness_keys: list[str] | None = None,
    min_witnesses: int = 0,
) -> VerifyReport:
    """Check an export offline; raises `VerificationError` naming the first bad entry.

    1. Every checkpoint is signed by a trusted key and extends the previous one.
    2. The entries, hashed as RFC 9162 leaves, give each checkpoint's root.
    3. On a mismatch, the recorded leaf hashes are tried: if they give the roots, they are
       authentic and the first entry that does not hash to its leaf is the first bad entry.
    """
    if not verifier_keys:
        raise VerificationError("no log key given to trust")
    checkpoints = _load_checkpoints(
        directory / CHECKPOINTS, verifier_keys, witness_keys or [], min_witnesses
    )
    sizes = [c.checkpoint.size for c in checkpoints]
    roots = {c.checkpoint.size: c.checkpoint.root for c in checkpoints}
    computed = _hashed_entries(directory / ENTRIES)
    count = 0

    def counted() -> Iterator[list[bytes]]:
        nonlocal count
        for chunk in computed:
            count += len(chunk)
            yield chunk

    previous = 0
    for size, root in _roots_at(counted(), sizes):
        if root != roots[size]:
            raise _locate(directory, previous, size, roots)
        previous = size
    if previous != sizes[-1]:
        raise VerificationError(
            f"the export has {count} entries; checkpoints cover {sizes[-1]}",
            first_bad_entry=count,
        )
    # Entries past the last checkpoint are not yet signed; count them for the report.
    for chunk in computed:
        count += len(chunk)
    return VerifyReport(entries=count, verified_size=sizes[-1], checkpoints=tuple(checkpoints))


def _hashed_entries(path: Path) -> Iterator[list[bytes]]:
    if not path.exists():
        raise VerificationError("the export holds no entries file")
    for lines in read_entries(path):
        yield [_sha256(b"\x00" + line).digest() for line in lines]


def _locate(directory: Path, start: int, size: int, roots: dict[int, bytes]) -> VerificationError:
    """Name the first bad entry below `size`, given that the entries up to `start` verified."""
    leaves = directory / LEAVES
    if leaves.exists():
        recorded_ok = next(iter(_roots_at(_recorded_leaves(leaves), [size])), (0, b""))[1]
        if recorded_ok == roots[size]:
            # The recorded leaf hashes are authentic: compare them with the entries.
            index = 0
            for mine, theirs in zip(
                _flat(_hashed_entries(directory / ENTRIES)),
                _flat(_recorded_leaves(leaves)),
                strict=False,
            ):
                if index >= size:
                    break
                if mine != theirs:
                    return VerificationError(
                        f"entry {index} does not match the signed log", first_bad_entry=index
                    )
                index += 1
            return VerificationError(
                f"the export ends at entry {index}; the checkpoint covers {size}",
                first_bad_entry=index,
            )
    return VerificationError(
        f"the entries from {start} to {size - 1} do not give the root of the checkpoint of "
        f"size {size}, and the recorded leaf hashes do not either",
    )


def _flat(chunks: Iterator[list[bytes]]) -> Iterator[bytes]:
    for chunk in chunks:
        yield from chunk
