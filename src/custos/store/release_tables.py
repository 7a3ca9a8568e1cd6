"""Tables of releases: what left, to whom, its manifest, and its life until destruction.

No column holds personal data: the payload exists only as age ciphertext on disk (and is
purged after delivery plus a grace period); manifests name fields and counts, not people.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custos.store.base import Base, BigId, UTCDateTime, str_id, utc


class Release(Base):
    """One release of an approved request (one per request: the lifecycle moves once)."""

    __tablename__ = "releases"

    id: Mapped[str_id]
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), unique=True)
    requester_id: Mapped[str] = mapped_column(ForeignKey("requesters.id"), index=True)
    #: released, delivered, retention_expired, overdue, destroyed, recalled
    status: Mapped[str] = mapped_column(String(20), index=True)
    format: Mapped[str] = mapped_column(String(10))
    fields: Mapped[list[str]] = mapped_column(JSON)
    people: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    payload_size: Mapped[int] = mapped_column(BigId)
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    ciphertext_size: Mapped[int] = mapped_column(BigId)
    #: Ciphertext files relative to the data directory; null once purged.
    ciphertext_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    manifest_copy_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The manifest's canonical JSON and the agency's signed note over it: kept for good.
    manifest: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    retention_until: Mapped[dt.date] = mapped_column(Date, index=True)
    #: Ledger index of the first accounting entry; the entries are consecutive.
    accounting_first: Mapped[int | None] = mapped_column(BigId, nullable=True)
    accounting_count: Mapped[int] = mapped_column(Integer)
    built_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[utc]
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReleaseNotice(Base):
    """A recall or correction notice sent to a release's requester."""

    __tablename__ = "release_notices"

    id: Mapped[str_id]
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), index=True)
    #: recall or correction
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    #: A recall: the date by which destruction must be attested.
    destroy_by: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    #: A correction: its own signed manifest and ciphertext (null once purged).
    manifest: Mapped[str | None] = mapped_column(Text, nullable=True)
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    ciphertext_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    manifest_copy_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    issued_by: Mapped[str] = mapped_column(String(60))
    issued_at: Mapped[utc]


class DestructionAttestation(Base):
    """The requester's statement that it destroyed a release: who, when, how."""

    __tablename__ = "destruction_attestations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), index=True)
    destroyed_by: Mapped[str] = mapped_column(String(200))
    destroyed_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(60))
    submitted_at: Mapped[utc]
