"""Writing the log out: the offline-verification export, and the static public log.

- `export` writes the format `custos ledger verify` checks (`custos.ledger.verify_export`):
  entries, leaf hashes, checkpoints with consistency proofs, keys.
- `publish_static` writes the public log as C2SP tlog-tiles static files — `checkpoint` and
  `tile/<L>/<N>[.p/<W>]` — so any web server, object store or CDN can serve it with no
  database behind it. Entry bundles are not written: entries carry pseudonyms and request
  details, and stay with auditors.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from custos.ledger import (
    CHECKPOINTS,
    EMPTY_ROOT,
    ENTRIES,
    KEYS,
    LEAVES,
    TileStore,
    consistency_proof,
    tiles_for_size,
    tree_state,
)
from custos.store.ledger_tables import LedgerCheckpoint
from custos.store.tables import LedgerEntry
from custos.workflow.context import Context
from custos.workflow.ledger.checkpoints import latest_row, with_cosignatures
from custos.workflow.ledger.keys import verifier_keys
from custos.workflow.ledger.reads import integrated_size, signed_size


@dataclass(frozen=True, kw_only=True)
class ExportSummary:
    entries: int
    checkpoints: int
    directory: Path


def export(ctx: Context, directory: Path, *, batch: int = 50_000) -> ExportSummary:
    """Write the log to `directory` in the export format of `custos.ledger.verify_export`.

    Reads one consistent snapshot: checkpoints are exported up to the integrated size and
    entries up to the same size, so the export verifies on its own.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with ctx.reading() as session:
        size = integrated_size(session)
        checkpoints = list(
            session.scalars(
                select(LedgerCheckpoint)
                .where(LedgerCheckpoint.size <= size)
                .order_by(LedgerCheckpoint.size)
            )
        )
        store = TileStore(session, shared_cache=True)
        with (directory / CHECKPOINTS).open("w", encoding="utf-8") as f:
            previous = 0
            for row in checkpoints:
                proof = consistency_proof(store, previous, row.size) if previous else []
                record = {
                    "note": with_cosignatures(session, row),
                    "consistency": [base64.b64encode(p).decode() for p in proof],
                }
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                previous = row.size
        count = 0
        with (
            (directory / ENTRIES).open("wb") as bodies,
            (directory / LEAVES).open("wb") as leaves,
        ):
            while count < size:
                rows = session.execute(
                    select(LedgerEntry.body, LedgerEntry.leaf_hash)
                    .where(LedgerEntry.idx >= count, LedgerEntry.idx < min(count + batch, size))
                    .order_by(LedgerEntry.idx)
                ).all()
                if not rows:
                    break
                bodies.write(b"".join(bytes(b) + b"\n" for b, _ in rows))
                leaves.write(b"".join(bytes(h) for _, h in rows))
                count += len(rows)
    (directory / KEYS).write_text(
        "".join(k + "\n" for k in verifier_keys(ctx.settings)), encoding="utf-8"
    )
    return ExportSummary(entries=count, checkpoints=len(checkpoints), directory=directory)


@dataclass(frozen=True, kw_only=True)
class StaticSummary:
    """What `publish_static` wrote: the checkpoint's size, tiles written and kept."""

    size: int
    written: int
    kept: int
    directory: Path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def publish_static(ctx: Context, directory: Path) -> StaticSummary:
    """Write the latest checkpoint and every hash tile it needs as static files (tlog-tiles).

    Full tiles never change, so those already present are kept; partial tiles of earlier
    checkpoints are kept too (the spec has logs serve them). The checkpoint is written last,
    replacing the old one in one rename, so a reader never sees a checkpoint whose tiles are
    missing. Serve `checkpoint` with a short cache lifetime and `tile/` with a long one.
    """
    with ctx.reading() as session:
        size = signed_size(session)
        row = latest_row(session)
        note = with_cosignatures(session, row) if row is not None else ""
        store = TileStore(session, shared_cache=True)
        written = kept = 0
        for ref in tiles_for_size(size):
            path = directory / ref.path()
            if not ref.partial and path.exists():
                kept += 1
                continue
            level = ref.level or 0
            _write_atomically(path, store.bottom_row(level, ref.index, ref.width))
            written += 1
    _write_atomically(directory / "checkpoint", note.encode("utf-8"))
    return StaticSummary(size=size, written=written, kept=kept, directory=directory)


def log_size(ctx: Context) -> tuple[int, int, bytes]:
    """(entries appended, entries integrated, integrated root) — for status displays."""
    with ctx.reading() as session:
        appended = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
        size, root = tree_state(session)
        return int(appended), size, root if size else EMPTY_ROOT
