"""Offline verification of an exported log.

An export is a directory of plain files, so another implementation can check it:

- `entries.jsonl` — line i is entry i, exactly its RFC 8785 bytes (canonical JSON never holds
  a raw newline, so the line break is unambiguous);
- `leaves.bin` — the log's leaf hashes, 32 bytes each, in order (as published to the public);
  checked: it must hold exactly the entries' leaf hashes;
- `checkpoints.jsonl` — one JSON object a line, in increasing tree size:
  `{"note": <signed checkpoint with cosignatures>, "consistency": [<base64 hash>, …]}`, where
  `consistency` proves the checkpoint extends the previous one (RFC 9162 §2.1.4);
- `keys.txt` — the log's verifier keys, for information only: the verifier is given the keys
  to trust separately.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from custos.ledger._checkpoint import Checkpoint
from custos.ledger._errors import CheckpointError, NoteError, ProofError, VerificationError
from custos.ledger._map_audit import audit_map, read_entries
from custos.ledger._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    perfect_root,
    range_nodes,
    verify_consistency,
)
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
    #: The checkpoint the export was pinned to (`trusted_checkpoint`), when one was given.
    trusted: VerifiedCheckpoint | None = None
    #: Accounting map roots recomputed from the entries (docs/accounting-map.md).
    map_commits: int = 0


def open_checkpoint(
    note: str,
    *,
    verifier_keys: list[str],
    witness_keys: Sequence[str] = (),
    min_witnesses: int = 0,
    label: str = "the checkpoint",
) -> VerifiedCheckpoint:
    """Check a checkpoint's log signature and its witness quorum; raises `VerificationError`."""
    try:
        opened = open_note_full(note=note, verifier_keys=verifier_keys)
        checkpoint = Checkpoint.parse(opened.text)
    except (NoteError, CheckpointError) as exc:
        raise VerificationError(f"{label}: {exc}") from None
    # Cosignatures: count the trusted witnesses that cosigned this exact note text.
    witnesses: tuple[str, ...] = ()
    if witness_keys:
        try:
            cosigned = open_note_full(note=note, verifier_keys=list(witness_keys))
            witnesses = tuple(name for name, _, _ in cosigned.cosigned_at)
        except NoteError as exc:
            if "no verifiable" not in str(exc):
                raise VerificationError(f"{label}: {exc}") from None
    if len(witnesses) < min_witnesses:
        raise VerificationError(
            f"{label} (size {checkpoint.size}) has {len(witnesses)} witness "
            f"cosignatures, {min_witnesses} required"
        )
    return VerifiedCheckpoint(checkpoint=checkpoint, witnesses=witnesses)


def _load_checkpoints(
    path: Path, verifier_keys: list[str], witness_keys: list[str], min_witnesses: int
) -> list[VerifiedCheckpoint]:
    out: list[VerifiedCheckpoint] = []
    previous: Checkpoint | None = None
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if not lines:
        raise VerificationError("the export holds no checkpoint")
    for number, line in enumerate(lines, start=1):
        # 1. Every checkpoint is signed by a trusted log key, well formed, and cosigned by
        #    enough trusted witnesses.
        try:
            record = json.loads(line)
            note = record["note"]
            proof = [base64.b64decode(h, validate=True) for h in record.get("consistency", [])]
        except (ValueError, KeyError, TypeError):
            raise VerificationError(f"checkpoint {number}: not a checkpoint record") from None
        verified = open_checkpoint(
            note,
            verifier_keys=verifier_keys,
            witness_keys=witness_keys,
            min_witnesses=min_witnesses,
            label=f"checkpoint {number}",
        )
        checkpoint = verified.checkpoint
        # 2. Each checkpoint must extend the previous one (RFC 9162 §2.1.4.2).
        if previous is not None:
            _check_extends(number, previous, checkpoint, proof)
        out.append(verified)
        previous = checkpoint
    return out


def _check_extends(
    number: int, previous: Checkpoint, checkpoint: Checkpoint, proof: list[bytes]
) -> None:
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


# --- The main pass: the entries file in byte ranges, hashed where the cores are. ------------
#
# The file is cut into ranges of about `task_bytes`, each ending just after a line break. A
# first pass counts each range's entries, which fixes the index of its first entry; a second
# hashes each range into the aligned perfect nodes that cover it, cut at every checkpoint size
# inside it. Merged in order into one `CompactRange`, those nodes give each checkpoint's root
# exactly as hashing leaf by leaf would, because a perfect node's hash depends only on its own
# leaves. Both passes are independent per range, so worker processes can run them; with one
# worker they run here, through the same code.

#: About how many bytes of entries one task reads (16 MiB: some 100,000 typical entries).
TASK_BYTES = 1 << 24
#: Worker processes pay for their start-up only over several tasks.
_MIN_TASKS_FOR_WORKERS = 4


