"""Reading the log: proofs, leaf hashes and tiles for the public; entries for auditors.

Who may see what:

- the public: checkpoints, consistency proofs, inclusion proofs (by index or by leaf hash,
  never the entry), leaf hashes and C2SP hash tiles — hashes only, no entry content;
- auditors (`audit:read`): full entries with inclusion proofs, and C2SP entry bundles —
  entries carry pseudonyms and request details, so they are never public;
- a person: their own entries (by pseudonym) with inclusion proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError, InvalidInputError, NotFoundError
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.ledger import (
    HASH_SIZE,
    TileRef,
    TileStore,
    consistency_proof,
    encode_bundle,
    inclusion_proof,
    inclusion_proofs,
    leaf_index,
    subject_entries,
    tile_covers,
    tree_state,
)
from custos.store.tables import LedgerEntry
from custos.workflow.context import Context
from custos.workflow.ledger.checkpoints import latest_row

#: Most items one public or auditor read returns.
MAX_PAGE = 1000


def integrated_size(session: Session) -> int:
    """How many entries the stored tree holds (signed or not yet)."""
    return tree_state(session)[0]


def signed_size(session: Session) -> int:
    """The size of the latest published checkpoint; `NotFoundError` before the first."""
    row = latest_row(session)
    if row is None:
        raise NotFoundError("no checkpoint has been published yet")
    return row.size


def check_size(session: Session, tree_size: int | None) -> int:
    """`tree_size`, checked against the integrated tree; the latest checkpoint's by default."""
    if tree_size is None:
        return signed_size(session)
    size = integrated_size(session)
    if not 0 < tree_size <= size:
        raise InvalidInputError(f"tree size must be between 1 and {size}")
    return tree_size


def consistency(ctx: Context, first: int, second: int) -> list[bytes]:
    """A consistency proof between two tree sizes (public, RFC 9162 §2.1.4.1)."""
    with ctx.reading() as session:
        size = integrated_size(session)
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
class InclusionProof:
    """An inclusion proof with no entry content: what the public may have."""

    index: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]


def inclusion(
    ctx: Context,
    *,
    index: int | None = None,
    leaf_hash: bytes | None = None,
    tree_size: int | None = None,
) -> InclusionProof:
    """The inclusion proof of one entry, by its index or its leaf hash (public, RFC 9162
    §2.1.3.1), against `tree_size` (the latest checkpoint's by default).

    By leaf hash, the first entry with that hash is proven (identical entries hash alike).
    """
    if (index is None) == (leaf_hash is None):
        raise InvalidInputError("give either an index or a leaf hash")
    if leaf_hash is not None and len(leaf_hash) != HASH_SIZE:
        raise InvalidInputError("a leaf hash is 32 bytes")
    with ctx.reading() as session:
        size = check_size(session, tree_size)
        if leaf_hash is not None:
            index = leaf_index(session, leaf_hash, size)
        if index is None or not 0 <= index < size:
            raise NotFoundError("no such entry in that tree")
        stored = session.scalar(select(LedgerEntry.leaf_hash).where(LedgerEntry.idx == index))
        if stored is None:  # pragma: no cover - every index below the size has its entry
            raise NotFoundError("no such entry in that tree")
        store = TileStore(session, shared_cache=True)
        return InclusionProof(
            index=index,
            tree_size=size,
            leaf_hash=bytes(stored),
            proof=inclusion_proof(store, index, size),
        )


def proofs_in(session: Session, indices: Sequence[int], tree_size: int) -> list[list[bytes]]:
    """Inclusion proofs of several entries against a signed tree size, in the caller's
    read-only session (the tile cache is shared: never call it in a writing transaction).

    A person's accounting reads its entries, the checkpoint and the proofs in one session:
    on a busy database every extra session costs its round trips (issue 18).
    """
    return inclusion_proofs(TileStore(session, shared_cache=True), indices, tree_size)


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
    # Every proof from one lookup of the tiles they need (one query for the cold ones).
    proofs = inclusion_proofs(store, [row.idx for row in rows], tree_size)
    return [
        ProvenEntry(
            index=row.idx,
            tag=row.tag,
            body=bytes(row.body),
            leaf_hash=bytes(row.leaf_hash),
            tree_size=tree_size,
            proof=proof,
        )
        for row, proof in zip(rows, proofs, strict=True)
    ]


