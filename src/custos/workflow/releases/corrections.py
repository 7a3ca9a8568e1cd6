"""Recall and correction: notices sent to a requester about a release already delivered.

A recall demands destruction by a date (an upheld challenge, a release found wrong); the
retention sweep tracks it. A correction re-sends the release's people from the current
records, same fields and row numbers, encrypted and signed like the release itself, and
accounts for each person again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import release
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, StaffPrincipal
from custos.release import PayloadFormat
from custos.store import tables as t
from custos.store.release_tables import Release, ReleaseNotice
from custos.workflow import journal
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.releases._basis import (
    CHUNK_PEOPLE,
    Basis,
    Collected,
    make_basis,
    minimized_frames,
    plan_for,
    record_chunks,
)
from custos.workflow.releases._views import ReleaseStatus, own, relative, release_dir
from custos.workflow.releases.build import (
    Keys,
    SignedManifest,
    account_for,
    sign_manifest,
)


@dataclass(frozen=True, kw_only=True)
class NoticeView:
    id: str
    release_id: str
    kind: str
    reason: str
    destroy_by: dt.date | None
    rows: int
    issued_at: dt.datetime
    manifest: dict[str, Any] | None
    signature: str | None


def _notice_view(n: ReleaseNotice) -> NoticeView:
    return NoticeView(
        id=n.id,
        release_id=n.release_id,
        kind=n.kind,
        reason=n.reason,
        destroy_by=n.destroy_by,
        rows=n.rows,
        issued_at=n.issued_at,
        manifest=json.loads(n.manifest) if n.manifest else None,
        signature=n.signature,
    )


def _reason_required(reason: str, what: str) -> None:
    if not reason.strip():
        raise InvalidInputError(
            f"a {what} needs a reason", [FieldProblem(path="reason", message="required")]
        )


def recall(
    ctx: Context, *, actor: StaffPrincipal, release_id: str, reason: str, destroy_by: dt.date
) -> NoticeView:
    """Demand that the requester destroy a release by `destroy_by` (an upheld challenge, a
    release found wrong). Tracked: the retention sweep marks it overdue after that date."""
    require(actor, Action.RELEASE_RECALL)
    _reason_required(reason, "recall")
    if destroy_by < ctx.today():
        raise InvalidInputError(
            "a recall's deadline cannot be in the past",
            [FieldProblem(path="destroy_by", message="in the past")],
        )
    with ctx.transaction() as s:
        row = s.get(Release, release_id, with_for_update=True)
        if row is None:
            raise NotFoundError("no such release")
        if row.status == ReleaseStatus.DESTROYED.value:
            raise ConflictError("this release is already attested destroyed")
        notice = ReleaseNotice(
            id=new_id("rcl"),
            release_id=row.id,
            kind="recall",
            reason=reason.strip(),
            destroy_by=destroy_by,
            rows=row.rows,
            issued_by=actor.actor,
            issued_at=ctx.now(),
        )
        s.add(notice)
        if row.status != ReleaseStatus.OVERDUE.value:
            row.status = ReleaseStatus.RECALLED.value
        journal.record(
            ctx,
            s,
            EventTag.RELEASE_RECALL_ISSUE,
            actor.actor,
            request_id=row.request_id,
            release=row.id,
            notice=notice.id,
            destroy_by=destroy_by.isoformat(),
            reason_sha256=hashlib.sha256(notice.reason.encode()).hexdigest(),
        )
        s.flush()
        return _notice_view(notice)


def _accounted_refs(session: Session, row: Release) -> list[str]:
    """The release's people in payload row order (from its accounting entries)."""
    if row.accounting_first is None:
        return []
    le = t.LedgerEntry
    return [
        r
        for r in session.scalars(
            select(le.subject_ref)
            .where(
                le.idx >= row.accounting_first,
                le.idx < row.accounting_first + row.accounting_count,
                le.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value,
            )
            .order_by(le.idx)
        )
        if r is not None
    ]


def _basis_of_release(ctx: Context, session: Session, row: Release) -> Basis:
    """The basis of the original release, whatever the request's status is now."""
    manifest = json.loads(row.manifest)
    req = session.get(t.Request, row.request_id)
    requester = session.get(t.Requester, row.requester_id)
    assert req is not None
    assert requester is not None
    pack = ctx.pack(manifest["pack"]["name"])
    plan, fields = plan_for(session, req, pack, requested_fields=row.fields)
    return make_basis(req, requester, pack, plan, fields, people=row.people)


@dataclass(frozen=True, kw_only=True)
class _Sealed:
    """A correction's payload, sealed before its publishing transaction."""

    basis: Basis
    contents: release.Contents
    collected: Collected
    payload_path: Path


