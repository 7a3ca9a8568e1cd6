"""Ledger services: publish checkpoints, serve proofs and entries, export, accept cosignatures.

Who may see what (issue "verifiable ledger"):

- the public: the latest checkpoint with its cosignatures, consistency proofs, leaf hashes;
- auditors: full entries with inclusion proofs;
- a person: their own entries (by pseudonym) with inclusion proofs.

Keys. The log's signer keys live in the file named by `CUSTOS_LEDGER_KEY_PATH`, one signed-note
signer key (`PRIVATE+KEY+…`) a line, readable by the owner only (mode 0600; anything looser is
refused). Every checkpoint is signed by every key in the file. To rotate: (1) `custos ledger
keygen` a new key and add its line to the file; checkpoints now carry both signatures;
(2) publish the new verifier key and give verifiers and witnesses time to trust it;
(3) remove the old line. A verifier that trusts either key accepts every checkpoint throughout.
In demo mode a key is created under the data directory when none is configured.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from custos.config import Settings
from custos.domain.errors import IntegrityError, InvalidInputError, NotFoundError
from custos.ledger import (
    EMPTY_ROOT,
    Checkpoint,
    NoteError,
    SignerKey,
    TileStore,
    consistency_proof,
    generate_key,
    inclusion_proof,
    integrate,
    open_note_full,
    root_hash,
    sign_note_with,
    tree_state,
)
from custos.ledger import _verify as export_format
from custos.ledger._note import ALG_COSIGNATURE_V1, VerifierKey, parse_note
from custos.ledger._witness import Seen
from custos.store.engine import make_engine, session_factory
from custos.store.ledger_tables import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerWitness,
    WitnessAlarm,
    WitnessState,
)
from custos.store.tables import LedgerEntry
from custos.workflow.context import Context

#: Most items one public or auditor read returns.
MAX_PAGE = 1000


class LedgerKeyError(IntegrityError):
    """The log's signer key is missing, unreadable or too widely readable."""

    kind = "ledger-key"
    status = 500
    exit_code = 78


# --- keys ---------------------------------------------------------------------------------------


def write_key_file(path: Path, lines: list[str]) -> None:
    """Write signer keys to `path`, created with mode 0600 (never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(line.strip() + "\n" for line in lines))
    path.chmod(0o600)


def _key_path(settings: Settings) -> Path:
    if settings.ledger_key_path is not None:
        return settings.ledger_key_path
    if settings.demo:
        path = settings.data_dir / "ledger.key"
        if not path.exists():
            signer, _ = generate_key(settings.ledger_origin)
            write_key_file(path, [signer])
        return path
    raise LedgerKeyError("CUSTOS_LEDGER_KEY_PATH is required outside demo mode")


def signer_keys(settings: Settings) -> list[str]:
    """The log's signer keys, from a file of mode 0600. Fails closed."""
    path = _key_path(settings)
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LedgerKeyError(f"the ledger key file {path.name} must have mode 0600")
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        raise LedgerKeyError("the ledger key file cannot be read") from None
    if not lines:
        raise LedgerKeyError("the ledger key file holds no key")
    try:
        for line in lines:
            SignerKey.parse(line)
    except NoteError:
        raise LedgerKeyError("the ledger key file holds a malformed key") from None
    return lines


def verifier_keys(settings: Settings) -> list[str]:
    """The public verifier keys matching `signer_keys`."""
    return [SignerKey.parse(k).verifier().encode() for k in signer_keys(settings)]


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PublishedCheckpoint:
    size: int
    root: bytes
    #: The signed note with every accepted cosignature.
    note: str


def _with_cosignatures(session: Session, row: LedgerCheckpoint) -> str:
    lines = session.scalars(
        select(LedgerCosignature.line)
        .where(LedgerCosignature.checkpoint_size == row.size)
        .order_by(LedgerCosignature.id)
    ).all()
    return row.note + "".join(lines)


def _latest_row(session: Session) -> LedgerCheckpoint | None:
    return session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()


