"""A person's completeness proof, read from the stored accounting map and the log.

Pairs the person's map proof with the checkpoint whose last entry committed that map (the
publisher signs it in the same transaction as the commit), the commit entry's inclusion
proof, and the (index, leaf hash) of every accounting entry naming the person below it.
For each release the person's disclosures name, `release_lifecycles_in` reads the release's
lifecycle events below the same commit and its proof in the release map committed with it:
what proves each disclosure's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError
from custos.ledger import (
    LIFECYCLE_TAGS,
    PersonProof,
    TileStore,
    accounting_among,
    hash_leaf,
    inclusion_proofs,
    prove_person,
    prove_releases,
    release_of,
    subject_entries,
)
from custos.rights._completeness import Completeness
from custos.rights._release_status import ReleaseEvent, ReleaseLifecycle
from custos.store.core import run
from custos.store.ledger_tables import LedgerCheckpoint, LedgerCosignature
from custos.store.tables import LedgerEntry
from custos.workflow.context import Context
from custos.workflow.ledger.reads import proofs_in


@dataclass(frozen=True, kw_only=True)
class SignedCompleteness:
    """A completeness proof with the checkpoint note that signs it, and the inclusion proofs
    of other entries the caller asked for against the same checkpoint (those below its size),
    computed in the same pass over the tiles."""

    note: str
    completeness: Completeness
    proofs: dict[int, list[bytes]]


# Built once and run as Core on the session's connection: every person's page runs them.
# The signing checkpoint comes with its last entry (the map's commit) and its cosignature
# lines: a row per line, or one with no line (issue 18: the lines were a round trip of their
# own).
_SIGNING_CHECKPOINT = (
    select(LedgerCheckpoint.size, LedgerCheckpoint.note, LedgerEntry.body, LedgerCosignature.line)
    .join(LedgerEntry, LedgerEntry.idx == LedgerCheckpoint.size - 1)
    .outerjoin(LedgerCosignature, LedgerCosignature.checkpoint_size == LedgerCheckpoint.size)
    .where(LedgerCheckpoint.size == bindparam("size"))
    .order_by(LedgerCosignature.id)
)
_LEAVES = accounting_among(LedgerEntry.leaf_hash)
_LIFECYCLE_EVENTS = (
    select(LedgerEntry.idx, LedgerEntry.body)
    .where(LedgerEntry.tag.in_(LIFECYCLE_TAGS), LedgerEntry.idx < bindparam("commit"))
    .where(LedgerEntry.request_id.in_(bindparam("requests", expanding=True)))
    .order_by(LedgerEntry.idx)
)


def person_completeness(ctx: Context, subject_ref: str) -> tuple[str, Completeness] | None:
    """(checkpoint note, completeness) for a person; None while no signed checkpoint ends
    with the map's latest commit (before the first one, for instance)."""
    with ctx.reading() as session:
        return completeness_in(session, subject_ref)


def completeness_in(session: Session, subject_ref: str) -> tuple[str, Completeness] | None:
    """`person_completeness` in the caller's read-only session (the tile cache is shared:
    never in a writing transaction), so a person's page reads everything in one session."""
    signed = signed_completeness(session, subject_ref, prove_person(session, subject_ref))
    return None if signed is None else (signed.note, signed.completeness)


def signed_completeness(
    session: Session,
    subject_ref: str,
    found: PersonProof,
    *,
    filed: Sequence[tuple[int, bytes]] | None = None,
    prove: Sequence[int] = (),
) -> SignedCompleteness | None:
    """The completeness proof around the person's map proof `found`, in a read-only session.

    `filed` is the person's accounting entries (index, body) if the caller has read them
    already (the person's page has: reading them again cost two statements a read), and
    must have been read *after* `found`: every entry below the map's commit committed before
    the commit did, so a later read sees all of them, while an earlier one could miss some
    (the count check would then refuse a correct map). `prove` are indices whose inclusion
    proofs the caller wants at the same checkpoint: their tiles come in the same query.
    """
    commit = found.state.commit_index
    if commit is None:
        return None
    rows = run(session, _SIGNING_CHECKPOINT, {"size": commit + 1}).all()
    if not rows:
        # Committed outside a checkpoint's transaction (a benchmark, a repair): nothing
        # signs this map, so nothing is claimed until the next commit and checkpoint.
        return None
    row = rows[0]
    entries = _entries_below(session, subject_ref, commit, filed)
    if len(entries) != found.count:
        raise IntegrityError("the accounting map and the log disagree about a person")
    wanted = [commit, *sorted({i for i in prove if i < row.size})]
    proofs = inclusion_proofs(TileStore(session, shared_cache=True), wanted, row.size)
    return SignedCompleteness(
        note=row.note + "".join(r.line for r in rows if r.line is not None),
        completeness=Completeness(
            tree_size=row.size,
            commit_index=commit,
            commit_entry=bytes(row.body),
            commit_inclusion=tuple(proofs[0]),
            entries=entries,
            proof=found.proof,
        ),
        proofs=dict(zip(wanted[1:], proofs[1:], strict=True)),
    )


def _entries_below(
    session: Session, subject_ref: str, commit: int, filed: Sequence[tuple[int, bytes]] | None
) -> tuple[tuple[int, bytes], ...]:
    """(index, leaf hash) of the person's accounting entries below the map's commit."""
    if filed is not None:
        return tuple((idx, hash_leaf(body)) for idx, body in filed if idx < commit)
    below = subject_entries(session, subject_ref, below=commit)
    if not below:
        return ()
    rows = run(session, _LEAVES, {"among": below})
    return tuple((idx, bytes(leaf)) for idx, leaf in rows)


class MapMovedError(Exception):
    """A map commit landed while a person's accounting was being read (PostgreSQL readers
    see each statement's latest commit): read it again."""


def release_lifecycles_in(
    session: Session, releases: dict[str, set[str]], *, commit: int, tree_size: int
) -> tuple[ReleaseLifecycle, ...]:
    """For each release (id → the request ids its accounting entries name): its lifecycle
    events below the map commit at `commit`, each with its inclusion proof at `tree_size`,
    and its release map proof. Raises MapMovedError if the map moved past `commit`."""
    requests = sorted(set().union(*releases.values())) if releases else []
    found: dict[str, list[tuple[int, bytes]]] = {r: [] for r in releases}
    if requests:
        rows = run(session, _LIFECYCLE_EVENTS, {"commit": commit, "requests": requests})
        for idx, body in rows:
            named = release_of(idx, bytes(body))
            if named in found:
                found[named].append((idx, bytes(body)))
    indices = sorted(i for events in found.values() for i, _ in events)
    paths = dict(zip(indices, proofs_in(session, indices, tree_size), strict=True))
    proofs = prove_releases(session, sorted(found))
    out = []
    for release, events in sorted(found.items()):
        proven = proofs[release]
        if proven.state.commit_index != commit:
            raise MapMovedError(release)
        if proven.count != len(events):
            raise IntegrityError(f"the release map and the log disagree about release {release}")
        out.append(
            ReleaseLifecycle(
                release_id=release,
                events=tuple(
                    ReleaseEvent(index=i, entry=b, inclusion=tuple(paths[i])) for i, b in events
                ),
                proof=proven.proof,
            )
        )
    return tuple(out)
