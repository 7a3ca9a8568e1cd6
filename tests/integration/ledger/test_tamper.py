"""A tamper campaign: 240 random mutations of a real export, verified against a pinned
checkpoint — every one is detected.

The export comes from a real log (five checkpoints, 610 entries); the trusted checkpoint is
the latest one, as a verifier would hold it from the log's `/checkpoint` or a witness. The
mutations cover the entries (changed, deleted, duplicated, swapped, cut), a truncation at an
earlier checkpoint (a whole release and its accounting entries removed with the checkpoints
after it), appended unsigned tails (with and without a forged checkpoint), `leaves.bin`
(changed, cut, removed) and the checkpoints file (altered, dropped, reordered, bad proofs).
"""

from __future__ import annotations

import base64
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from custos.ledger import (
    Checkpoint,
    MemoryTree,
    VerificationError,
    generate_key,
    hash_leaf,
    sign_note,
    verify_export,
)
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import ORIGIN, add_events

SIZES = (50, 180, 256, 400, 610)
MUTATIONS = 240

Files = dict[str, bytes]
Mutation = Callable[[random.Random, Files], Files]


def _lines(files: Files) -> list[bytes]:
    return files["entries.jsonl"].split(b"\n")[:-1]


def _with_lines(files: Files, lines: list[bytes], *, leaves: bool = False) -> Files:
    out = {**files, "entries.jsonl": b"".join(line + b"\n" for line in lines)}
    if leaves:  # keep leaves.bin consistent with the entries, as a careful forger would
        out["leaves.bin"] = b"".join(hash_leaf(line) for line in lines)
    return out


def _records(files: Files) -> list[dict[str, object]]:
    return [json.loads(r) for r in files["checkpoints.jsonl"].decode().splitlines()]


def _with_records(files: Files, records: list[dict[str, object]]) -> Files:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return {**files, "checkpoints.jsonl": text.encode()}


def flip_entry_byte(rng: random.Random, files: Files) -> Files:
    lines = _lines(files)
    i = rng.randrange(len(lines))
    pos = rng.randrange(len(lines[i]))
    new = bytes([(lines[i][pos] + rng.randrange(1, 256)) % 256])
    lines[i] = lines[i][:pos] + new + lines[i][pos + 1 :]
    return _with_lines(files, lines, leaves=rng.random() < 0.5)


def delete_entry(rng: random.Random, files: Files) -> Files:
    lines = _lines(files)
    del lines[rng.randrange(len(lines))]
    return _with_lines(files, lines, leaves=rng.random() < 0.5)


def duplicate_entry(rng: random.Random, files: Files) -> Files:
    lines = _lines(files)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return _with_lines(files, lines, leaves=rng.random() < 0.5)


def swap_entries(rng: random.Random, files: Files) -> Files:
    lines = _lines(files)
    i, j = rng.sample(range(len(lines)), 2)
    lines[i], lines[j] = lines[j], lines[i]
    return _with_lines(files, lines, leaves=rng.random() < 0.5)


def truncate_at_checkpoint(rng: random.Random, files: Files) -> Files:
    keep = rng.randrange(1, len(SIZES))  # keep the first `keep` checkpoints
    out = _with_records(files, _records(files)[:keep])
    return _with_lines(out, _lines(files)[: SIZES[keep - 1]], leaves=True)


def append_tail(rng: random.Random, files: Files) -> Files:
    tail = [b'{"forged":%d}' % rng.randrange(10**6) for _ in range(rng.randrange(1, 40))]
    return _with_lines(files, _lines(files) + tail, leaves=True)


def append_tail_with_a_forged_checkpoint(rng: random.Random, files: Files) -> Files:
    out = append_tail(rng, files)
    lines = _lines(out)
    tree = MemoryTree(hash_leaf(line) for line in lines)
    forger, _ = generate_key(ORIGIN)
    text = Checkpoint(origin=ORIGIN, size=len(lines), root=tree.root()).text()
    proof = [base64.b64encode(p).decode() for p in tree.consistency_proof(SIZES[-1])]
    record: dict[str, object] = {
        "note": sign_note(text=text, signer_key=forger),
        "consistency": proof,
    }
    return _with_records(out, [*_records(out), record])


def cut_entries_file(rng: random.Random, files: Files) -> Files:
    body = files["entries.jsonl"]
    return {**files, "entries.jsonl": body[: rng.randrange(1, len(body) - 1)]}


def flip_leaves_byte(rng: random.Random, files: Files) -> Files:
    leaves = bytearray(files["leaves.bin"])
    leaves[rng.randrange(len(leaves))] ^= rng.randrange(1, 256)
    return {**files, "leaves.bin": bytes(leaves)}


