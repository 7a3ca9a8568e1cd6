"""The log's verifiable maps in the database: folding new entries in, and proofs.

Two maps, one construction (`_map_buckets`), committed together in each `ledger:map:commit`:

* the accounting map (`MapKind.PEOPLE`), keyed by a person's pseudonym, over the accounting
  entries naming them: "these are all N disclosures of your data";
* the release map (`MapKind.RELEASES`), keyed by a release id, over the release's lifecycle
  events (`RELEASE_LIFECYCLE_TAGS`: received, overdue, destroyed, recalled…): "these are all
  N events of this release", so the status a person is shown cannot rest on a hidden recall.
  One key per release: a release of a million people adds no work here.

Each map is derived data: `ledger_map_buckets` holds its 4096 buckets and `ledger_map_state`
its top tree and how far it reaches (one row per map). `advance_map` folds the entries
appended since into the buckets they touch, a batch of entries at a time, and rewrites only
those buckets and the top tree; it runs under the log's sequencing lock in the transaction
that commits the new roots (`custos.workflow.ledger.checkpoints`), so several server processes
never fold the same entries twice. A proof reads the top tree (cached per process while the
map's root stays the same) and at most two buckets per key.

Which entries belong to whom: an accounting entry (tag `release:accounting:entry`) names its
person in its data (`"subject"`, the keyed pseudonym); the server reads the same pseudonym
from the indexed `subject_ref` column. A lifecycle event names its release in its data
(`"release"`), read from the entry itself (there are few). The auditor (`_map_audit`) reads
both from the entries.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from custos.domain.events import RELEASE_KEY, RELEASE_LIFECYCLE_TAGS, EventTag
from custos.ledger._map import MapProof, map_key, value_hash
from custos.ledger._map_buckets import (
    Bucket,
    BucketMap,
    bucket_of,
    build_proof,
    digests,
    fold,
    proof_bucket,
)
from custos.ledger._tiles import filed_under_subject
from custos.store.core import Prepared, one_of
from custos.store.ledger_tables import LedgerMapBucket, LedgerMapState
from custos.store.tables import LedgerEntry

#: The entries the map counts: a person's accounting of disclosures.
ACCOUNTING_TAGS = (EventTag.RELEASE_ACCOUNTING_ENTRY.value,)
#: The entries the release map counts: what happens to a release's copy after it is built.
LIFECYCLE_TAGS = tuple(t.value for t in RELEASE_LIFECYCLE_TAGS)
_BATCH = 1 << 17
#: Arbitrary constant naming the map's lock on PostgreSQL (appends and integration use others):
#: held to commit, so two publishers fold one after the other, even before the state row exists.
_PG_MAP_LOCK = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=0x637573746F75)


def accounting_among(column: Any) -> Select[int, bytes]:
    """(index, `column`) of the accounting entries among the indexes bound as "among", in log
    order: a person's entries as the subject index found them, kept only if they are entries
    the map counts. Their bodies make the person's page; their leaf hashes, the completeness
    proof. Built once by each, so both read the same rows."""
    return (
        select(LedgerEntry.idx, column)
        .where(
            LedgerEntry.idx.in_(bindparam("among", expanding=True)),
            LedgerEntry.tag.in_(ACCOUNTING_TAGS),
        )
        .order_by(LedgerEntry.idx)
    )


def subject_accounting(column: Any) -> Select[int, bytes]:
    """(index, `column`) of the accounting entries filed under the person bound as "ref", in
    log order: `subject_entries` and `accounting_among` as one statement.

    A round trip less on every person's page, and a statement whose text does not change
    with the number of the person's entries, so PostgreSQL plans it once per connection
    (issue 18); its tags are `one_of`, so it can be `Prepared`. The outer read is aliased:
    the subquery reads the log too, and must not be correlated with it.
    """
    entry = LedgerEntry.__table__.alias("entry")
    return (
        select(entry.c.idx, entry.c[column.key])
        .where(entry.c.idx.in_(filed_under_subject()), one_of(entry.c.tag, ACCOUNTING_TAGS))
        .order_by(entry.c.idx)
    )


class MapKind(IntEnum):
    """Which map: its row id in `ledger_map_state` and its `map` in `ledger_map_buckets`."""

    PEOPLE = 1
    RELEASES = 2

    @property
    def tags(self) -> tuple[str, ...]:
        return ACCOUNTING_TAGS if self is MapKind.PEOPLE else LIFECYCLE_TAGS


@dataclass(frozen=True, kw_only=True)
class MapState:
    """The map as committed: every entry it counts with index < `size` is in `root`;
    `people` is its number of keys (people, or releases)."""

    size: int
    root: bytes
    people: int
    commit_index: int | None


@dataclass(frozen=True, kw_only=True)
class PersonProof:
    """A key's map proof and the value it proves (None: it has no entry); for a person
    (accounting map) or a release (release map)."""

    state: MapState
    proof: MapProof
    count: int
    value: bytes | None


def _row(
    session: Session, kind: MapKind = MapKind.PEOPLE, *, lock: bool = False
) -> LedgerMapState | None:
    query = select(LedgerMapState).where(LedgerMapState.id == int(kind))
    if lock:  # the row as committed once the lock is ours, not as this session read it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def map_state(session: Session, kind: MapKind = MapKind.PEOPLE) -> MapState:
    """How far the map reaches (an empty map at size 0 before anything was folded)."""
    row = _row(session, kind)
    if row is None:
        return MapState(size=0, root=BucketMap().root(), people=0, commit_index=None)
    return MapState(
        size=row.size, root=bytes(row.root), people=row.people, commit_index=row.commit_index
    )


def map_pending(session: Session, upto: int) -> bool:
    """Whether an entry below `upto` that a map counts is not yet in it."""
    for kind in MapKind:
        done = map_state(session, kind).size
        found = session.scalar(
            select(LedgerEntry.idx)
            .where(LedgerEntry.idx >= done, LedgerEntry.idx < upto)
            .where(LedgerEntry.tag.in_(kind.tags))
            .limit(1)
        )
        if found is not None:
            return True
    return False


def release_of(index: int, body: bytes) -> str:
    """The release a lifecycle event names in its hashed data (`data.release`)."""
    try:
        release = json.loads(body)["data"][RELEASE_KEY]
    except (ValueError, KeyError, TypeError):
        release = None
    if not isinstance(release, str) or not release:
        raise ValueError(f"release event {index} names no release")
    return release


def _keys(kind: MapKind, rows: Iterable[Any]) -> Iterator[tuple[bytes, int, bytes]]:
    for found, idx, leaf in rows:
        named = release_of(idx, bytes(found)) if kind is MapKind.RELEASES else found
        if not named:
            raise ValueError(f"accounting entry {idx} names no person")
        yield map_key(named), idx, bytes(leaf)


def _entries(
    session: Session, kind: MapKind, start: int, stop: int
) -> Iterator[list[tuple[bytes, int, bytes]]]:
    """(key, index, leaf hash) of the entries the map counts in [start, stop), in batches."""
    named = LedgerEntry.subject_ref if kind is MapKind.PEOPLE else LedgerEntry.body
    while start < stop:
        end = min(start + _BATCH, stop)
        rows = session.execute(
            select(named, LedgerEntry.idx, LedgerEntry.leaf_hash)
            .where(LedgerEntry.idx >= start, LedgerEntry.idx < end)
            .where(LedgerEntry.tag.in_(kind.tags))
            .order_by(LedgerEntry.idx)
        ).all()
        yield list(_keys(kind, rows))
        start = end


def _load(session: Session, kind: MapKind, buckets: dict[int, Bucket], wanted: set[int]) -> None:
    missing = sorted(wanted - buckets.keys())
    for i in range(0, len(missing), 500):
        chunk = missing[i : i + 500]
        rows = session.execute(
            select(LedgerMapBucket.bucket, LedgerMapBucket.records, LedgerMapBucket.subtrees).where(
                LedgerMapBucket.map == int(kind), LedgerMapBucket.bucket.in_(chunk)
            )
        )
        found: dict[int, tuple[bytes, bytes]] = {row[0]: (row[1], row[2]) for row in rows}
        for b in chunk:
            buckets[b] = Bucket.from_blob(*map(bytes, found[b])) if b in found else Bucket()


def advance_map(
    session: Session, upto: int, *, now: Any, kind: MapKind = MapKind.PEOPLE
) -> MapState:
    """Fold every entry the map counts below `upto` into the map and store it; the new state.

    No entry below `upto` may still appear: the caller saw one at `upto - 1` (indices are
    taken under the sequencing lock, held to commit) or holds that lock (`lock_appends`);
    it records the commit entry with `mark_map_committed`. The map is locked (PostgreSQL:
    an advisory lock; SQLite: the write transaction), so two publishers fold one after the
    other; a call the other already passed changes nothing. Only the buckets touched and,
    when any was, the top tree are rewritten.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_MAP_LOCK)
    row = _row(session, kind, lock=True)
    top = BucketMap.from_blobs(bytes(row.top_hashes), bytes(row.top_counts)) if row else BucketMap()
    start = row.size if row else 0
    if row is not None and upto <= start:  # another publisher got here first
        return map_state(session, kind)
    buckets: dict[int, Bucket] = {}
    touched: set[int] = set()
    for batch in _entries(session, kind, start, upto):
        _load(session, kind, buckets, {(k[0] << 4) | (k[1] >> 4) for k, _, _ in batch})
        touched |= fold(buckets, batch)
    if touched or row is None:
        top.set_buckets(digests(buckets, touched))
        _store(session, kind, buckets, touched)
        if row is None:
            row = LedgerMapState(id=int(kind), commit_index=None)
            session.add(row)
        row.top_hashes, row.top_counts = top.blobs()
        row.root, row.people = top.root(), top.people()
    row.size, row.updated_at = upto, now
    session.flush()
    return map_state(session, kind)


