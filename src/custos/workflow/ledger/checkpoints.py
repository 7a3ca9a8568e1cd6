"""Publishing signed checkpoints (C2SP tlog-checkpoint) and reading the latest one."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError, NotFoundError
from custos.domain.events import EventTag
from custos.ledger import (
    Checkpoint,
    MapKind,
    TileStore,
    advance_map,
    integrate,
    lock_appends,
    map_pending,
    mark_map_committed,
    next_index,
    root_hash,
    sign_note_with,
    tree_state,
)
from custos.store.core import Prepared
from custos.store.ledger_tables import LedgerCheckpoint, LedgerCosignature
from custos.workflow import journal
from custos.workflow.context import Context
from custos.workflow.ledger.keys import signer_keys


@dataclass(frozen=True, kw_only=True)
class PublishedCheckpoint:
    size: int
    root: bytes
    #: The signed note with every accepted cosignature.
    note: str


#: Built once, run as Core: every person's page and every checkpoint read runs it.
_COSIGNATURES = Prepared(
    select(LedgerCosignature.line)
    .where(LedgerCosignature.checkpoint_size == bindparam("size"))
    .order_by(LedgerCosignature.id)
)


def with_cosignatures(session: Session, row: LedgerCheckpoint) -> str:
    """A stored checkpoint's note followed by every cosignature line received for it."""
    return note_with_cosignatures(session, row.size, row.note)


def note_with_cosignatures(session: Session, size: int, note: str) -> str:
    """The note of the checkpoint of `size` followed by its cosignature lines."""
    return note + "".join(line for (line,) in _COSIGNATURES.all(session, {"size": size}))


def _latest(*columns: Any) -> Select[Any]:
    """The checkpoint of the largest size: the one ordering every reader of it shares."""
    return select(*columns).order_by(LedgerCheckpoint.size.desc()).limit(1)


_LATEST_ROW: Select[LedgerCheckpoint] = _latest(LedgerCheckpoint)


def latest_row(session: Session) -> LedgerCheckpoint | None:
    """The checkpoint of the largest size, if any was published."""
    return session.scalars(_LATEST_ROW).first()


def _integrate_all(ctx: Context, session: Session) -> tuple[int, bytes]:
    size, root = tree_state(session)
    while True:
        new_size, root = integrate(session, now=ctx.now())
        if new_size == size:
            return size, root
        size = new_size


def commit_map(ctx: Context, session: Session) -> int | None:
    """Fold new entries into the accounting and release maps and append both roots in one
    commit entry; the commit's index.

    Nothing is appended when no accounting entry or release lifecycle event arrived since the
    last commit (so a quiet log's checkpoints stay the same). Otherwise the log's sequencing
    lock is taken for the rest of the transaction: both maps cover every entry below the
    commit entry's index, and the checkpoint signed next in this transaction ends with it.
    """
    seen = next_index(session)
    if not map_pending(session, seen):
        return None
    # The bulk first, without holding up appends: every entry below the last one this
    # transaction sees has committed (indices are taken under the sequencing lock, held to
    # commit). Then, under the lock, whatever arrived meanwhile.
    for kind in MapKind:
        advance_map(session, seen, now=ctx.now(), kind=kind)
    upto = lock_appends(session)
    made = advance_map(session, upto, now=ctx.now(), kind=MapKind.PEOPLE)
    releases = advance_map(session, upto, now=ctx.now(), kind=MapKind.RELEASES)
    index = journal.record(
        ctx,
        session,
        EventTag.LEDGER_MAP_COMMIT,
        "system",
        root=base64.b64encode(made.root).decode("ascii"),
        size=made.size,
        people=made.people,
        releases_root=base64.b64encode(releases.root).decode("ascii"),
        releases=releases.people,
    )
    mark_map_committed(session, index)
    return index


def publish_checkpoint(ctx: Context) -> PublishedCheckpoint:
    """Integrate every committed entry and sign a checkpoint of the new tree.

    Never signs two inconsistent checkpoints: the tree's root at the last checkpoint's size
    must still be that checkpoint's root, or nothing is signed. Publishing twice without new
    entries returns the same checkpoint.
    """
    keys = signer_keys(ctx.settings)
    with ctx.transaction() as session:
        # 0. Commit the accounting map's root, so the signed tree covers it.
        commit_map(ctx, session)
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


_LATEST = Prepared[int, bytes, str](
    _latest(LedgerCheckpoint.size, LedgerCheckpoint.root, LedgerCheckpoint.note)
)


def latest_checkpoint(ctx: Context) -> PublishedCheckpoint:
    """The latest checkpoint with its cosignatures (public; every monitor polls it)."""
    with ctx.reading() as session:
        row = _LATEST.first(session)
        if row is None:
            raise NotFoundError("no checkpoint has been published yet")
        size, root, note = row
        return PublishedCheckpoint(
            size=size, root=bytes(root), note=note_with_cosignatures(session, size, note)
        )
