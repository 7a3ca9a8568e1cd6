"""Stored tiles of perfect-node hashes, and integrating new entries into them.

A tile covers 8 tree levels (C2SP tlog-tiles' height); unlike a C2SP tile, which keeps only its
bottom row, ours keeps all 8 rows (511 hashes at most, 16 KiB), so any perfect node is a slice
of one stored tile and a proof at 10M entries needs at most two tiles per tile level
(≤ 6 tiles), fetched in one query. Row 0 of a C2SP tile is a prefix of our blob.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, func, insert, select, text, union_all, update
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError
from custos.ledger._merkle import EMPTY_ROOT, HASH_SIZE, Node, root_hash
from custos.ledger._tlog import TILE_HEIGHT, TILE_WIDTH
from custos.store.core import driver_rows, run
from custos.store.ledger_tables import (
    LedgerLeafIndex,
    LedgerSubjectIndex,
    LedgerTile,
    LedgerTree,
)
from custos.store.tables import LedgerEntry

#: Arbitrary constant naming the integration lock on PostgreSQL (appends use another one).
_PG_INTEGRATE_LOCK = 0x637573746F74

_sha256 = hashlib.sha256


def tile_rows(row0: list[bytes]) -> list[list[bytes]]:
    """All 8 rows of a tile from its bottom row; row r holds width >> r complete nodes."""
    rows = [row0]
    for _ in range(TILE_HEIGHT - 1):
        below = rows[-1]
        pairs = iter(below[: len(below) & ~1])
        rows.append([_sha256(b"\x01" + a + b).digest() for a, b in zip(pairs, pairs, strict=True)])
    return rows


#: Where each row starts in a stored tile, in hashes, by width then row: a proof reads a
#: hundred nodes, and summing the rows below each one was a tenth of its time.
_ROW_OFFSETS = tuple(
    tuple(sum(width >> r for r in range(row)) for row in range(TILE_HEIGHT))
    for width in range(TILE_WIDTH + 1)
)


def tile_node(blob: bytes, width: int, row: int, pos: int) -> bytes:
    """The hash at `pos` of `row` in a stored tile; `KeyError` when not complete yet."""
    if pos >= width >> row:
        raise KeyError((row, pos))
    start = (_ROW_OFFSETS[width][row] + pos) * HASH_SIZE
    return blob[start : start + HASH_SIZE]


def node_tile(node: Node) -> tuple[int, int, int, int]:
    """Where a perfect node lives: (tile level, tile index, row, position in row)."""
    level, index = node
    tile_level, row = divmod(level, TILE_HEIGHT)
    per_tile = TILE_WIDTH >> row
    return tile_level, index // per_tile, row, index % per_tile


class _TileCache:
    """Tiles as committed, by (level, index): an LRU per database engine, of (width, blob).

    A stored node never changes once complete, so a process may keep any committed tile: a
    full one serves every proof, a partial one (the log's right edge) every proof whose nodes
    in it are below its width — every read at the same checkpoint, which without it fetched
    the right edge's tiles again on every person's page (issue 18)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._data: OrderedDict[tuple[int, int], tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> tuple[int, bytes] | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple[int, int], width: int, blob: bytes) -> None:
        with self._lock:
            known = self._data.get(key)
            if known is None or known[0] < width:
                self._data[key] = (width, blob)
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)


#: One cache per engine, forgotten with it: keyed by `id(engine)`, a new engine given a
#: dead one's address would have read the dead one's tiles (another database's log).
_caches: weakref.WeakKeyDictionary[Any, _TileCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_for(session: Session) -> _TileCache:
    engine = session.get_bind().engine  # a reading session is bound to a fresh Connection
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _TileCache()
        return cache


#: Select one tile by its key (level, index); indexed by "the driver uses ? placeholders".
_TILE_SQL = {
    True: "SELECT level, idx, width, hashes FROM ledger_tiles WHERE level = ? AND idx = ?",
    False: "SELECT level, idx, width, hashes FROM ledger_tiles WHERE level = %s AND idx = %s",
}


#: Up to this many missing tiles are looked up one by one (a warm proof's usual miss).
_ONE_BY_ONE = 2


def _tiles_query(keys: list[tuple[int, int]], *, qmark: bool) -> tuple[str, tuple[int, ...]]:
    """One SELECT of several tiles by key: per tile level, its indices in one IN list."""
    mark = "?" if qmark else "%s"
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, []).append(index)
    clauses = [
        f"(level = {mark} AND idx IN ({', '.join([mark] * len(indices))}))"
        for indices in by_level.values()
    ]
    params = tuple(v for level, indices in by_level.items() for v in (level, *indices))
    sql = "SELECT level, idx, width, hashes FROM ledger_tiles WHERE " + " OR ".join(clauses)  # noqa: S608  # nosec B608  (placeholders only)
    return sql, params