def _store(session: Session, kind: MapKind, buckets: dict[int, Bucket], touched: set[int]) -> None:
    ordered = sorted(touched)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        session.execute(
            delete(LedgerMapBucket).where(
                LedgerMapBucket.map == int(kind), LedgerMapBucket.bucket.in_(chunk)
            )
        )
        session.execute(
            insert(LedgerMapBucket),
            [
                {
                    "map": int(kind),
                    "bucket": b,
                    "people": len(buckets[b]),
                    "records": buckets[b].to_blob(),
                    "subtrees": buckets[b].subtrees_blob(),
                }
                for b in chunk
            ],
        )


def mark_map_committed(session: Session, index: int) -> None:
    """Note the log index of the entry that committed the maps' current roots."""
    for kind in MapKind:
        row = _row(session, kind, lock=True)
        if row is None or row.size != index:
            raise ValueError("the commit entry must follow the entries the maps cover")
        row.commit_index = index
    session.flush()


#: Per database engine and map, the last top tree read and the (size, root) it belongs to: a
#: proof walks 12 of its 8191 nodes, and reading and parsing all of them (320 KB) for every
#: person's page cost more than the rest of the map proof (issue 18). A top tree is a
#: function of its root, so an entry is right for as long as the map is at that root.
_tops: weakref.WeakKeyDictionary[Any, dict[MapKind, tuple[tuple[int, bytes], BucketMap]]] = (
    weakref.WeakKeyDictionary()
)
_tops_lock = threading.Lock()


