"""The accounting map in the database: folding new accounting entries in, and proofs.

The map (`_map_buckets`) is derived data: `ledger_map_buckets` holds its 4096 buckets and
`ledger_map_state` the top tree and how far it reaches. `advance_map` folds the accounting entries
appended since into the buckets they touch, a batch of entries at a time, and rewrites only
those buckets and the top tree; it runs under the log's sequencing lock in the transaction
that commits the new root (`custos.workflow.ledger.checkpoints`), so several server processes
never fold the same entries twice. `prove_person` reads the top tree (cached per process
while the root stays the same) and at most two buckets.

Which entries belong to whom: an accounting entry (tag `release:accounting:entry`) names its
person in its data (`"subject"`, the keyed pseudonym); the server reads the same pseudonym
from the indexed `subject_ref` column. The auditor (`_map_audit`) reads it from the entry.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from custos.domain.events import EventTag
from custos.ledger._map import MapProof, map_key, value_hash
from custos.ledger._map_buckets import (
    Bucket,
    BucketMap,
    bucket_of,
    build_proof,
    digests,
    fold,
)
from custos.store.ledger_tables import LedgerMapBucket, LedgerMapState
from custos.store.tables import LedgerEntry

#: The entries the map counts: a person's accounting of disclosures.
ACCOUNTING_TAGS = (EventTag.RELEASE_ACCOUNTING_ENTRY.value,)
_BATCH = 1 << 17
#: Arbitrary constant naming the map's lock on PostgreSQL (appends and integration use others):
#: held to commit, so two publishers fold one after the other, even before the state row exists.
_PG_MAP_LOCK = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=0x637573746F75)


@dataclass(frozen=True, kw_only=True)
class MapState:
    """The map as committed: every accounting entry with index < `size` is in `root`."""

    size: int
    root: bytes
    people: int
    commit_index: int | None


@dataclass(frozen=True, kw_only=True)
class PersonProof:
    """A person's map proof and the value it proves (None: they have no entry)."""

    state: MapState
    proof: MapProof
    count: int
    value: bytes | None


def _row(session: Session, *, lock: bool = False) -> LedgerMapState | None:
    query = select(LedgerMapState).where(LedgerMapState.id == 1)
    if lock:  # the row as committed once the lock is ours, not as this session read it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def map_state(session: Session) -> MapState:
    """How far the map reaches (an empty map at size 0 before anything was folded)."""
    row = _row(session)
    if row is None:
        return MapState(size=0, root=BucketMap().root(), people=0, commit_index=None)
    return MapState(
        size=row.size, root=bytes(row.root), people=row.people, commit_index=row.commit_index
    )


def map_pending(session: Session, upto: int) -> bool:
    """Whether an accounting entry below `upto` is not yet in the map."""
    done = map_state(session).size
    return (
        session.scalar(
            select(LedgerEntry.idx)
            .where(LedgerEntry.idx >= done, LedgerEntry.idx < upto)
            .where(LedgerEntry.tag.in_(ACCOUNTING_TAGS))
            .limit(1)
        )
        is not None
    )


def _entries(session: Session, start: int, stop: int) -> Iterator[list[tuple[bytes, int, bytes]]]:
    """(key, index, leaf hash) of the accounting entries in [start, stop), in batches."""
    while start < stop:
        end = min(start + _BATCH, stop)
        rows = session.execute(
            select(LedgerEntry.subject_ref, LedgerEntry.idx, LedgerEntry.leaf_hash)
            .where(LedgerEntry.idx >= start, LedgerEntry.idx < end)
            .where(LedgerEntry.tag.in_(ACCOUNTING_TAGS))
            .order_by(LedgerEntry.idx)
        ).all()
        batch = []
        for ref, idx, leaf in rows:
            if not ref:
                raise ValueError(f"accounting entry {idx} names no person")
            batch.append((map_key(ref), idx, bytes(leaf)))
        yield batch
        start = end


def _load(session: Session, buckets: dict[int, Bucket], wanted: set[int]) -> None:
    missing = sorted(wanted - buckets.keys())
    for i in range(0, len(missing), 500):
        chunk = missing[i : i + 500]
        rows = session.execute(
            select(LedgerMapBucket.bucket, LedgerMapBucket.records).where(
                LedgerMapBucket.bucket.in_(chunk)
            )
        )
        found: dict[int, bytes] = {row[0]: row[1] for row in rows}
        for b in chunk:
            buckets[b] = Bucket.from_blob(bytes(found[b])) if b in found else Bucket()


