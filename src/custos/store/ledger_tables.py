"""Tables of the verifiable ledger beyond the entries themselves (`tables.LedgerEntry`).

Everything here but checkpoints, cosignatures and witness records is derived data: tiles and
the tree state can be rebuilt from the entries' leaf hashes at any time. None of these tables
holds personal data.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.store.base import Base, BigId, blob, utc


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
    """A witness whose cosignatures the log accepts, by its verifier key (alg 0x04)."""

    __tablename__ = "ledger_witnesses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    verifier_key: Mapped[str] = mapped_column(String(400), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[utc]


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

    Lives in the witness's own database, never the log's: the witness is independent.
    """

    __tablename__ = "witness_state"

    origin: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[blob]
    note: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[utc]


class WitnessAlarm(Base):
    """Evidence a witness kept when it refused a checkpoint: both notes and the proof given."""

    __tablename__ = "witness_alarms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text)
    previous_note: Mapped[str] = mapped_column(Text)
    offered_note: Mapped[str] = mapped_column(Text)
    proof: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[utc]