def publish_checkpoint(ctx: Context) -> PublishedCheckpoint:
    """Integrate every committed entry and sign a checkpoint of the new tree.

    Never signs two inconsistent checkpoints: the tree's root at the last checkpoint's size
    must still be that checkpoint's root, or nothing is signed. Publishing twice without new
    entries returns the same checkpoint.
    """
    keys = signer_keys(ctx.settings)
    with ctx.transaction() as session:
        # 1. Integrate in batches until caught up (takes the integration lock).
        size, root = tree_state(session)
        while True:
            new_size, root = integrate(session, now=ctx.now())
            if new_size == size:
                break
            size = new_size
        # 2. The new tree must extend the last signed one.
        last = _latest_row(session)
        if last is not None:
            if last.size == size:
                return PublishedCheckpoint(
                    size=size, root=bytes(last.root), note=_with_cosignatures(session, last)
                )
            if size < last.size or root_hash(TileStore(session), last.size) != bytes(last.root):
                raise IntegrityError(
                    f"the log no longer matches its checkpoint of size {last.size}; not signing"
                )
        # 3. Sign with every configured key (several during a key rotation) and store.
        text = Checkpoint(origin=ctx.settings.ledger_origin, size=size, root=root).text()
        note = sign_note_with(text=text, signer_keys=keys)
        session.add(LedgerCheckpoint(size=size, root=root, note=note, published_at=ctx.now()))
        return PublishedCheckpoint(size=size, root=root, note=note)


def latest_checkpoint(ctx: Context) -> PublishedCheckpoint:
    """The latest checkpoint with its cosignatures (public)."""
    with ctx.reading() as session:
        row = _latest_row(session)
        if row is None:
            raise NotFoundError("no checkpoint has been published yet")
        return PublishedCheckpoint(
            size=row.size, root=bytes(row.root), note=_with_cosignatures(session, row)
        )


def run_publisher(ctx: Context, stop: threading.Event) -> None:
    """Publish a checkpoint every `checkpoint_interval_seconds` until `stop` is set.

    The app starts this in a background thread while serving; `custos ledger checkpoint
    --every` runs it in the foreground.
    """
    while not stop.is_set():
        publish_checkpoint(ctx)
        stop.wait(ctx.settings.checkpoint_interval_seconds)


# --- proofs and reads ---------------------------------------------------------------------------


def _integrated_size(session: Session) -> int:
    return tree_state(session)[0]


def _check_size(session: Session, tree_size: int | None) -> int:
    size = _integrated_size(session)
    if tree_size is None:
        row = _latest_row(session)
        if row is None:
            raise NotFoundError("no checkpoint has been published yet")
        return row.size
    if not 0 < tree_size <= size:
        raise InvalidInputError(f"tree size must be between 1 and {size}")
    return tree_size


def consistency(ctx: Context, first: int, second: int) -> list[bytes]:
    """A consistency proof between two tree sizes (public, RFC 9162 §2.1.4.1)."""
    with ctx.reading() as session:
        size = _integrated_size(session)
        if not 0 <= first <= second <= size:
            raise InvalidInputError(f"need 0 <= first <= second <= {size}")
        return consistency_proof(TileStore(session, shared_cache=True), first, second)


def leaf_hashes(ctx: Context, start: int, count: int) -> list[bytes]:
    """Leaf hashes in index order, no entry content (public)."""
    if start < 0 or not 0 < count <= MAX_PAGE:
        raise InvalidInputError(f"start must be ≥ 0 and count between 1 and {MAX_PAGE}")
    with ctx.reading() as session:
        rows = session.scalars(
            select(LedgerEntry.leaf_hash)
            .where(LedgerEntry.idx >= start, LedgerEntry.idx < start + count)
            .order_by(LedgerEntry.idx)
        ).all()
        return [bytes(h) for h in rows]


@dataclass(frozen=True, kw_only=True)
class ProvenEntry:
    index: int
    tag: str
    body: bytes
    leaf_hash: bytes
    tree_size: int
    proof: list[bytes]