def _seal_correction(ctx: Context, release_id: str, directory: Path) -> _Sealed:
    """Re-read the release's people (those still included) with their original row numbers,
    minimize and seal them into `directory`."""
    with ctx.reading() as s:
        row = s.get(Release, release_id)
        if row is None:
            raise NotFoundError("no such release")
        if row.status == ReleaseStatus.DESTROYED.value:
            raise ConflictError(
                "this release is attested destroyed; recall-free correction is moot"
            )
        fmt = PayloadFormat(row.format)
        row_of = {ref: i + 1 for i, ref in enumerate(_accounted_refs(s, row))}
        basis = _basis_of_release(ctx, s, row)
        collected = Collected(refs=[], classes=[])

        def chunks() -> Iterator[pl.DataFrame]:
            for frame in record_chunks(ctx, s, basis, chunk=CHUNK_PEOPLE):
                kept = frame.filter(pl.col("subject_ref").is_in(list(row_of)))
                yield kept.with_columns(
                    pl.col("subject_ref").replace_strict(row_of, return_dtype=pl.Int64).alias("row")
                )

        payload_path = directory / release.payload_name(fmt.value)
        sealed = release.seal(
            release.serialize(
                minimized_frames(chunks(), basis, collected, None, keep_rows=True), fmt
            ),
            basis.recipients,
            payload_path,
        )
    contents = release.Contents(
        format=fmt, sealed=sealed, people=len(collected.refs), rows=collected.rows
    )
    return _Sealed(basis=basis, contents=contents, collected=collected, payload_path=payload_path)


def _issue_notice(
    ctx: Context,
    session: Session,
    *,
    actor: str,
    notice_id: str,
    row: Release,
    reason: str,
    sealed: _Sealed,
    signed: SignedManifest,
) -> ReleaseNotice:
    """Store the correction notice and log its issue."""
    notice = ReleaseNotice(
        id=notice_id,
        release_id=row.id,
        kind="correction",
        reason=reason,
        destroy_by=None,
        manifest=signed.data.decode(),
        signature=signed.signature,
        ciphertext_path=relative(ctx, sealed.payload_path),
        manifest_copy_path=relative(ctx, signed.copy_path),
        rows=sealed.contents.rows,
        issued_by=actor,
        issued_at=ctx.now(),
    )
    session.add(notice)
    journal.record(
        ctx,
        session,
        EventTag.RELEASE_CORRECTION_ISSUE,
        actor,
        request_id=row.request_id,
        release=row.id,
        notice=notice_id,
        rows=sealed.contents.rows,
        payload_sha256=sealed.contents.sealed.sha256,
        manifest_sha256=signed.digest,
    )
    return notice


def _publish_correction(
    ctx: Context,
    *,
    actor: str,
    release_id: str,
    notice_id: str,
    reason: str,
    sealed: _Sealed,
    keys: Keys,
) -> NoticeView:
    """One transaction: accounting entries for each person sent again, the signed manifest
    (`kind: correction`), the notice row and its ledger event."""
    basis, contents, collected = sealed.basis, sealed.contents, sealed.collected
    with ctx.transaction() as s:
        row = s.get(Release, release_id, with_for_update=True)
        assert row is not None
        first = account_for(
            ctx,
            s,
            actor=actor,
            basis=basis,
            release_id=release_id,
            retention_until=row.retention_until,
            collected=collected,
            correction=notice_id,
        )
        signed = sign_manifest(
            ctx,
            s,
            kind="correction",
            release_id=notice_id,
            basis=basis,
            contents=contents,
            retention_until=row.retention_until,
            accounting_first=first,
            directory=sealed.payload_path.parent,
            keys=keys,
            extra={"corrects": row.id, "reason": reason},
        )
        notice = _issue_notice(
            ctx,
            s,
            actor=actor,
            notice_id=notice_id,
            row=row,
            reason=reason,
            sealed=sealed,
            signed=signed,
        )
        s.flush()
        return _notice_view(notice)


def correct(ctx: Context, *, actor: StaffPrincipal, release_id: str, reason: str) -> NoticeView:
    """Send corrected rows: the release's people re-read from the current records, with the
    same fields, generalizations and row numbers, encrypted the same way, with a signed manifest
    (`kind: correction`). People excluded since (an upheld challenge) are left out: recall
    their data instead. Each person sent again gets an accounting entry."""
    require(actor, Action.RELEASE_CORRECT)
    _reason_required(reason, "correction")
    keys = Keys.read(ctx)
    notice_id = new_id("cor")
    directory = release_dir(ctx, release_id) / notice_id
    try:
        sealed = _seal_correction(ctx, release_id, directory)
        return _publish_correction(
            ctx,
            actor=actor.actor,
            release_id=release_id,
            notice_id=notice_id,
            reason=reason.strip(),
            sealed=sealed,
            keys=keys,
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def notices_for_requester(
    ctx: Context, *, actor: RequesterPrincipal, release_id: str
) -> list[NoticeView]:
    """The recall and correction notices of one of the requester's releases, oldest first."""
    with ctx.reading() as s:
        row = own(s, actor, release_id)
        return [
            _notice_view(n)
            for n in s.scalars(
                select(ReleaseNotice)
                .where(ReleaseNotice.release_id == row.id)
                .order_by(ReleaseNotice.issued_at)
            )
        ]