def entries(
    ctx: Context, start: int, count: int, tree_size: int | None = None
) -> list[ProvenEntry]:
    """Full entries with inclusion proofs against a checkpoint's tree size.

    Without `tree_size`, proofs are against the latest published checkpoint. Callers check
    who may read them (`entries_as` for staff).
    """
    if start < 0 or not 0 < count <= MAX_PAGE:
        raise InvalidInputError(f"start must be ≥ 0 and count between 1 and {MAX_PAGE}")
    with ctx.reading() as session:
        size = check_size(session, tree_size)
        rows = list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.idx >= start, LedgerEntry.idx < min(start + count, size))
                .order_by(LedgerEntry.idx)
            )
        )
        return _prove(session, rows, size)


def entries_as(
    ctx: Context, *, actor: StaffPrincipal, start: int, count: int, tree_size: int | None = None
) -> list[ProvenEntry]:
    """`entries` for a member of staff who may read the audit trail (auditors)."""
    require(actor, Action.AUDIT_READ)
    return entries(ctx, start, count, tree_size)


def entry_as(
    ctx: Context, *, actor: StaffPrincipal, index: int, tree_size: int | None = None
) -> ProvenEntry:
    """One entry with its inclusion proof (auditors); `NotFoundError` outside the tree."""
    require(actor, Action.AUDIT_READ)
    found = entries(ctx, index, 1, tree_size) if index >= 0 else []
    if not found:
        raise NotFoundError("no such entry in that tree")
    return found[0]


def entries_for_subject(
    ctx: Context, subject_ref: str, tree_size: int | None = None
) -> list[ProvenEntry]:
    """A person's own entries (by their pseudonym) with inclusion proofs.

    Only entries the given checkpoint covers are returned; later ones appear once the next
    checkpoint is published.
    """
    with ctx.reading() as session:
        size = check_size(session, tree_size)
        found = subject_entries(session, subject_ref, below=size)[: 10 * MAX_PAGE]
        rows = list(
            session.scalars(
                select(LedgerEntry).where(LedgerEntry.idx.in_(found)).order_by(LedgerEntry.idx)
            )
        )
        return _prove(session, rows, size)


# --- C2SP tlog-tiles ---------------------------------------------------------------------------


def hash_tile(ctx: Context, ref: TileRef) -> bytes:
    """A C2SP hash tile within the latest checkpoint (public); `NotFoundError` beyond it.

    Partial tiles of any width up to the checkpoint's are served, so every earlier
    checkpoint's partial tiles stay available (a prefix of the stored tile's bottom row).
    """
    if ref.level is None:
        raise NotFoundError("not a hash tile")
    with ctx.reading() as session:
        if not tile_covers(ref, signed_size(session)):
            raise NotFoundError("no such tile in the published log")
        try:
            return TileStore(session, shared_cache=True).bottom_row(ref.level, ref.index, ref.width)
        except KeyError:  # pragma: no cover - a signed size is always integrated
            raise NotFoundError("no such tile in the published log") from None


def entry_bundle_as(ctx: Context, *, actor: StaffPrincipal, ref: TileRef) -> bytes:
    """A C2SP entry bundle within the latest checkpoint (auditors: entries are not public)."""
    require(actor, Action.AUDIT_READ)
    if ref.level is not None:
        raise NotFoundError("not an entry bundle")
    with ctx.reading() as session:
        if not tile_covers(ref, signed_size(session)):
            raise NotFoundError("no such entry bundle in the published log")
        start = ref.index * 256
        bodies = session.scalars(
            select(LedgerEntry.body)
            .where(LedgerEntry.idx >= start, LedgerEntry.idx < start + ref.width)
            .order_by(LedgerEntry.idx)
        ).all()
        try:
            return encode_bundle([bytes(b) for b in bodies])
        except ValueError as exc:  # an entry over 64 KiB: the format cannot carry it
            raise IntegrityError(f"entry bundle {ref.index}: {exc}") from None