def _prove(session: Session, rows: list[LedgerEntry], tree_size: int) -> list[ProvenEntry]:
    store = TileStore(session, shared_cache=True)
    return [
        ProvenEntry(
            index=row.idx,
            tag=row.tag,
            body=bytes(row.body),
            leaf_hash=bytes(row.leaf_hash),
            tree_size=tree_size,
            proof=inclusion_proof(store, row.idx, tree_size),
        )
        for row in rows
    ]


def entries(
    ctx: Context, start: int, count: int, tree_size: int | None = None
) -> list[ProvenEntry]:
    """Full entries with inclusion proofs against a checkpoint's tree size (auditors).

    Without `tree_size`, proofs are against the latest published checkpoint.
    """
    if start < 0 or not 0 < count <= MAX_PAGE:
        raise InvalidInputError(f"start must be ≥ 0 and count between 1 and {MAX_PAGE}")
    with ctx.reading() as session:
        size = _check_size(session, tree_size)
        rows = list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.idx >= start, LedgerEntry.idx < min(start + count, size))
                .order_by(LedgerEntry.idx)
            )
        )
        return _prove(session, rows, size)


def entries_for_subject(
    ctx: Context, subject_ref: str, tree_size: int | None = None
) -> list[ProvenEntry]:
    """A person's own entries (by their pseudonym) with inclusion proofs.

    Only entries the given checkpoint covers are returned; later ones appear once the next
    checkpoint is published.
    """
    with ctx.reading() as session:
        size = _check_size(session, tree_size)
        rows = list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.subject_ref == subject_ref, LedgerEntry.idx < size)
                .order_by(LedgerEntry.idx)
                .limit(10 * MAX_PAGE)
            )
        )
        return _prove(session, rows, size)


# --- witnesses and cosignatures -----------------------------------------------------------------


def add_witness(ctx: Context, verifier_key: str) -> str:
    """Trust a witness's cosignatures (its alg 0x04 verifier key); returns its name."""
    try:
        parsed = VerifierKey.parse(verifier_key)
    except NoteError as exc:
        raise InvalidInputError(f"not a witness verifier key: {exc}") from None
    if parsed.alg != ALG_COSIGNATURE_V1:
        raise InvalidInputError("a witness key must be a cosignature/v1 (0x04) key")
    key = parsed.name
    with ctx.transaction() as session:
        existing = session.scalars(
            select(LedgerWitness).where(LedgerWitness.verifier_key == verifier_key)
        ).first()
        if existing is None:
            session.add(
                LedgerWitness(name=key, verifier_key=verifier_key, active=True, added_at=ctx.now())
            )
    return key


def add_cosignature(ctx: Context, cosigned_note: str) -> int:
    """Store the cosignatures of trusted witnesses found on a published checkpoint.

    The note's text must be exactly a checkpoint the log signed; returns how many new
    cosignatures were stored. Unknown witnesses are ignored; a bad signature by a known one
    is an error.
    """
    try:
        text, _ = parse_note(cosigned_note)
        checkpoint = Checkpoint.parse(text)
    except IntegrityError as exc:
        raise InvalidInputError(f"not a checkpoint: {exc}") from None
    with ctx.transaction() as session:
        row = session.get(LedgerCheckpoint, checkpoint.size)
        if row is None or parse_note(row.note)[0] != text:
            raise NotFoundError("this log signed no such checkpoint")
        witnesses = list(session.scalars(select(LedgerWitness).where(LedgerWitness.active)))
        if not witnesses:
            return 0
        try:
            opened = open_note_full(
                note=cosigned_note, verifier_keys=[w.verifier_key for w in witnesses]
            )
        except NoteError as exc:
            raise InvalidInputError(f"cosignature rejected: {exc}") from None
        times = {(name, kid): t for name, kid, t in opened.cosigned_at}
        stored = 0
        for sig in opened.verified:
            when = times.get((sig.name, sig.key_id))
            if when is None:
                continue
            exists = session.scalars(
                select(LedgerCosignature).where(
                    LedgerCosignature.checkpoint_size == row.size,
                    LedgerCosignature.witness_name == sig.name,
                    LedgerCosignature.key_id == sig.key_id.hex(),
                )
            ).first()
            if exists is not None:
                continue
            session.add(
                LedgerCosignature(
                    checkpoint_size=row.size,
                    witness_name=sig.name,
                    key_id=sig.key_id.hex(),
                    line=sig.line(),
                    cosigned_at=dt.datetime.fromtimestamp(when, dt.UTC),
                    received_at=ctx.now(),
                )
            )
            stored += 1
        return stored