#: Insert (prefix, idx) rows into `ledger_leaf_index`; indexed as `_TILE_SQL` is.
_LEAF_INDEX_SQL = {
    True: "INSERT INTO ledger_leaf_index (prefix, idx) VALUES (?, ?)",
    False: "INSERT INTO ledger_leaf_index (prefix, idx) VALUES (%s, %s)",
}
#: On PostgreSQL, all of a batch's rows in one statement, as two arrays: one row per
#: statement (even pipelined) was most of an integration's time (17.6 of 27.7 s for 200,000
#: entries, issue 18). SQLite has no round trips to save.
_LEAF_INDEX_PG = (
    "INSERT INTO ledger_leaf_index (prefix, idx) SELECT * FROM unnest(%s::bigint[], %s::bigint[])"
)


def _index_leaves(session: Session, rows: list[tuple[int, int]]) -> None:
    """File (prefix, index) rows, in key order, in `ledger_leaf_index`."""
    connection = session.connection()  # through the driver: this runs per entry
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            _LEAF_INDEX_PG, ([prefix for prefix, _ in rows], [idx for _, idx in rows])
        )
    else:
        connection.exec_driver_sql(_LEAF_INDEX_SQL[connection.dialect.paramstyle == "qmark"], rows)


class TileStore:
    """A `NodeSource` over the `ledger_tiles` table, as seen by one session.

    `shared_cache=True` lets the store keep the tiles it reads in a per-process cache; use it
    only in sessions that do not write (a tile read back inside a writing transaction might
    be rolled back).
    """

    def __init__(self, session: Session, *, shared_cache: bool = False) -> None:
        self.session = session
        self._local: dict[tuple[int, int], tuple[int, bytes]] = {}
        self._shared = _cache_for(session) if shared_cache else None

    def remember(self, tile_level: int, index: int, width: int, blob: bytes) -> None:
        self._local[(tile_level, index)] = (width, blob)

    def _fetch(self, need: dict[tuple[int, int], int]) -> None:
        """Have every tile of `need` (key -> the least width that serves) in `_local`."""
        missing = set()
        for key, least in need.items():
            local = self._local.get(key)
            if local is not None and local[0] >= least:
                continue
            if self._shared is not None:
                found = self._shared.get(key)
                if found is not None and found[0] >= least:
                    self._local[key] = found
                    continue
            missing.add(key)
        if not missing:
            return
        # Through the driver, not an SQL expression: a proof misses one or two tiles once
        # the cache is warm, and building an expression would cost more than the lookups.
        # Several missing tiles (a person's entries, proved together) come in one query:
        # on a loaded database each round trip costs more than the whole proof.
        connection = self.session.connection()
        qmark = connection.dialect.paramstyle == "qmark"
        wanted = sorted(missing)
        if len(wanted) <= _ONE_BY_ONE:
            sql = _TILE_SQL[qmark]
            rows = [row for key in wanted for row in driver_rows(connection, sql, key)]
        else:
            rows = driver_rows(connection, *_tiles_query(wanted, qmark=qmark))
        for lv, ix, width, blob in rows:
            self._local[(lv, ix)] = (width, bytes(blob))
            if self._shared is not None:
                self._shared.put((lv, ix), width, bytes(blob))

    def tile(self, tile_level: int, index: int, least: int = 1) -> tuple[int, bytes]:
        """A stored tile: (width, blob of all its rows), at least `least` wide if it is
        stored so; `KeyError` when not stored."""
        self._fetch({(tile_level, index): least})
        found = self._local.get((tile_level, index))
        if found is None:
            raise KeyError((tile_level, index))
        return found

    def bottom_row(self, tile_level: int, index: int, width: int) -> bytes:
        """The first `width` hashes of a tile's bottom row: the C2SP tile `tile/<L>/<N>` (or
        its `.p/<W>` partial form). `KeyError` when the stored tile is narrower."""
        stored, blob = self.tile(tile_level, index, width)
        if stored < width:
            raise KeyError((tile_level, index, width))
        return blob[: width * HASH_SIZE]

    def nodes(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        located = {node: node_tile(node) for node in wanted}
        need: dict[tuple[int, int], int] = {}
        for tile_level, index, row, pos in located.values():  # node (row, pos) is complete
            least = (pos + 1) << row  # in a tile at least this wide
            if need.get((tile_level, index), 0) < least:
                need[(tile_level, index)] = least
        self._fetch(need)
        out: dict[Node, bytes] = {}
        for node, (tile_level, index, row, pos) in located.items():
            found = self._local.get((tile_level, index))
            if found is None:
                raise KeyError(node)
            width, blob = found
            out[node] = tile_node(blob, width, row, pos)
        return out


def tree_state(session: Session) -> tuple[int, bytes]:
    """The integrated tree size and its root (0 and MTH({}) before the first integration)."""
    row = session.get(LedgerTree, 1)
    if row is None:
        return 0, EMPTY_ROOT
    return row.size, bytes(row.root)


def integrate(session: Session, *, now: Any, limit: int = 1 << 18) -> tuple[int, bytes]:
    """Fold committed entries beyond the integrated size into the tiles; returns (size, root).

    Runs inside the caller's transaction, at most `limit` entries at a time (call again until
    the size stops growing). Entries are read in index order and must be contiguous: the
    append lock guarantees that an entry becomes visible only after every earlier one.
    """
    # 1. Serialize integrators (PostgreSQL; SQLite writers are already serialized).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INTEGRATE_LOCK})
    # 2. Read the state and the next committed leaf hashes.
    state = session.get(LedgerTree, 1)
    size = 0 if state is None else state.size
    rows = session.execute(
        select(LedgerEntry.idx, LedgerEntry.leaf_hash)
        .where(LedgerEntry.idx >= size)
        .order_by(LedgerEntry.idx)
        .limit(limit)
    ).all()
    if not rows:
        return size, EMPTY_ROOT if state is None else bytes(state.root)
    if rows[0][0] != size or rows[-1][0] != size + len(rows) - 1:
        raise IntegrityError(f"the log has a gap after entry {size - 1}")
    hashes = [bytes(r[1]) for r in rows]
    # 3. Level by level: extend the partial tile, add new tiles, and pass the roots of tiles
    #    that became full up to the next tile level.
    store = TileStore(session)
    tile_level, start = 0, size
    while hashes:
        hashes = _integrate_level(session, store, tile_level, start, hashes)
        tile_level, start = tile_level + 1, start // TILE_WIDTH
    # 4. Index the new leaf hashes; the new root, from the tiles just written; the state.
    _index_leaves(
        session, sorted((leaf_prefix(bytes(h)), size + i) for i, (_, h) in enumerate(rows))
    )
    new_size = size + len(rows)
    # 5. File the new entries about a person by person, in key order, in one statement.
    session.execute(
        insert(LedgerSubjectIndex).from_select(
            ["subject_ref", "idx"],
            select(LedgerEntry.subject_ref, LedgerEntry.idx)
            .where(
                LedgerEntry.idx >= size,
                LedgerEntry.idx < new_size,
                LedgerEntry.subject_ref.is_not(None),
            )
            .order_by(LedgerEntry.subject_ref, LedgerEntry.idx),
        )
    )
    root = root_hash(store, new_size)
    if state is None:
        session.add(LedgerTree(id=1, size=new_size, root=root, updated_at=now))
    else:
        state.size, state.root, state.updated_at = new_size, root, now
    session.flush()
    return new_size, root


def _integrate_level(
    session: Session, store: TileStore, tile_level: int, start: int, hashes: list[bytes]
) -> list[bytes]:
    """Add `hashes` (nodes at tile level `tile_level`, from position `start` on) to the
    tiles; returns the roots of the tiles that became full, for the level above."""
    first, have = divmod(start, TILE_WIDTH)
    prefix: list[bytes] = []
    if have:
        width, blob = store.tile(tile_level, first)
        if width != have:
            raise IntegrityError(f"tile {tile_level}/{first} has width {width}, not {have}")
        prefix = [blob[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(have)]
    combined = prefix + hashes
    promoted: list[bytes] = []
    new_tiles: list[dict[str, Any]] = []
    for n, pos in enumerate(range(0, len(combined), TILE_WIDTH)):
        row0 = combined[pos : pos + TILE_WIDTH]
        rows = tile_rows(row0)
        blob = b"".join(b"".join(r) for r in rows)
        index = first + n
        store.remember(tile_level, index, len(row0), blob)
        if len(row0) == TILE_WIDTH:
            promoted.append(_sha256(b"\x01" + rows[-1][0] + rows[-1][1]).digest())
        if n == 0 and have:
            session.execute(
                update(LedgerTile)
                .where(LedgerTile.level == tile_level, LedgerTile.idx == index)
                .values(width=len(row0), hashes=blob)
            )
        else:
            new_tiles.append(
                {"level": tile_level, "idx": index, "width": len(row0), "hashes": blob}
            )
    if new_tiles:
        session.execute(insert(LedgerTile), new_tiles)
    return promoted


#: The log's last entry, for the upper bound of a person's tail (an alias: the outer query
#: reads the same table, and an unaliased subquery would be correlated with it).
_LAST = LedgerEntry.__table__.alias("last_entry")


def leaf_prefix(leaf_hash: bytes) -> int:
    """The indexed part of a leaf hash: its first 8 bytes as a signed 64-bit integer."""
    return int.from_bytes(leaf_hash[:8], "big", signed=True)


def subject_entries(session: Session, subject_ref: str, *, below: int | None = None) -> list[int]:
    """Indices of the entries filed under a person (below `below`, if given), in log order.

    Integrated entries come from `ledger_subject_index`; the tail not yet integrated is
    scanned by index range (appends keep no index by person). The caller checks each entry's
    own `data.subject`: this says where to look, the hashed entry says whom it is about.

    One statement, so both halves see the same integrated size (under READ COMMITTED two
    statements could straddle an integration and list an entry twice). The tail is bounded
    on both sides, from the integrated size to the last index: a planner without statistics
    (a freshly filled table not yet analyzed) takes a two-sided range on the primary key for
    a small one and reads it by index, where `idx >= size` alone it guesses a third of the
    table and scans all of it — 260 ms a read at 1M entries (issue 18).
    """
    statement = _SUBJECT_ENTRIES[below is not None]
    params = {"ref": subject_ref, "below": below}
    return [int(i) for i in run(session, statement, params).scalars()]


def subject_entries_query(subject_ref: str, *, below: int | None = None) -> CompoundSelect[int]:
    """The one statement `subject_entries` runs, its values bound (a test EXPLAINs it on an
    un-analyzed table)."""
    return _SUBJECT_ENTRIES[below is not None].params(ref=subject_ref, below=below)


def filed_under_subject() -> CompoundSelect[int]:
    """`subject_entries`'s statement without its order, for use as a subquery: the indices
    filed under the person bound as "ref"."""
    return _subject_entries_statement(bounded=False, ordered=False)


def _subject_entries_statement(*, bounded: bool, ordered: bool = True) -> CompoundSelect[int]:
    """Built once per shape: every person's page runs it (issue 18)."""
    integrated = func.coalesce(
        select(LedgerTree.size).where(LedgerTree.id == 1).scalar_subquery(), 0
    )
    last = select(func.max(_LAST.c.idx)).scalar_subquery()
    ref = bindparam("ref", type_=LedgerEntry.subject_ref.type)
    filed = select(LedgerSubjectIndex.idx.label("idx")).where(LedgerSubjectIndex.subject_ref == ref)
    tail = select(LedgerEntry.idx.label("idx")).where(
        LedgerEntry.idx >= integrated,
        LedgerEntry.idx <= last,
        LedgerEntry.subject_ref == ref,
    )
    if bounded:
        below = bindparam("below", type_=LedgerEntry.idx.type)
        filed = filed.where(LedgerSubjectIndex.idx < below)
        tail = tail.where(LedgerEntry.idx < below)
    both = union_all(filed, tail)
    return both.order_by("idx") if ordered else both


#: `subject_entries`'s statement, without and with an upper bound.
_SUBJECT_ENTRIES = {
    False: _subject_entries_statement(bounded=False),
    True: _subject_entries_statement(bounded=True),
}


def leaf_index(session: Session, leaf_hash: bytes, size: int) -> int | None:
    """The first entry below `size` whose leaf hash is `leaf_hash`, if any."""
    candidates = session.scalars(
        select(LedgerLeafIndex.idx)
        .where(LedgerLeafIndex.prefix == leaf_prefix(leaf_hash), LedgerLeafIndex.idx < size)
        .order_by(LedgerLeafIndex.idx)
        .limit(64)
    ).all()
    for idx in candidates:
        stored = session.scalar(select(LedgerEntry.leaf_hash).where(LedgerEntry.idx == idx))
        if stored is not None and bytes(stored) == leaf_hash:
            return int(idx)
    return None