def advance_map(session: Session, upto: int, *, now: Any) -> MapState:
    """Fold every accounting entry below `upto` into the map and store it; the new state.

    No entry below `upto` may still appear: the caller saw one at `upto - 1` (indices are
    taken under the sequencing lock, held to commit) or holds that lock (`lock_appends`);
    it records the commit entry with `mark_map_committed`. The map is locked (PostgreSQL:
    an advisory lock; SQLite: the write transaction), so two publishers fold one after the
    other; a call the other already passed changes nothing.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_MAP_LOCK)
    row = _row(session, lock=True)
    top = BucketMap.from_blobs(bytes(row.top_hashes), bytes(row.top_counts)) if row else BucketMap()
    start = row.size if row else 0
    if row is not None and upto <= start:  # another publisher got here first
        return map_state(session)
    buckets: dict[int, Bucket] = {}
    touched: set[int] = set()
    for batch in _entries(session, start, upto):
        _load(session, buckets, {(k[0] << 4) | (k[1] >> 4) for k, _, _ in batch})
        touched |= fold(buckets, batch)
    top.set_buckets(digests(buckets, touched))
    _store(session, buckets, touched)
    hashes, counts = top.blobs()
    if row is None:
        row = LedgerMapState(id=1, commit_index=None)
        session.add(row)
    row.size, row.root, row.people = upto, top.root(), top.people()
    row.top_hashes, row.top_counts, row.updated_at = hashes, counts, now
    session.flush()
    return map_state(session)


def _store(session: Session, buckets: dict[int, Bucket], touched: set[int]) -> None:
    ordered = sorted(touched)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        session.execute(delete(LedgerMapBucket).where(LedgerMapBucket.bucket.in_(chunk)))
        session.execute(
            insert(LedgerMapBucket),
            [
                {"bucket": b, "people": len(buckets[b]), "records": buckets[b].to_blob()}
                for b in chunk
            ],
        )


def mark_map_committed(session: Session, index: int) -> None:
    """Note the log index of the entry that committed the map's current root."""
    row = _row(session, lock=True)
    if row is None or row.size != index:
        raise ValueError("the commit entry must follow the entries the map covers")
    row.commit_index = index
    session.flush()


#: Per database engine, the last top tree read and the (size, root) it belongs to: a proof
#: walks 12 of its 8191 nodes, and reading and parsing all of them (320 KB) for every
#: person's page cost more than the rest of the map proof (issue 18). A top tree is a
#: function of its root, so an entry is right for as long as the map is at that root.
_tops: weakref.WeakKeyDictionary[Any, tuple[tuple[int, bytes], BucketMap]] = (
    weakref.WeakKeyDictionary()
)
_tops_lock = threading.Lock()


def _state_and_bucket(session: Session, bucket: int, *, top: bool) -> Any:
    """The map's state row and one bucket's records in one statement (with the top tree's
    blobs when `top`): both from the same snapshot. A row (size, root, people,
    commit_index, records[, top_hashes, top_counts]) or None."""
    records = select(LedgerMapBucket.records).where(LedgerMapBucket.bucket == bucket)
    columns: list[Any] = [
        LedgerMapState.size,
        LedgerMapState.root,
        LedgerMapState.people,
        LedgerMapState.commit_index,
        records.scalar_subquery(),
    ]
    if top:
        columns += [LedgerMapState.top_hashes, LedgerMapState.top_counts]
    return session.execute(select(*columns).where(LedgerMapState.id == 1)).first()


def prove_person(session: Session, pseudonym: str) -> PersonProof:
    """A person's map proof against the map's current root (membership or absence).

    Usually one statement: the state, the person's own bucket and, only when this process
    has not seen the map at that root yet, the top tree."""
    key = map_key(pseudonym)
    own = bucket_of(key)
    engine = session.get_bind().engine
    row = _state_and_bucket(session, own, top=False)
    with _tops_lock:
        cached = _tops.get(engine)
    if row is not None and (cached is None or cached[0] != (row.size, bytes(row.root))):
        row = _state_and_bucket(session, own, top=True)  # the map may have moved meanwhile
        if row is not None:
            cached = (
                (row.size, bytes(row.root)),
                BucketMap.from_blobs(bytes(row.top_hashes), bytes(row.top_counts)),
            )
            with _tops_lock:
                _tops[engine] = cached
    if row is None or cached is None:
        state, top, buckets = map_state(session), BucketMap(), {own: Bucket()}
    else:
        state = MapState(
            size=row.size, root=bytes(row.root), people=row.people, commit_index=row.commit_index
        )
        top = cached[1]
        buckets = {own: Bucket.from_blob(bytes(row[4])) if row[4] is not None else Bucket()}

    def load(bucket: int) -> Bucket:
        _load(session, buckets, {bucket})
        return buckets[bucket]

    proof = build_proof(top, key, load)
    found = buckets[own].find(key)
    return PersonProof(
        state=state,
        proof=proof,
        count=found[0] if found else 0,
        value=value_hash(*found) if found else None,
    )