def cut_leaves(rng: random.Random, files: Files) -> Files:
    return {**files, "leaves.bin": files["leaves.bin"][: rng.randrange(len(files["leaves.bin"]))]}


def remove_leaves(rng: random.Random, files: Files) -> Files:
    _ = rng
    return {k: v for k, v in files.items() if k != "leaves.bin"}


def alter_checkpoint(rng: random.Random, files: Files) -> Files:
    records = _records(files)
    i = rng.randrange(len(records))
    note = str(records[i]["note"])
    size = str(SIZES[i])
    records[i]["note"] = note.replace(f"\n{size}\n", f"\n{int(size) + rng.randrange(1, 9)}\n", 1)
    return _with_records(files, records)


def drop_middle_checkpoint(rng: random.Random, files: Files) -> Files:
    records = _records(files)
    del records[rng.randrange(1, len(records) - 1)]
    return _with_records(files, records)


def swap_checkpoints(rng: random.Random, files: Files) -> Files:
    records = _records(files)
    i, j = sorted(rng.sample(range(len(records)), 2))
    records[i], records[j] = records[j], records[i]
    return _with_records(files, records)


def bad_consistency_proof(rng: random.Random, files: Files) -> Files:
    records = _records(files)
    i = rng.randrange(1, len(records))
    proof = [base64.b64decode(str(p)) for p in records[i]["consistency"]]  # type: ignore[attr-defined]  # a JSON list
    k = rng.randrange(len(proof))
    proof[k] = bytes([proof[k][0] ^ 1]) + proof[k][1:]
    records[i]["consistency"] = [base64.b64encode(p).decode() for p in proof]
    return _with_records(files, records)


KINDS: list[Mutation] = [
    flip_entry_byte,
    delete_entry,
    duplicate_entry,
    swap_entries,
    truncate_at_checkpoint,
    append_tail,
    append_tail_with_a_forged_checkpoint,
    cut_entries_file,
    flip_leaves_byte,
    cut_leaves,
    remove_leaves,
    alter_checkpoint,
    drop_middle_checkpoint,
    swap_checkpoints,
    bad_consistency_proof,
]


@pytest.fixture
def pristine(sqlite_ctx: Context, keys: tuple[Path, str], tmp_path: Path) -> tuple[Files, str]:
    """A real export of five checkpoints, and the latest checkpoint as a verifier pins it."""
    settings = sqlite_ctx.settings.model_copy(
        update={"ledger_key_path": keys[0], "ledger_origin": ORIGIN}
    )
    ctx = Context(
        settings=settings,
        engine=sqlite_ctx.engine,
        sessions=sqlite_ctx.sessions,
        clock=sqlite_ctx.clock,
    )
    done = 0
    for size in SIZES:
        add_events(ctx, size - done, start=done)
        ledger.publish_checkpoint(ctx)
        done = size
    out = tmp_path / "export"
    ledger.export(ctx, out)
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    return files, ledger.latest_checkpoint(ctx).note


def _verify(directory: Path, files: Files, key: str, pinned: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    verify_export(directory, verifier_keys=[key], trusted_checkpoint=pinned)


def test_every_mutation_of_a_pinned_export_is_detected(
    pristine: tuple[Files, str], keys: tuple[Path, str], tmp_path: Path
) -> None:
    files, pinned = pristine
    work = tmp_path / "work"
    _verify(work, files, keys[1], pinned)  # the untouched export verifies
    rng = random.Random(15)
    tried: Counter[str] = Counter()
    for n in range(MUTATIONS):
        kind = KINDS[n % len(KINDS)]
        mutated = kind(rng, files)
        assert mutated != files, kind.__name__
        with pytest.raises(VerificationError):
            _verify(work, mutated, keys[1], pinned)
        tried[kind.__name__] += 1
    assert sum(tried.values()) == MUTATIONS
    assert min(tried.values()) >= MUTATIONS // len(KINDS)


def test_without_a_pin_a_truncation_at_a_checkpoint_looks_whole(
    pristine: tuple[Files, str], keys: tuple[Path, str], tmp_path: Path
) -> None:
    """Why the pin matters: cut at a checkpoint, the export is self-consistent."""
    files, pinned = pristine
    cut = truncate_at_checkpoint(random.Random(1), files)
    work = tmp_path / "work"
    work.mkdir()
    for name, data in cut.items():
        (work / name).write_bytes(data)
    report = verify_export(work, verifier_keys=[keys[1]])
    assert report.verified_size < SIZES[-1]
    with pytest.raises(VerificationError, match="signed checkpoints cover") as caught:
        verify_export(work, verifier_keys=[keys[1]], trusted_checkpoint=pinned)
    assert caught.value.first_bad_entry == report.entries