@dataclass(frozen=True, kw_only=True)
class _Range:
    """A byte range of the entries file and, once counted, where its entries sit in the log."""

    path: str
    start: int
    end: int
    #: Index of the range's first entry.
    first: int = 0
    #: Entries from this index on are past the last checkpoint: not hashed.
    stop: int = 0
    #: The checkpoint sizes that fall inside the range, where a root is checked.
    cuts: tuple[int, ...] = ()
    #: The export's `leaves.bin`, compared with the entries' leaf hashes ("" when absent).
    leaves: str = ""


def _split(path: Path, task_bytes: int) -> list[_Range]:
    """Cut the file into ranges of about `task_bytes`, each ending just after a line break."""
    size = path.stat().st_size
    bounds = [0]
    with path.open("rb") as f:
        while bounds[-1] < size:
            pos = bounds[-1] + max(1, task_bytes)
            if pos < size:
                f.seek(pos)
                while block := f.read(1 << 16):
                    newline = block.find(b"\n")
                    if newline >= 0:
                        pos += newline + 1
                        break
                    pos += len(block)
            bounds.append(min(pos, size))
    return [_Range(path=str(path), start=a, end=b) for a, b in itertools.pairwise(bounds)]


def _read(task: _Range) -> bytes:
    with Path(task.path).open("rb") as f:
        f.seek(task.start)
        return f.read(task.end - task.start)


def _count_range(task: _Range) -> int:
    """How many entries the range holds, counted as `read_entries` splits them."""
    data = _read(task)
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def _hash_range(task: _Range) -> tuple[list[list[tuple[int, bytes]]], int | None]:
    """The (level, hash) perfect nodes covering the range's leaves below `task.stop`, as one
    list per segment between its cuts (`len(task.cuts) + 1` lists, left to right); and the
    index of the first of those leaves that `leaves.bin` records differently, if any."""
    data = _read(task)
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    end = min(task.first + len(lines), task.stop)
    leaves = [_sha256(b"\x00" + line).digest() for line in lines[: end - task.first]]
    segments = []
    for lo, hi in zip((task.first, *task.cuts), (*task.cuts, end), strict=True):
        nodes = []
        for level, index in range_nodes(lo, hi):
            offset = (index << level) - task.first
            nodes.append((level, perfect_root(leaves[offset : offset + (1 << level)])))
        segments.append(nodes)
    return segments, _first_recorded_difference(task, leaves)


def _first_recorded_difference(task: _Range, leaves: list[bytes]) -> int | None:
    if not task.leaves or not leaves:
        return None
    with Path(task.leaves).open("rb") as f:
        f.seek(task.first * HASH_SIZE)
        recorded = f.read(len(leaves) * HASH_SIZE)
    if recorded == b"".join(leaves):
        return None
    for i, leaf in enumerate(leaves):
        if recorded[i * HASH_SIZE : (i + 1) * HASH_SIZE] != leaf:
            return task.first + i
    return task.first + len(leaves)  # pragma: no cover - unequal bytes differ somewhere


@contextlib.contextmanager
def _mapper(workers: int, tasks: int) -> Iterator[Callable[..., Iterator[Any]]]:
    """`map` over the tasks, run by worker processes when that pays; in order either way."""
    if workers <= 1 or tasks < _MIN_TASKS_FOR_WORKERS:
        yield map
        return
    # Forked where the OS can: a spawned worker would re-import the caller's main module (the
    # whole CLI) before its first task. Forking is safe for the single-threaded callers that
    # ask for workers (the CLI, the benchmark); threaded callers keep the default of one.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, tasks), mp_context=context)
    try:
        yield pool.map
    finally:
        # On a failure, the ranges not yet hashed are not worth waiting for.
        pool.shutdown(cancel_futures=True)


def verify_export(
    directory: Path,
    *,
    verifier_keys: list[str],
    witness_keys: list[str] | None = None,
    min_witnesses: int = 0,
    workers: int = 1,
    task_bytes: int = TASK_BYTES,
    trusted_checkpoint: str | None = None,
    allow_unsigned_tail: bool = False,
) -> VerifyReport:
    """Check an export offline; raises `VerificationError` naming the first bad entry.

    1. Every checkpoint is signed by a trusted key and extends the previous one.
    2. The entries, hashed as RFC 9162 leaves, give each checkpoint's root — and the root of
       `trusted_checkpoint` (a signed note obtained elsewhere: from a witness, the log's
       `/checkpoint`, an earlier run), so an export cut short before it, or a different
       history, fails.
    3. On a mismatch, the recorded leaf hashes are tried: if they give the roots, they are
       authentic and the first entry that does not hash to its leaf is the first bad entry.
    4. Entries past the last signed checkpoint fail unless `allow_unsigned_tail`; `leaves.bin`
       must hold exactly the entries' leaf hashes.
    5. Every accounting map root committed in the log is recomputed from the accounting
       entries before it (`_map_audit`), and every signed accounting entry is committed.

    `workers` > 1 hashes the entries in that many processes; the result is the same, and a
    large export verifies in about 1/workers of the time.
    """
    if not verifier_keys:
        raise VerificationError("no log key given to trust")
    checkpoints = _load_checkpoints(
        directory / CHECKPOINTS, verifier_keys, witness_keys or [], min_witnesses
    )
    pinned = None
    if trusted_checkpoint is not None:
        pinned = open_checkpoint(
            trusted_checkpoint,
            verifier_keys=verifier_keys,
            witness_keys=witness_keys or [],
            min_witnesses=min_witnesses,
            label="the trusted checkpoint",
        )
    cuts = _cuts(checkpoints, pinned)
    count = _check_entries(directory, cuts, workers=workers, task_bytes=task_bytes)
    signed = max(cuts)
    if count > signed and not allow_unsigned_tail:
        raise VerificationError(
            f"entries {signed} to {count - 1} are covered by no signed checkpoint",
            first_bad_entry=signed,
        )
    commits = audit_map(read_entries(directory / ENTRIES), cuts)
    return VerifyReport(
        entries=count,
        verified_size=signed,
        checkpoints=tuple(checkpoints),
        trusted=pinned,
        map_commits=commits,
    )


