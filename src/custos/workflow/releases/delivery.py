"""Delivery: reading releases, downloading a release's (or a correction's) package, and the
requester's receipt. Every download is a ledger event, committed before any byte is sent."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import release
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.release import PayloadFormat
from custos.store.release_tables import Release, ReleaseNotice
from custos.workflow import journal, requests
from custos.workflow.context import Context
from custos.workflow.releases._views import ReleaseStatus, ReleaseView, own, view

#: Ids per IN (...) list: under SQLite's and psycopg's parameter limits.
_IN_CHUNK = 900


def status_of(session: Session, release_ids: Iterable[str]) -> dict[str, str]:
    """Status of each known release by id (released, delivered, retention_expired, overdue,
    destroyed, recalled); unknown ids are left out. For people's accounting of disclosures."""
    ids = list(dict.fromkeys(release_ids))
    out: dict[str, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        part = ids[start : start + _IN_CHUNK]
        query = select(Release.id, Release.status).where(Release.id.in_(part))
        out.update((rid, status) for rid, status in session.execute(query))
    return out


def get(ctx: Context, *, actor: StaffPrincipal, release_id: str) -> ReleaseView:
    require(actor, Action.RELEASE_READ)
    with ctx.reading() as s:
        row = s.get(Release, release_id)
        if row is None:
            raise NotFoundError("no such release")
        return view(row)


def get_for_requester(ctx: Context, *, actor: RequesterPrincipal, release_id: str) -> ReleaseView:
    with ctx.reading() as s:
        return view(own(s, actor, release_id))


def list_for_requester(ctx: Context, *, actor: RequesterPrincipal) -> list[ReleaseView]:
    actor.require(Scope.RELEASES_READ)
    with ctx.reading() as s:
        rows = s.scalars(
            select(Release)
            .where(Release.requester_id == actor.id)
            .order_by(Release.created_at.desc())
        ).all()
        return [view(r) for r in rows]


@dataclass(frozen=True, kw_only=True)
class Package:
    """A downloadable package: its file name, size and content as a stream of bytes."""

    filename: str
    size: int
    chunks: Iterator[bytes]


@dataclass(frozen=True, kw_only=True)
class _Stored:
    """A package's parts as the agency holds them: the signed manifest and two ciphertexts."""

    name: str
    manifest: str
    signature: str
    payload: str
    copy: str
    format: str
    made_at: dt.datetime


def _stored_release(row: Release) -> _Stored:
    if row.ciphertext_path is None or row.manifest_copy_path is None:
        raise ConflictError("the release's ciphertext has been purged after delivery")
    return _Stored(
        name=row.id,
        manifest=row.manifest,
        signature=row.signature,
        payload=row.ciphertext_path,
        copy=row.manifest_copy_path,
        format=row.format,
        made_at=row.created_at,
    )


def _stored_correction(session: Session, row: Release, notice_id: str) -> _Stored:
    n = session.get(ReleaseNotice, notice_id)
    if n is None or n.release_id != row.id or n.kind != "correction":
        raise NotFoundError("no such correction")
    if n.ciphertext_path is None or n.manifest_copy_path is None or n.manifest is None:
        raise ConflictError("the correction's ciphertext has been purged")
    assert n.signature is not None
    return _Stored(
        name=n.id,
        manifest=n.manifest,
        signature=n.signature,
        payload=n.ciphertext_path,
        copy=n.manifest_copy_path,
        format=row.format,
        made_at=n.issued_at,
    )


def _members(ctx: Context, stored: _Stored) -> list[release.Member]:
    """The package's files, in package order; refuses when a ciphertext file is gone."""
    data_dir = ctx.settings.data_dir
    payload_path = data_dir / stored.payload
    copy_path = data_dir / stored.copy
    if not payload_path.is_file() or not copy_path.is_file():
        raise ConflictError("the release's ciphertext is no longer held by the agency")
    manifest_bytes = stored.manifest.encode()
    sig = stored.signature.encode()
    return [
        release.Member(name=release.MANIFEST, size=len(manifest_bytes), data=manifest_bytes),
        release.Member(name=release.SIGNATURE, size=len(sig), data=sig),
        release.Member(name=release.MANIFEST_COPY, size=copy_path.stat().st_size, path=copy_path),
        release.Member(
            name=release.payload_name(stored.format),
            size=payload_path.stat().st_size,
            path=payload_path,
        ),
    ]


def _tar_size(members: Sequence[release.Member]) -> int:
    return sum(512 + m.size + (-m.size % 512) for m in members) + 1024


def _deliver(
    ctx: Context, actor: RequesterPrincipal, release_id: str, notice_id: str | None
) -> Package:
    """The package of a requester's release (`notice_id` None) or of one of its corrections.

    The download event commits before any byte is sent, so an interrupted download is still
    logged. A release's downloads are counted; a correction's name the notice.
    """
    with ctx.transaction() as s:
        row = own(s, actor, release_id)
        which: dict[str, Any]
        if notice_id is None:
            stored = _stored_release(row)
            row.downloads += 1  # rolled back with the transaction if the files are gone
            which = {"download": row.downloads}
        else:
            stored = _stored_correction(s, row, notice_id)
            which = {"notice": notice_id}
        members = _members(ctx, stored)
        journal.record(
            ctx,
            s,
            EventTag.RELEASE_DOWNLOAD_RECORD,
            actor.actor,
            request_id=row.request_id,
            release=row.id,
            **which,
        )
    return Package(
        filename=f"{stored.name}.tar",
        size=_tar_size(members),
        chunks=release.stream_package(members, mtime=int(stored.made_at.timestamp())),
    )


def download(ctx: Context, *, actor: RequesterPrincipal, release_id: str) -> Package:
    """The package of one of the requester's releases; each download is a ledger event."""
    return _deliver(ctx, actor, release_id, None)


def download_correction(
    ctx: Context, *, actor: RequesterPrincipal, release_id: str, notice_id: str
) -> Package:
    """A correction notice's package (same layout as a release package); logged."""
    return _deliver(ctx, actor, release_id, notice_id)


def acknowledge_receipt(
    ctx: Context, *, actor: RequesterPrincipal, release_id: str, payload_sha256: str
) -> ReleaseView:
    """The requester confirms receipt by stating the SHA-256 of the payload it decrypted.

    The receipt is authenticated by the requester's token; a wrong hash is refused (the
    recipient has not got what the manifest describes). released → delivered.
    """
    digest = payload_sha256.strip().lower()
    with ctx.transaction() as s:
        row = own(s, actor, release_id)
        if ReleaseStatus(row.status) is not ReleaseStatus.RELEASED:
            raise ConflictError(f"a release that is {row.status} cannot be acknowledged")
        if digest != row.payload_sha256:
            raise InvalidInputError(
                "the receipt does not match the release",
                [FieldProblem(path="payload_sha256", message="not the payload's SHA-256")],
            )
        now = ctx.now()
        row.status = ReleaseStatus.DELIVERED.value
        row.delivered_at = now
        row.receipt = {"payload_sha256": digest, "by": actor.actor, "at": now.isoformat()}
        requests.advance_release(
            ctx,
            s,
            row.request_id,
            to=RequestStatus.DELIVERED,
            actor=actor.actor,
            release=row.id,
            payload_sha256=digest,
        )
        return view(row)


def read_payload_rows(data: bytes, fmt: PayloadFormat) -> pl.DataFrame:
    """Parse a decrypted payload (for tests and the recipient's own checks)."""
    buf = io.BytesIO(data)
    if fmt is PayloadFormat.CSV:
        return pl.read_csv(buf, infer_schema=False)
    if fmt is PayloadFormat.JSONL:
        return pl.read_ndjson(buf)
    return pl.read_parquet(buf)