class _StateRow(NamedTuple):
    size: int
    root: bytes
    people: int
    commit_index: int | None
    records: bytes | None
    subtrees: bytes | None
    top_hashes: bytes | None = None
    top_counts: bytes | None = None


def _state_and_bucket_statement(*, top: bool) -> Select[Any]:
    """The map's state row and one bucket's records in one statement (with the top tree's
    blobs when `top`): both from the same snapshot. Built once per shape and run on the
    driver's cursor (`Prepared`: on PostgreSQL its blobs come back binary, not as hex)."""
    columns: list[Any] = [
        LedgerMapState.size,
        LedgerMapState.root,
        LedgerMapState.people,
        LedgerMapState.commit_index,
        LedgerMapBucket.records,
        LedgerMapBucket.subtrees,
    ]
    if top:
        columns += [LedgerMapState.top_hashes, LedgerMapState.top_counts]
    bucket = and_(
        LedgerMapBucket.map == LedgerMapState.id, LedgerMapBucket.bucket == bindparam("bucket")
    )
    return (
        select(*columns)
        .select_from(LedgerMapState)
        .outerjoin(LedgerMapBucket, bucket)
        .where(LedgerMapState.id == bindparam("map", type_=LedgerMapState.id.type))
    )


_STATE_AND_BUCKET = {
    False: Prepared(_state_and_bucket_statement(top=False)),
    True: Prepared(_state_and_bucket_statement(top=True)),
}