def _cuts(
    checkpoints: list[VerifiedCheckpoint], pinned: VerifiedCheckpoint | None
) -> dict[int, bytes]:
    """Every tree size whose root the entries must give, with that root."""
    roots = {c.checkpoint.size: c.checkpoint.root for c in checkpoints}
    if pinned is not None:
        trusted = pinned.checkpoint
        if trusted.origin != checkpoints[-1].checkpoint.origin:
            raise VerificationError("the trusted checkpoint names another log")
        if roots.setdefault(trusted.size, trusted.root) != trusted.root:
            raise VerificationError(
                f"the trusted checkpoint and the export's checkpoint of size {trusted.size} "
                "have different roots: the log is forked"
            )
    if 0 in roots and roots[0] != EMPTY_ROOT:
        raise VerificationError("a checkpoint of size 0 is not the root of the empty log")
    return dict(sorted(roots.items()))


def _check_entries(
    directory: Path, roots: dict[int, bytes], *, workers: int, task_bytes: int
) -> int:
    """Hash the entries into each root of `roots`; the number of entries in the export."""
    sizes = list(roots)
    entries = directory / ENTRIES
    if not entries.exists():
        raise VerificationError("the export holds no entries file")
    leaves = directory / LEAVES
    ranges = _split(entries, task_bytes)
    recorded: list[int] = []
    with _mapper(workers, len(ranges)) as mapped:
        count, placed = 0, []
        for task, n in zip(ranges, mapped(_count_range, ranges), strict=True):
            cuts = tuple(s for s in sizes if count < s <= min(count + n, sizes[-1]))
            placed.append(
                replace(
                    task,
                    first=count,
                    stop=sizes[-1],
                    cuts=cuts,
                    leaves=str(leaves) if leaves.exists() else "",
                )
            )
            count += n
        hashed = [task for task in placed if task.first < sizes[-1]]
        previous, failed = 0, None
        for size, root in _merged_roots(hashed, mapped(_hash_range, hashed), recorded):
            if root != roots[size]:
                failed = size
                break
            previous = size
    if failed is not None:
        raise _locate(directory, previous, failed, roots)
    if previous != sizes[-1]:
        raise VerificationError(
            f"the export has {count} entries; signed checkpoints cover {sizes[-1]}",
            first_bad_entry=count,
        )
    _check_recorded(leaves, count, recorded)
    return count


def _check_recorded(leaves: Path, count: int, differences: list[int]) -> None:
    """`leaves.bin` must hold exactly one leaf hash per entry, equal to the entry's."""
    if not leaves.exists():
        raise VerificationError(f"the export holds no {LEAVES}")
    if differences:
        first = min(differences)
        raise VerificationError(
            f"{LEAVES} records another leaf hash for entry {first}", first_bad_entry=first
        )
    recorded = leaves.stat().st_size
    if recorded != count * HASH_SIZE:
        raise VerificationError(
            f"{LEAVES} holds {recorded} bytes, not {count} leaf hashes",
            first_bad_entry=min(count, recorded // HASH_SIZE),
        )


def _merged_roots(
    tasks: list[_Range],
    hashed: Iterator[tuple[list[list[tuple[int, bytes]]], int | None]],
    differences: list[int],
) -> Iterator[tuple[int, bytes]]:
    """(size, root) at each cut, merging the ranges' perfect nodes in log order; collects the
    ranges' first differences from `leaves.bin` in `differences`."""
    tree = CompactRange()
    for task, (segments, difference) in zip(tasks, hashed, strict=True):
        if difference is not None:
            differences.append(difference)
        for i, nodes in enumerate(segments):
            for level, node in nodes:
                tree.push(level, node)
            if i < len(task.cuts):
                yield task.cuts[i], tree.root()


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