class SqlWitnessMemory:
    """A witness's `WitnessMemory` in its own database (`witness_state`, `witness_alarms`)."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    @classmethod
    def from_url(cls, url: str) -> SqlWitnessMemory:
        from custos.store.base import Base

        engine = make_engine(url)
        Base.metadata.create_all(engine, tables=[WitnessState.__table__, WitnessAlarm.__table__])  # type: ignore[list-item]  # __table__ is typed as FromClause
        return cls(engine)

    def last(self, origin: str) -> Seen | None:
        with self.sessions() as session:
            row = session.get(WitnessState, origin)
            if row is None:
                return None
            return Seen(size=row.size, root=bytes(row.root), note=row.note)

    def accept(self, origin: str, seen: Seen) -> None:
        now = dt.datetime.now(dt.UTC)
        with self.sessions() as session, session.begin():
            row = session.get(WitnessState, origin)
            if row is None:
                session.add(
                    WitnessState(
                        origin=origin,
                        size=seen.size,
                        root=seen.root,
                        note=seen.note,
                        updated_at=now,
                    )
                )
            else:
                row.size, row.root, row.note, row.updated_at = seen.size, seen.root, seen.note, now

    def alarm(
        self, *, origin: str, reason: str, previous: str, offered: str, proof: list[bytes]
    ) -> None:
        with self.sessions() as session, session.begin():
            session.add(
                WitnessAlarm(
                    origin=origin,
                    reason=reason,
                    previous_note=previous,
                    offered_note=offered,
                    proof=" ".join(base64.b64encode(p).decode() for p in proof),
                    at=dt.datetime.now(dt.UTC),
                )
            )


class LocalLogClient:
    """A `LogClient` calling this process's services directly (tests, single-host setups)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def latest_checkpoint(self) -> str:
        return latest_checkpoint(self.ctx).note

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return consistency(self.ctx, size1, size2)

    def submit_cosignature(self, note: str) -> None:
        add_cosignature(self.ctx, note)


# --- export -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExportSummary:
    entries: int
    checkpoints: int
    directory: Path


def export(ctx: Context, directory: Path, *, batch: int = 50_000) -> ExportSummary:
    """Write the log to `directory` in the export format of `custos.ledger._verify`.

    Reads one consistent snapshot: checkpoints are exported up to the integrated size and
    entries up to the same size, so the export verifies on its own.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with ctx.reading() as session:
        size = _integrated_size(session)
        checkpoints = list(
            session.scalars(
                select(LedgerCheckpoint)
                .where(LedgerCheckpoint.size <= size)
                .order_by(LedgerCheckpoint.size)
            )
        )
        store = TileStore(session, shared_cache=True)
        with (directory / export_format.CHECKPOINTS).open("w", encoding="utf-8") as f:
            previous = 0
            for row in checkpoints:
                proof = consistency_proof(store, previous, row.size) if previous else []
                record = {
                    "note": _with_cosignatures(session, row),
                    "consistency": [base64.b64encode(p).decode() for p in proof],
                }
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                previous = row.size
        count = 0
        with (
            (directory / export_format.ENTRIES).open("wb") as bodies,
            (directory / export_format.LEAVES).open("wb") as leaves,
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
    (directory / export_format.KEYS).write_text(
        "".join(k + "\n" for k in verifier_keys(ctx.settings)), encoding="utf-8"
    )
    return ExportSummary(entries=count, checkpoints=len(checkpoints), directory=directory)


def log_size(ctx: Context) -> tuple[int, int, bytes]:
    """(entries appended, entries integrated, integrated root) — for status displays."""
    with ctx.reading() as session:
        appended = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
        size, root = tree_state(session)
        return int(appended), size, root if size else EMPTY_ROOT
