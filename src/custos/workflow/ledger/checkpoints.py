"""Publishing signed checkpoints (C2SP tlog-checkpoint) and reading the latest one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError, NotFoundError
from custos.ledger import Checkpoint, TileStore, integrate, root_hash, sign_note_with, tree_state
from custos.store.ledger_tables import LedgerCheckpoint, LedgerCosignature
from custos.workflow.context import Context
from custos.workflow.ledger.keys import signer_keys


@dataclass(frozen=True, kw_only=True)
class PublishedCheckpoint:
    size: int
    root: bytes
    #: The signed note with every accepted cosignature.
    note: str


def with_cosignatures(session: Session, row: LedgerCheckpoint) -> str:
    """A stored checkpoint's note followed by every cosignature line received for it."""
    lines = session.scalars(
        select(LedgerCosignature.line)
        .where(LedgerCosignature.checkpoint_size == row.size)
        .order_by(LedgerCosignature.id)
    ).all()
    return row.note + "".join(lines)


def latest_row(session: Session) -> LedgerCheckpoint | None:
    """The checkpoint of the largest size, if any was published."""
    return session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()


def _integrate_all(ctx: Context, session: Session) -> tuple[int, bytes]:
    size, root = tree_state(session)
    while True:
        new_size, root = integrate(session, now=ctx.now())
        if new_size == size:
            return size, root
        size = new_size


def publish_checkpoint(ctx: Context) -> PublishedCheckpoint:
    """Integrate every committed entry and sign a checkpoint of the new tree.

    Never signs two inconsistent checkpoints: the tree's root at the last checkpoint's size
    must still be that checkpoint's root, or nothing is signed. Publishing twice without new
    entries returns the same checkpoint.
    """
    keys = signer_keys(ctx.settings)
    with ctx.transaction() as session:
        # 1. Integrate in batches until caught up (takes the integration lock).
        size, root = _integrate_all(ctx, session)
        # 2. The new tree must extend the last signed one.
        last = latest_row(session)
        if last is not None:
            if last.size == size:
                return PublishedCheckpoint(
                    size=size, root=bytes(last.root), note=with_cosignatures(session, last)
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
        row = latest_row(session)
        if row is None:
            raise NotFoundError("no checkpoint has been published yet")
        return PublishedCheckpoint(
            size=row.size, root=bytes(row.root), note=with_cosignatures(session, row)
        )