def _state_and_bucket(
    session: Session, kind: MapKind, bucket: int, *, top: bool
) -> _StateRow | None:
    """The map's state with one bucket (and the top tree's blobs when `top`), or None."""
    row = _STATE_AND_BUCKET[top].first(session, {"map": int(kind), "bucket": bucket})
    if row is None:
        return None
    return _StateRow._make(row if top else (*row, None, None))


def _snapshot(
    session: Session, kind: MapKind, bucket: int
) -> tuple[MapState, BucketMap, dict[int, Bucket]]:
    """The map's state, its top tree and one bucket, usually in one statement: the top tree
    is read only when this process has not seen the map at that root yet."""
    engine = session.get_bind().engine
    row = _state_and_bucket(session, kind, bucket, top=False)
    with _tops_lock:
        cached = _tops.get(engine, {}).get(kind)
    if row is not None and (cached is None or cached[0] != (row.size, bytes(row.root))):
        row = _state_and_bucket(session, kind, bucket, top=True)  # the map may have moved
        if row is not None:
            cached = (
                (row.size, bytes(row.root)),
                BucketMap.from_blobs(bytes(row.top_hashes or b""), bytes(row.top_counts or b"")),
            )
            with _tops_lock:
                _tops.setdefault(engine, {})[kind] = cached
    if row is None or cached is None:
        return map_state(session, kind), BucketMap(), {bucket: Bucket()}
    state = MapState(
        size=row.size, root=bytes(row.root), people=row.people, commit_index=row.commit_index
    )
    found = Bucket()
    if row.records:  # a bucket row holds both blobs
        found = Bucket.from_blob(bytes(row.records), bytes(row.subtrees or b""))
    return state, cached[1], {bucket: found}


def prove_keys(session: Session, kind: MapKind, names: list[str]) -> dict[str, PersonProof]:
    """Each key's map proof against the map's current root (membership or absence), all
    from one snapshot of the map's state, loading at most two buckets per key."""
    if not names:
        return {}
    keys = {name: map_key(name) for name in names}
    state, top, buckets = _snapshot(session, kind, bucket_of(keys[names[0]]))
    # Every bucket the proofs need, in one statement: loaded one key at a time, they cost a
    # person's page a statement per release it shows (issue 18).
    needed = {proof_bucket(top, key) for key in keys.values()}
    _load(session, kind, buckets, {b for b in needed if b is not None})

    def load(bucket: int) -> Bucket:
        _load(session, kind, buckets, {bucket})
        return buckets[bucket]

    out = {}
    for name in names:
        key = keys[name]
        proof = build_proof(top, key, load)
        own = bucket_of(key)
        found = buckets[own].find(key) if own in buckets else None
        out[name] = PersonProof(
            state=state,
            proof=proof,
            count=found[0] if found else 0,
            value=value_hash(*found) if found else None,
        )
    return out


def prove_person(session: Session, pseudonym: str) -> PersonProof:
    """A person's accounting map proof against the map's current root."""
    return prove_keys(session, MapKind.PEOPLE, [pseudonym])[pseudonym]


def prove_releases(session: Session, release_ids: list[str]) -> dict[str, PersonProof]:
    """Releases' release map proofs against the map's current root."""
    return prove_keys(session, MapKind.RELEASES, release_ids)
