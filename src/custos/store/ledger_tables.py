"""Tables of the verifiable ledger beyond the entries themselves (`tables.LedgerEntry`).

Everything here but checkpoints, cosignatures and witness records is derived data: tiles and
the tree state can be rebuilt from the entries' leaf hashes at any time. None of these tables
holds personal data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.store.base import Base, BigId, UTCDateTime, blob, utc


class LedgerTile(Base):
    """A tile of perfect-node hashes, in the spirit of C2SP tlog-tiles.

    Tile (`level`, `idx`) holds the nodes of tree levels 8·level … 8·level+7 above the
    leaves [idx·256·256^level, …): row 0 has `width` hashes (≤ 256), row r has width >> r. The
    rows are stored one after another in `hashes`, 32 bytes a hash, so any node is one slice.
    The rightmost tile of each level is partial and grows as the log integrates entries; a
    perfect node's hash never changes once written.
    """

    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    width: Mapped[int] = mapped_column(Integer)
    hashes: Mapped[blob]


class LedgerTree(Base):
    """How far the tiles reach: one row (`id` = 1) with the integrated size and its root."""

    __tablename__ = "ledger_tree"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[blob]
    updated_at: Mapped[utc]


class LedgerCheckpoint(Base):
    """A checkpoint the log signed (C2SP tlog-checkpoint), one per published tree size."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    root: Mapped[blob]
    #: The signed note as the log signed it, without cosignatures.
    note: Mapped[str] = mapped_column(Text)
    published_at: Mapped[utc]


class LedgerWitness(Base):
    """A witness whose cosignatures the log accepts, by its verifier key (alg 0x04).

    With a `url` (its C2SP tlog-witness submission prefix) the log submits every new
    checkpoint to it; `cosigned_size` is the size it last cosigned (the next request's
    `old` line) and `last_status` what it answered last.
    """

    __tablename__ = "ledger_witnesses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    verifier_key: Mapped[str] = mapped_column(String(400), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[utc]
    url: Mapped[str | None] = mapped_column(String(400), default=None)
    cosigned_size: Mapped[int] = mapped_column(BigInteger, default=0)
    last_status: Mapped[str | None] = mapped_column(String(400), default=None)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class LedgerCosignature(Base):
    """A witness's cosignature line (C2SP tlog-cosignature) on one checkpoint."""

    __tablename__ = "ledger_cosignatures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    checkpoint_size: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.size"), index=True)
    witness_name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    #: The signature line, exactly as it appears in the note (`— name base64…`).
    line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[utc]
    received_at: Mapped[utc]

    __table_args__ = (UniqueConstraint("checkpoint_size", "witness_name", "key_id"),)


class WitnessState(Base):
    """A witness's memory: the latest consistent checkpoint it saw of each log (by origin).

    Lives in the witness's own database, never the log's: the witness is independent. The
    `custos witness` server (C2SP tlog-witness) checks and updates a row in one transaction
    holding the row's lock, so two concurrent `add-checkpoint` calls cannot roll it back.
    """

    __tablename__ = "witness_state"

    origin: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[blob]
    note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[utc]


class WitnessAlarm(Base):
    """Evidence that a checkpoint was refused as inconsistent: both notes and the proof given.

    A witness keeps these in its own database; the log keeps one too when a witness it
    submits to refuses its checkpoint as inconsistent (409 for the same size, 422), which
    the oversight alert rules turn into a `witness_inconsistent_checkpoint` alert.
    """

    __tablename__ = "witness_alarms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text)
    previous_note: Mapped[str] = mapped_column(Text)
    offered_note: Mapped[str] = mapped_column(Text)
    proof: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[utc]


class LedgerSubjectIndex(Base):
    """Which entries are about which person, so a person's accounting finds them.

    Derived data written by integration, like `LedgerLeafIndex`: the person's keyed pseudonym
    (the lookup column `ledger_entries.subject_ref`, itself written from the entry's own
    `data.subject`) and the entry's index, one B-tree keyed by both (no rowid on SQLite),
    filled in key order a batch at a time. Appends therefore maintain no index by person: a
    person's entries not yet integrated are found by scanning the short tail of the log
    beyond the integrated size (`custos.ledger.subject_entries`). Readers trust the hashed
    entry, not this table: an entry found here that names someone else is refused.
    """

    __tablename__ = "ledger_subject_index"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's own form

    subject_ref: Mapped[str] = mapped_column(String(40), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class LedgerLeafIndex(Base):
    """Where a leaf hash sits, so a public inclusion proof can be asked for by leaf hash.

    Derived data written by integration: the first 8 bytes of the leaf hash (as a signed
    64-bit integer) and the entry's index, one B-tree keyed by both (no rowid on SQLite), filled
    in key order a batch at a time. A lookup compares the full hash with the entry's. Kept
    apart from `ledger_entries` so appends do not maintain another index.
    """

    __tablename__ = "ledger_leaf_index"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy's own form

    prefix: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class LedgerMapBucket(Base):
    """One of a verifiable map's 4096 buckets (`custos.ledger._map_buckets`): the keys that
    start with its 12 bits, as sorted 72-byte records (key, count, chain head), and the hashes
    of its 16 subtrees four levels down (32 bytes each), so a proof hashes one subtree's
    people rather than the whole bucket's.

    `map` says which map (`custos.ledger.MapKind`): 1, the accounting map (keys: hashes of
    people's pseudonyms); 2, the release map (keys: hashes of release ids). Derived data:
    rebuildable from the log's entries. Holds keys and hashes only, no personal data.
    """

    __tablename__ = "ledger_map_buckets"

    map: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    people: Mapped[int] = mapped_column(Integer)
    records: Mapped[blob]
    subtrees: Mapped[blob]


class LedgerMapState(Base):
    """How far a verifiable map reaches: one row per map (`id` = its `MapKind`: 1, the
    accounting map; 2, the release map; both advance and are committed together).

    Every entry the map counts with index < `size` is folded in; `root` is the map's root, and
    `top_hashes` / `top_counts` the 8191 nodes from the root down to the buckets (32 and 8
    bytes each, heap order). `commit_index` is the log index of the `ledger:map:commit`
    entry that committed this root (its `size` is the same number).
    """

    __tablename__ = "ledger_map_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[blob]
    people: Mapped[int] = mapped_column(BigInteger)
    top_hashes: Mapped[blob]
    top_counts: Mapped[blob]
    commit_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)
    updated_at: Mapped[utc]
