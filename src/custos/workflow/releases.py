"""Releases: what happens after approval, until the recipient destroys the data.

A release is built from an approved request (issue "Releases"):

1. *Plan* — the stored per-class decisions give, for each decision class, the fields that
   leave and how they are generalized (`custos.release.plan_release`).
2. *Minimize and seal* — the included people's records are read in chunks, minimized with
   Polars, serialized and streamed through age to the requester's recipient keys. Only
   ciphertext reaches the disk. Subjects excluded by an upheld challenge and unmatched
   subjects are never read.
3. *Account and publish* — one transaction appends one `release:accounting:entry` per person,
   signs the manifest (with the ledger's agency key), writes the release row and moves the
   request to `released`. A crash before the commit leaves an orphan ciphertext file that
   nothing points at (purged by `purge`), no release row and no accounting entry; after the
   commit, all of them. A release is downloadable only through its row.

Then: downloads (each logged), the requester's receipt (→ delivered), the retention clock
(→ retention_expired → overdue, with an oversight alert), destruction attestations
(→ destroyed), recall and correction notices, and purging internal ciphertext after
delivery plus a grace period. Manifests and ledger entries are kept for good.

`status_of(session, release_ids)` is the read other capabilities (people's accounting) use.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
import rfc8785
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from custos import ledger, release
from custos.domain.decisions import Effect
from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.domain.events import Event, EventTag
from custos.domain.legal import LegalProcess
from custos.domain.lifecycle import RequestStatus
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.domain.roles import Role
from custos.policy import Pack
from custos.release import PayloadFormat, ReleasePlan
from custos.store import tables as t
from custos.store.ledger_tables import LedgerCheckpoint
from custos.store.release_tables import DestructionAttestation, Release, ReleaseNotice
from custos.workflow import ledger as ledger_service
from custos.workflow import requests
from custos.workflow._ids import new_id
from custos.workflow.context import Context

log = logging.getLogger(__name__)

#: People read, minimized and encrypted per chunk: bounds memory on a bulk release.
CHUNK_PEOPLE = 50_000
#: Accounting entries appended per `ledger.append` call (all in the one transaction).
APPEND_BATCH = 25_000
#: Orphan ciphertext (from a build that never committed) older than this is purged.
ORPHAN_AGE = dt.timedelta(hours=1)

_BUILDERS = (Role.APPROVER, Role.ADMIN)
_READERS = (Role.APPROVER, Role.ADMIN, Role.AUDITOR, Role.LEGAL_REVIEWER)
_NOTIFIERS = (Role.APPROVER, Role.LEGAL_REVIEWER)


class ReleaseStatus(StrEnum):
    """A release's own status (the request's status follows it through the lifecycle)."""

    RELEASED = "released"
    DELIVERED = "delivered"
    RETENTION_EXPIRED = "retention_expired"
    OVERDUE = "overdue"
    DESTROYED = "destroyed"
    RECALLED = "recalled"


_LIVE = (
    ReleaseStatus.RELEASED,
    ReleaseStatus.DELIVERED,
    ReleaseStatus.RETENTION_EXPIRED,
    ReleaseStatus.OVERDUE,
    ReleaseStatus.RECALLED,
)


# --- reading what a release needs --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Basis:
    """Everything read before sealing, re-checked inside the publishing transaction."""

    request_id: str
    requester_id: str
    requester_name: str
    requester_kind: str
    recipients: list[str]
    decision_version: int
    process: LegalProcess
    purpose: str
    purpose_text: str
    pack_name: str
    pack_version: str
    pack_hash: str
    plan: ReleasePlan
    fields: list[release.FieldSource]
    columns: set[str]
    people: int
    bulk: bool


def _included(request_id: str, classes: Iterable[str]) -> Any:
    rs = t.RequestSubject
    return and_(
        rs.request_id == request_id,
        rs.excluded.is_(False),
        rs.person_id.is_not(None),
        rs.class_key.in_(sorted(classes)),
    )


def _plan(
    session: Session, req: t.Request, pack: Pack, *, requested_fields: list[str]
) -> tuple[ReleasePlan, list[release.FieldSource]]:
    """The release plan from a request's stored decisions, and its fields bound to columns."""
    decisions = [
        release.StoredDecision(
            class_key=d.class_key,
            field=d.field,
            effect=Effect(d.effect),
            rule_ids=tuple(d.rule_ids),
            citations=tuple(d.citations),
            obligations=dict(d.obligations),
            compelled=d.compelled,
        )
        for d in session.scalars(select(t.DecisionRow).where(t.DecisionRow.request_id == req.id))
    ]
    plan = release.plan_release(
        decisions,
        requested_fields=requested_fields,
        default_retention_days=pack.default_retention_days,
    )
    return plan, release.bind_fields(plan, {str(k): v.column for k, v in pack.catalogue.items()})


def _make_basis(
    req: t.Request,
    requester: t.Requester,
    pack: Pack,
    plan: ReleasePlan,
    fields: list[release.FieldSource],
    *,
    people: int,
) -> _Basis:
    return _Basis(
        request_id=req.id,
        requester_id=requester.id,
        requester_name=requester.name,
        requester_kind=requester.kind,
        recipients=list(requester.age_recipients),
        decision_version=req.decision_version,
        process=requests.effective_process(req),
        purpose=req.purpose,
        purpose_text=req.purpose_text,
        pack_name=pack.name,
        pack_version=pack.version,
        pack_hash=pack.content_hash,
        plan=plan,
        fields=fields,
        columns=release.needed_columns(fields, plan),
        people=people,
        bulk=req.bulk is not None,
    )


def _basis(ctx: Context, session: Session, request_id: str) -> _Basis:
    row = session.get(t.Request, request_id)
    if row is None:
        raise NotFoundError("no such request")
    if RequestStatus(row.status) is not RequestStatus.APPROVED:
        raise ConflictError(f"only an approved request can be released (this one is {row.status})")
    requester = session.get(t.Requester, row.requester_id)
    assert requester is not None  # a foreign key
    pack = ctx.pack(row.pack_name or None)
    if row.pack_hash is not None and pack.content_hash != row.pack_hash:
        raise ConflictError(
            "the policy pack changed since this request was decided; re-decide before releasing"
        )
    plan, fields = _plan(session, row, pack, requested_fields=row.fields)
    people = (
        session.scalar(
            select(func.count())
            .select_from(t.RequestSubject)
            .where(_included(row.id, plan.classes))
        )
        or 0
    )
    if not plan.classes or people == 0:
        raise ConflictError("this request discloses nothing to anyone; there is nothing to release")
    release.parse_recipients(requester.age_recipients)
    return _make_basis(row, requester, pack, plan, fields, people=int(people))


_PERSON_COLUMNS = {
    "first_name": t.Person.first_name,
    "last_name": t.Person.last_name,
    "birth_date": t.Person.birth_date,
    "ssn": t.Person.ssn,
    "dcn": t.Person.dcn,
    "phone": t.Person.phone,
    "employer": t.Person.employer,
    "immigration_status": t.Person.immigration_status,
    "photo_ref": t.Person.photo_ref,
}
_HOUSEHOLD_COLUMNS = {
    "street": t.Household.street,
    "city": t.Household.city,
    "zip": t.Household.zip,
    "county": t.Household.county,
}


def _record_select(columns: set[str], day: dt.date) -> tuple[list[str], list[Any], bool]:
    """Names and SQL expressions for the raw columns, and whether households are joined."""
    names: list[str] = []
    exprs: list[Any] = []
    join_household = False
    for name in sorted(columns):
        if name in _PERSON_COLUMNS:
            expr: Any = _PERSON_COLUMNS[name]
        elif name in _HOUSEHOLD_COLUMNS:
            expr = _HOUSEHOLD_COLUMNS[name]
            join_household = True
        elif name == "household_size":
            other = t.Person.__table__.alias("members")
            expr = (
                select(func.count())
                .select_from(other)
                .where(other.c.household_id == t.Person.household_id)
                .scalar_subquery()
            )
        elif name.startswith("benefit_"):
            program = name.removeprefix("benefit_")
            e = t.Enrolment
            expr = (
                select(func.coalesce(func.sum(e.monthly_amount_cents), 0))
                .where(
                    e.person_id == t.Person.id,
                    e.program == program,
                    e.start_date <= day,
                    or_(e.end_date.is_(None), e.end_date > day),
                )
                .scalar_subquery()
            )
        else:  # pragma: no cover - bind_fields only names known sources
            raise release.ReleaseError(f"no record column {name!r}")
        names.append(name)
        exprs.append(expr.label(name))
    return names, exprs, join_household


def _record_chunks(
    ctx: Context, session: Session, basis: _Basis, *, chunk: int
) -> Iterator[pl.DataFrame]:
    """The included people's raw columns, in subject order, `chunk` people at a time."""
    rs = t.RequestSubject
    names, exprs, join_household = _record_select(basis.columns, ctx.today())
    q = (
        select(rs.position, rs.subject_ref, rs.class_key, *exprs)
        .join(t.Person, t.Person.id == rs.person_id)
        .where(_included(basis.request_id, basis.plan.classes))
    )
    if join_household:
        q = q.join(t.Household, t.Household.id == t.Person.household_id)
    schema: dict[str, Any] = {
        "position": pl.Int64,
        "subject_ref": pl.String,
        "class_key": pl.String,
    }
    for name in names:
        schema[name] = (
            pl.Date
            if name == "birth_date"
            else pl.Int64
            if name == "household_size" or name.startswith("benefit_")
            else pl.String
        )
    last = -1
    while True:
        rows = session.execute(q.where(rs.position > last).order_by(rs.position).limit(chunk)).all()
        if not rows:
            return
        frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
        yield frame
        if len(rows) < chunk:
            return
        last = int(rows[-1][0])


# --- building ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReleaseView:
    id: str
    request_id: str
    requester_id: str
    status: ReleaseStatus
    format: PayloadFormat
    fields: tuple[str, ...]
    people: int
    rows: int
    payload_sha256: str
    retention_until: dt.date
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    destroyed_at: dt.datetime | None
    downloads: int
    purged: bool
    manifest: dict[str, Any]
    signature: str


def _view(row: Release) -> ReleaseView:
    return ReleaseView(
        id=row.id,
        request_id=row.request_id,
        requester_id=row.requester_id,
        status=ReleaseStatus(row.status),
        format=PayloadFormat(row.format),
        fields=tuple(row.fields),
        people=row.people,
        rows=row.rows,
        payload_sha256=row.payload_sha256,
        retention_until=row.retention_until,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        destroyed_at=row.destroyed_at,
        downloads=row.downloads,
        purged=row.ciphertext_path is None,
        manifest=json.loads(row.manifest),
        signature=row.signature,
    )


def _release_dir(ctx: Context, release_id: str) -> Path:
    return ctx.settings.data_dir / "releases" / release_id


def _relative(ctx: Context, path: Path) -> str:
    return path.relative_to(ctx.settings.data_dir).as_posix()


def _accounting_data(basis: _Basis, release_id: str, retention_until: dt.date) -> dict[str, Any]:
    """Per class: the `data` of each person's accounting entry (the interface people's
    accounting reads; never plaintext personal data)."""
    delay = basis.process.nondisclosure_until
    out: dict[str, Any] = {}
    for key, cls in basis.plan.classes.items():
        out[key] = {
            "release": release_id,
            "requester": basis.requester_id,
            "requester_name": basis.requester_name,
            "requester_kind": basis.requester_kind,
            "fields": cls.fields,
            "generalized": cls.generalized,
            "legal_process": basis.process.kind.value,
            "purpose": basis.purpose,
            "rule_ids": list(cls.rule_ids),
            "citations": list(cls.citations),
            "compelled": cls.compelled,
            "retention_until": retention_until.isoformat(),
            "notify": cls.notify.value,
            "notice_delayed_until": (
                delay.isoformat() if delay is not None and cls.notice_delay_allowed else None
            ),
        }
    return out


def _checkpoint(session: Session) -> dict[str, Any] | None:
    """The latest published checkpoint (size and base64 root), read in the caller's session."""
    row = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return {"size": row.size, "root": base64.b64encode(bytes(row.root)).decode()}


def _manifest(
    ctx: Context,
    session: Session,
    *,
    basis: _Basis,
    release_id: str,
    kind: str,
    fmt: PayloadFormat,
    sealed: release.Sealed,
    people: int,
    rows: int,
    retention_until: dt.date,
    accounting_first: int | None,
    accounting_count: int,
    verifier_keys: list[str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    p = basis.process
    return {
        "format": release.manifest.MANIFEST_FORMAT,
        "kind": kind,
        "release": release_id,
        "request": basis.request_id,
        "requester": {
            "id": basis.requester_id,
            "name": basis.requester_name,
            "kind": basis.requester_kind,
        },
        "legal_process": {
            "kind": p.kind.value,
            "issuer": p.issuer,
            "docket_number": p.docket_number,
            "document_sha256": p.document_sha256 or None,
        },
        "purpose": {"code": basis.purpose, "text": basis.purpose_text},
        "pack": {"name": basis.pack_name, "version": basis.pack_version, "hash": basis.pack_hash},
        "fields": list(basis.plan.fields),
        "generalized": basis.plan.generalizations,
        "people": people,
        "rows": rows,
        "payload": {
            "format": fmt.value,
            "name": release.payload_name(fmt.value).removesuffix(".age"),
            "media_type": fmt.media_type,
            "sha256": sealed.sha256,
            "size": sealed.size,
            "ciphertext_sha256": sealed.ciphertext_sha256,
            "ciphertext_size": sealed.ciphertext_size,
        },
        "retention_until": retention_until.isoformat(),
        "terms": {
            "use_limitation": release.manifest.USE_LIMITATION,
            "no_onward_sharing": (
                release.manifest.NO_ONWARD_SHARING if basis.plan.no_onward_sharing else None
            ),
        },
        "ledger": {
            "origin": ctx.settings.ledger_origin,
            "checkpoint": _checkpoint(session),
            "accounting_first": accounting_first,
            "accounting_count": accounting_count,
        },
        "created_at": ctx.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
        "signers": verifier_keys,
        **(extra or {}),
    }


Progress = Callable[[int, int], None]


@dataclass
class _Collected:
    refs: list[str]
    classes: list[str]
    rows: int = 0


def _minimized_frames(
    chunks: Iterable[pl.DataFrame],
    basis: _Basis,
    collected: _Collected,
    progress: Progress | None,
    *,
    keep_rows: bool = False,
) -> Iterator[pl.DataFrame]:
    for frame in chunks:
        m = release.minimize(
            frame, basis.plan, basis.fields, first_row=None if keep_rows else collected.rows + 1
        )
        collected.refs += m.subject_refs
        collected.classes += m.class_keys
        collected.rows += m.payload.height
        if progress is not None:
            progress(collected.rows, basis.people)
        yield m.payload


def _append_accounting(
    ctx: Context,
    session: Session,
    *,
    request_id: str,
    actor: str,
    refs: Sequence[str],
    classes: Sequence[str],
    data: dict[str, Any],
) -> int | None:
    """One accounting entry per person, in payload row order; returns the first index."""
    first: int | None = None
    now = ctx.now()
    tag = EventTag.RELEASE_ACCOUNTING_ENTRY
    # People of one class get the same entry (the person is the entry's subject_ref, not its
    # content): one Event object per class, which the ledger encodes and hashes once.
    per_class: dict[Any, Event] = {}
    for start in range(0, len(refs), APPEND_BATCH):
        part_refs = refs[start : start + APPEND_BATCH]
        events = [
            per_class.get(k)
            or per_class.setdefault(
                k, Event(tag=tag, at=now, actor=actor, request_id=request_id, data=data[k])
            )
            for k in classes[start : start + APPEND_BATCH]
        ]
        idx = ledger.append(session, events, subject_refs=list(part_refs))
        if first is None and idx:
            first = idx[0]
    return first


def build(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    request_id: str,
    fmt: PayloadFormat | None = None,
    progress: Progress | None = None,
    chunk: int = CHUNK_PEOPLE,
) -> ReleaseView:
    """Build, seal, account for and publish the release of an approved request.

    `fmt` defaults to Parquet for a bulk request and CSV for named subjects. Raises
    ConflictError (nothing written) unless the request is approved and discloses something.
    """
    actor.require(*_BUILDERS)
    signer_keys = ledger_service.signer_keys(ctx.settings)
    verifier_keys = ledger_service.verifier_keys(ctx.settings)
    release_id = new_id("rel")
    directory = _release_dir(ctx, release_id)
    try:
        with ctx.reading() as s:
            basis = _basis(ctx, s, request_id)
            chosen = fmt or (PayloadFormat.PARQUET if basis.bulk else PayloadFormat.CSV)
            collected = _Collected(refs=[], classes=[])
            frames = _minimized_frames(
                _record_chunks(ctx, s, basis, chunk=chunk), basis, collected, progress
            )
            payload_path = directory / release.payload_name(chosen.value)
            sealed = release.seal(release.serialize(frames, chosen), basis.recipients, payload_path)
        return _publish(
            ctx,
            actor=actor.actor,
            basis=basis,
            release_id=release_id,
            fmt=chosen,
            sealed=sealed,
            collected=collected,
            payload_path=payload_path,
            signer_keys=signer_keys,
            verifier_keys=verifier_keys,
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _publish(
    ctx: Context,
    *,
    actor: str,
    basis: _Basis,
    release_id: str,
    fmt: PayloadFormat,
    sealed: release.Sealed,
    collected: _Collected,
    payload_path: Path,
    signer_keys: list[str],
    verifier_keys: list[str],
) -> ReleaseView:
    """The one transaction: accounting entries, manifest, release row, request → released."""
    with ctx.transaction() as s:
        row = requests.load_for_release(s, basis.request_id)
        if (
            RequestStatus(row.status) is not RequestStatus.APPROVED
            or row.decision_version != basis.decision_version
        ):
            raise ConflictError("the request changed while its release was being built; retry")
        people = (
            s.scalar(
                select(func.count())
                .select_from(t.RequestSubject)
                .where(_included(basis.request_id, basis.plan.classes))
            )
            or 0
        )
        if people != len(collected.refs):
            raise ConflictError("the request's subjects changed while the release was built; retry")
        retention_until = basis.plan.retention_until(ctx.today())
        first = _append_accounting(
            ctx,
            s,
            request_id=basis.request_id,
            actor=actor,
            refs=collected.refs,
            classes=collected.classes,
            data=_accounting_data(basis, release_id, retention_until),
        )
        manifest = _manifest(
            ctx,
            s,
            basis=basis,
            release_id=release_id,
            kind="release",
            fmt=fmt,
            sealed=sealed,
            people=len(collected.refs),
            rows=collected.rows,
            retention_until=retention_until,
            accounting_first=first,
            accounting_count=len(collected.refs),
            verifier_keys=verifier_keys,
        )
        manifest_bytes = release.manifest.canonical(manifest)
        signature = release.manifest.sign(release_id, manifest_bytes, signer_keys)
        copy_path = payload_path.parent / release.MANIFEST_COPY
        release.seal_bytes(manifest_bytes, basis.recipients, copy_path)
        rel = Release(
            id=release_id,
            request_id=basis.request_id,
            requester_id=basis.requester_id,
            status=ReleaseStatus.RELEASED.value,
            format=fmt.value,
            fields=list(basis.plan.fields),
            people=len(collected.refs),
            rows=collected.rows,
            payload_sha256=sealed.sha256,
            payload_size=sealed.size,
            ciphertext_sha256=sealed.ciphertext_sha256,
            ciphertext_size=sealed.ciphertext_size,
            ciphertext_path=_relative(ctx, payload_path),
            manifest_copy_path=_relative(ctx, copy_path),
            manifest=manifest_bytes.decode(),
            signature=signature,
            retention_until=retention_until,
            accounting_first=first,
            accounting_count=len(collected.refs),
            built_by=actor,
            created_at=ctx.now(),
            downloads=0,
        )
        s.add(rel)
        s.flush()
        requests.advance_release(
            ctx,
            s,
            basis.request_id,
            to=RequestStatus.RELEASED,
            actor=actor,
            release=release_id,
            format=fmt.value,
            people=len(collected.refs),
            rows=collected.rows,
            fields=list(basis.plan.fields),
            payload_sha256=sealed.sha256,
            manifest_sha256=release.manifest.digest(manifest_bytes),
            retention_until=retention_until.isoformat(),
            accounting_first=first,
        )
        return _view(rel)


# --- reads -------------------------------------------------------------------------------------


def status_of(session: Session, release_ids: Iterable[str]) -> dict[str, str]:
    """Status of each known release by id (released, delivered, retention_expired, overdue,
    destroyed, recalled); unknown ids are left out. For people's accounting of disclosures."""
    ids = list(dict.fromkeys(release_ids))
    out: dict[str, str] = {}
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        query = select(Release.id, Release.status).where(Release.id.in_(part))
        out.update((rid, status) for rid, status in session.execute(query))
    return out


def _own(session: Session, actor: RequesterPrincipal, release_id: str) -> Release:
    """A requester's own release; someone else's reads exactly like a missing one."""
    actor.require(Scope.RELEASES_READ)
    row = session.get(Release, release_id)
    if row is None or row.requester_id != actor.id:
        raise NotFoundError("no such release")
    return row


def get(ctx: Context, *, actor: StaffPrincipal, release_id: str) -> ReleaseView:
    actor.require(*_READERS)
    with ctx.reading() as s:
        row = s.get(Release, release_id)
        if row is None:
            raise NotFoundError("no such release")
        return _view(row)


def get_for_requester(ctx: Context, *, actor: RequesterPrincipal, release_id: str) -> ReleaseView:
    with ctx.reading() as s:
        return _view(_own(s, actor, release_id))


def list_for_requester(ctx: Context, *, actor: RequesterPrincipal) -> list[ReleaseView]:
    actor.require(Scope.RELEASES_READ)
    with ctx.reading() as s:
        rows = s.scalars(
            select(Release)
            .where(Release.requester_id == actor.id)
            .order_by(Release.created_at.desc())
        ).all()
        return [_view(r) for r in rows]


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Package:
    """A downloadable package: its file name, size and content as a stream of bytes."""

    filename: str
    size: int
    chunks: Iterator[bytes]


def _members(  # noqa: PLR0917 - the package's parts, in package order
    ctx: Context, row_manifest: str, signature: str, payload: str, copy: str, fmt: str
) -> list[release.Member]:
    data_dir = ctx.settings.data_dir
    payload_path = data_dir / payload
    copy_path = data_dir / copy
    if not payload_path.is_file() or not copy_path.is_file():
        raise ConflictError("the release's ciphertext is no longer held by the agency")
    manifest_bytes = row_manifest.encode()
    sig = signature.encode()
    return [
        release.Member(name=release.MANIFEST, size=len(manifest_bytes), data=manifest_bytes),
        release.Member(name=release.SIGNATURE, size=len(sig), data=sig),
        release.Member(name=release.MANIFEST_COPY, size=copy_path.stat().st_size, path=copy_path),
        release.Member(
            name=release.payload_name(fmt), size=payload_path.stat().st_size, path=payload_path
        ),
    ]


def _tar_size(members: Sequence[release.Member]) -> int:
    return sum(512 + m.size + (-m.size % 512) for m in members) + 1024


def download(ctx: Context, *, actor: RequesterPrincipal, release_id: str) -> Package:
    """The package of one of the requester's releases; each download is a ledger event.

    The event commits before any byte is sent, so an interrupted download is still logged.
    """
    with ctx.transaction() as s:
        row = _own(s, actor, release_id)
        if row.ciphertext_path is None or row.manifest_copy_path is None:
            raise ConflictError("the release's ciphertext has been purged after delivery")
        members = _members(
            ctx,
            row.manifest,
            row.signature,
            row.ciphertext_path,
            row.manifest_copy_path,
            row.format,
        )
        row.downloads += 1
        ledger.append(
            s,
            [
                Event(
                    tag=EventTag.RELEASE_DOWNLOAD_RECORD,
                    at=ctx.now(),
                    actor=actor.actor,
                    request_id=row.request_id,
                    data={"release": row.id, "download": row.downloads},
                )
            ],
        )
        mtime = int(row.created_at.timestamp())
    return Package(
        filename=f"{release_id}.tar",
        size=_tar_size(members),
        chunks=release.stream_package(members, mtime=mtime),
    )


def acknowledge_receipt(
    ctx: Context, *, actor: RequesterPrincipal, release_id: str, payload_sha256: str
) -> ReleaseView:
    """The requester confirms receipt by stating the SHA-256 of the payload it decrypted.

    The receipt is authenticated by the requester's token; a wrong hash is refused (the
    recipient has not got what the manifest describes). released → delivered.
    """
    digest = payload_sha256.strip().lower()
    with ctx.transaction() as s:
        row = _own(s, actor, release_id)
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
        return _view(row)


def attest_destruction(
    ctx: Context,
    *,
    actor: RequesterPrincipal,
    release_id: str,
    destroyed_by: str,
    destroyed_on: dt.date,
    method: str,
    statement: str,
) -> ReleaseView:
    """Store the requester's destruction attestation; the release becomes `destroyed`.

    The ledger event carries the method, the date and the SHA-256 of the whole attestation,
    not the officer's name.
    """
    problems = [
        FieldProblem(path=name, message="required")
        for name, value in (
            ("destroyed_by", destroyed_by),
            ("method", method),
            ("statement", statement),
        )
        if not value.strip()
    ]
    if destroyed_on > ctx.today():
        problems.append(FieldProblem(path="destroyed_on", message="in the future"))
    if problems:
        raise InvalidInputError("the attestation is invalid", problems)
    with ctx.transaction() as s:
        row = _own(s, actor, release_id)
        if ReleaseStatus(row.status) is ReleaseStatus.DESTROYED:
            raise ConflictError("this release is already attested destroyed")
        if destroyed_on < row.created_at.date():
            raise InvalidInputError(
                "the attestation is invalid",
                [FieldProblem(path="destroyed_on", message="before the release was built")],
            )
        now = ctx.now()
        doc = {
            "release": row.id,
            "destroyed_by": destroyed_by.strip(),
            "destroyed_on": destroyed_on.isoformat(),
            "method": method.strip(),
            "statement": statement.strip(),
        }
        s.add(
            DestructionAttestation(
                release_id=row.id,
                destroyed_by=doc["destroyed_by"],
                destroyed_on=destroyed_on,
                method=doc["method"],
                statement=doc["statement"],
                submitted_by=actor.actor,
                submitted_at=now,
            )
        )
        previous = row.status
        row.status = ReleaseStatus.DESTROYED.value
        row.destroyed_at = now
        requests.advance_release(
            ctx,
            s,
            row.request_id,
            to=RequestStatus.DESTROYED,
            actor=actor.actor,
            release=row.id,
            release_status=previous,
            destroyed_on=doc["destroyed_on"],
            method=doc["method"],
            attestation_sha256=hashlib.sha256(bytes(rfc8785.dumps(doc))).hexdigest(),
        )
        return _view(row)


# --- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RetentionItem:
    release_id: str
    request_id: str
    requester_name: str
    status: ReleaseStatus
    deadline: dt.date
    days_left: int
    overdue: bool
    recalled: bool


def _deadline(row: Release, recall_by: dt.date | None) -> dt.date:
    return min(row.retention_until, recall_by) if recall_by is not None else row.retention_until


def _recall_deadlines(session: Session, ids: Sequence[str]) -> dict[str, dt.date]:
    if not ids:
        return {}
    return {
        rid: by
        for rid, by in session.execute(
            select(ReleaseNotice.release_id, func.min(ReleaseNotice.destroy_by))
            .where(ReleaseNotice.release_id.in_(ids), ReleaseNotice.kind == "recall")
            .group_by(ReleaseNotice.release_id)
        )
        if by is not None
    }


def retention_view(
    ctx: Context, *, actor: StaffPrincipal, include_destroyed: bool = False
) -> list[RetentionItem]:
    """Releases by destruction deadline (retention, or an earlier recall date), soonest first."""
    actor.require(*_READERS)
    today = ctx.today()
    with ctx.reading() as s:
        q = select(Release, t.Requester.name).join(
            t.Requester, t.Requester.id == Release.requester_id
        )
        if not include_destroyed:
            q = q.where(Release.status != ReleaseStatus.DESTROYED.value)
        rows = s.execute(q).all()
        recalls = _recall_deadlines(s, [r.id for r, _ in rows])
        items = [
            RetentionItem(
                release_id=r.id,
                request_id=r.request_id,
                requester_name=name,
                status=ReleaseStatus(r.status),
                deadline=(d := _deadline(r, recalls.get(r.id))),
                days_left=(d - today).days,
                overdue=r.status == ReleaseStatus.OVERDUE.value,
                recalled=r.id in recalls,
            )
            for r, name in rows
        ]
    return sorted(items, key=lambda i: (i.deadline, i.release_id))


def sweep_retention(ctx: Context, *, actor: str = "system") -> list[str]:
    """Mark every release whose deadline has passed without an attestation as overdue.

    Per release, one transaction: request → retention_expired → overdue (both logged), the
    release → overdue, and an `oversight:alert:raise` event. Returns the ids marked.
    """
    today = ctx.today()
    with ctx.reading() as s:
        live = [
            ReleaseStatus.RELEASED.value,
            ReleaseStatus.DELIVERED.value,
            ReleaseStatus.RECALLED.value,
        ]
        rows = s.execute(
            select(Release.id, Release.retention_until).where(Release.status.in_(live))
        ).all()
        recalls = _recall_deadlines(s, [r[0] for r in rows])
    due = [
        rid
        for rid, until in rows
        if (min(until, recalls[rid]) if rid in recalls else until) < today
    ]
    marked: list[str] = []
    for rid in sorted(due):
        with ctx.transaction() as s:
            row = s.get(Release, rid, with_for_update=True)
            if row is None or row.status not in live:
                continue
            deadline = _deadline(row, recalls.get(rid))
            req = requests.load_for_release(s, row.request_id)
            if RequestStatus(req.status) in {RequestStatus.RELEASED, RequestStatus.DELIVERED}:
                requests.advance_release(
                    ctx,
                    s,
                    row.request_id,
                    to=RequestStatus.RETENTION_EXPIRED,
                    actor=actor,
                    release=rid,
                    deadline=deadline.isoformat(),
                )
            requests.advance_release(
                ctx,
                s,
                row.request_id,
                to=RequestStatus.OVERDUE,
                actor=actor,
                release=rid,
                deadline=deadline.isoformat(),
            )
            row.status = ReleaseStatus.OVERDUE.value
            row.overdue_at = ctx.now()
            ledger.append(
                s,
                [
                    Event(
                        tag=EventTag.OVERSIGHT_ALERT_RAISE,
                        at=ctx.now(),
                        actor=actor,
                        request_id=row.request_id,
                        data={
                            "alert": "release_destruction_overdue",
                            "release": rid,
                            "requester": row.requester_id,
                            "deadline": deadline.isoformat(),
                        },
                    )
                ],
            )
            marked.append(rid)
    return marked


# --- recall and correction ---------------------------------------------------------------------


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


def recall(
    ctx: Context, *, actor: StaffPrincipal, release_id: str, reason: str, destroy_by: dt.date
) -> NoticeView:
    """Demand that the requester destroy a release by `destroy_by` (an upheld challenge, a
    release found wrong). Tracked: the retention sweep marks it overdue after that date."""
    actor.require(*_NOTIFIERS)
    if not reason.strip():
        raise InvalidInputError(
            "a recall needs a reason", [FieldProblem(path="reason", message="required")]
        )
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
        ledger.append(
            s,
            [
                Event(
                    tag=EventTag.RELEASE_RECALL_ISSUE,
                    at=ctx.now(),
                    actor=actor.actor,
                    request_id=row.request_id,
                    data={
                        "release": row.id,
                        "notice": notice.id,
                        "destroy_by": destroy_by.isoformat(),
                        "reason_sha256": hashlib.sha256(notice.reason.encode()).hexdigest(),
                    },
                )
            ],
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


def correct(ctx: Context, *, actor: StaffPrincipal, release_id: str, reason: str) -> NoticeView:
    """Send corrected rows: the release's people re-read from the current records, with the
    same fields, generalizations and row numbers, encrypted the same way, with a signed manifest
    (`kind: correction`). People excluded since (an upheld challenge) are left out: recall
    their data instead. Each person sent again gets an accounting entry."""
    actor.require(*_NOTIFIERS)
    if not reason.strip():
        raise InvalidInputError(
            "a correction needs a reason", [FieldProblem(path="reason", message="required")]
        )
    signer_keys = ledger_service.signer_keys(ctx.settings)
    verifier_keys = ledger_service.verifier_keys(ctx.settings)
    notice_id = new_id("cor")
    with ctx.reading() as s:
        row = s.get(Release, release_id)
        if row is None:
            raise NotFoundError("no such release")
        if row.status == ReleaseStatus.DESTROYED.value:
            raise ConflictError(
                "this release is attested destroyed; recall-free correction is moot"
            )
        fmt = PayloadFormat(row.format)
        refs = _accounted_refs(s, row)
        row_of = {ref: i + 1 for i, ref in enumerate(refs)}
        basis = _basis_for_correction(ctx, s, row)
        directory = _release_dir(ctx, row.id) / notice_id
        collected = _Collected(refs=[], classes=[])

        def chunks() -> Iterator[pl.DataFrame]:
            for frame in _record_chunks(ctx, s, basis, chunk=CHUNK_PEOPLE):
                kept = frame.filter(pl.col("subject_ref").is_in(list(row_of)))
                yield kept.with_columns(
                    pl.col("subject_ref").replace_strict(row_of, return_dtype=pl.Int64).alias("row")
                )

        try:
            payload_path = directory / release.payload_name(fmt.value)
            sealed = release.seal(
                release.serialize(
                    _minimized_frames(chunks(), basis, collected, None, keep_rows=True), fmt
                ),
                basis.recipients,
                payload_path,
            )
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    try:
        with ctx.transaction() as s:
            row = s.get(Release, release_id, with_for_update=True)
            assert row is not None
            data = _accounting_data(basis, release_id, row.retention_until)
            for d in data.values():
                d["correction"] = notice_id
            first = _append_accounting(
                ctx,
                s,
                request_id=row.request_id,
                actor=actor.actor,
                refs=collected.refs,
                classes=collected.classes,
                data=data,
            )
            manifest = _manifest(
                ctx,
                s,
                basis=basis,
                release_id=notice_id,
                kind="correction",
                fmt=fmt,
                sealed=sealed,
                people=len(collected.refs),
                rows=collected.rows,
                retention_until=row.retention_until,
                accounting_first=first,
                accounting_count=len(collected.refs),
                verifier_keys=verifier_keys,
                extra={"corrects": row.id, "reason": reason.strip()},
            )
            manifest_bytes = release.manifest.canonical(manifest)
            signature = release.manifest.sign(notice_id, manifest_bytes, signer_keys)
            copy_path = directory / release.MANIFEST_COPY
            release.seal_bytes(manifest_bytes, basis.recipients, copy_path)
            notice = ReleaseNotice(
                id=notice_id,
                release_id=row.id,
                kind="correction",
                reason=reason.strip(),
                destroy_by=None,
                manifest=manifest_bytes.decode(),
                signature=signature,
                ciphertext_path=_relative(ctx, payload_path),
                manifest_copy_path=_relative(ctx, copy_path),
                rows=collected.rows,
                issued_by=actor.actor,
                issued_at=ctx.now(),
            )
            s.add(notice)
            ledger.append(
                s,
                [
                    Event(
                        tag=EventTag.RELEASE_CORRECTION_ISSUE,
                        at=ctx.now(),
                        actor=actor.actor,
                        request_id=row.request_id,
                        data={
                            "release": row.id,
                            "notice": notice_id,
                            "rows": collected.rows,
                            "payload_sha256": sealed.sha256,
                            "manifest_sha256": release.manifest.digest(manifest_bytes),
                        },
                    )
                ],
            )
            s.flush()
            return _notice_view(notice)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _basis_for_correction(ctx: Context, session: Session, row: Release) -> _Basis:
    """The basis of the original release, whatever the request's status is now."""
    manifest = json.loads(row.manifest)
    req = session.get(t.Request, row.request_id)
    requester = session.get(t.Requester, row.requester_id)
    assert req is not None
    assert requester is not None
    pack = ctx.pack(manifest["pack"]["name"])
    plan, fields = _plan(session, req, pack, requested_fields=row.fields)
    return _make_basis(req, requester, pack, plan, fields, people=row.people)


def notices_for_requester(
    ctx: Context, *, actor: RequesterPrincipal, release_id: str
) -> list[NoticeView]:
    with ctx.reading() as s:
        row = _own(s, actor, release_id)
        return [
            _notice_view(n)
            for n in s.scalars(
                select(ReleaseNotice)
                .where(ReleaseNotice.release_id == row.id)
                .order_by(ReleaseNotice.issued_at)
            )
        ]


def download_correction(
    ctx: Context, *, actor: RequesterPrincipal, release_id: str, notice_id: str
) -> Package:
    """A correction notice's package (same layout as a release package); logged."""
    with ctx.transaction() as s:
        row = _own(s, actor, release_id)
        n = s.get(ReleaseNotice, notice_id)
        if n is None or n.release_id != row.id or n.kind != "correction":
            raise NotFoundError("no such correction")
        if n.ciphertext_path is None or n.manifest_copy_path is None or n.manifest is None:
            raise ConflictError("the correction's ciphertext has been purged")
        assert n.signature is not None
        members = _members(
            ctx, n.manifest, n.signature, n.ciphertext_path, n.manifest_copy_path, row.format
        )
        ledger.append(
            s,
            [
                Event(
                    tag=EventTag.RELEASE_DOWNLOAD_RECORD,
                    at=ctx.now(),
                    actor=actor.actor,
                    request_id=row.request_id,
                    data={"release": row.id, "notice": n.id},
                )
            ],
        )
        mtime = int(n.issued_at.timestamp())
    return Package(
        filename=f"{notice_id}.tar",
        size=_tar_size(members),
        chunks=release.stream_package(members, mtime=mtime),
    )


# --- purge -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PurgeSummary:
    purged: list[str]
    orphans: list[str]


def purge(ctx: Context, *, actor: str = "system", grace_days: int | None = None) -> PurgeSummary:
    """Delete internal ciphertext of releases delivered more than `grace_days` ago (default:
    the `purge_grace_days` setting) or destroyed, and of builds that never committed.
    Manifests and ledger entries remain.

    The database change commits first, then the files go: a failure in between leaves a file
    nothing points at, which the next purge removes as an orphan.
    """
    if grace_days is None:
        grace_days = ctx.settings.purge_grace_days
    if grace_days < 0:
        raise InvalidInputError("the grace period cannot be negative")
    cutoff = ctx.now() - dt.timedelta(days=grace_days)
    purged: list[str] = []
    with ctx.transaction() as s:
        rows = s.scalars(
            select(Release).where(
                Release.ciphertext_path.is_not(None),
                or_(
                    Release.delivered_at <= cutoff,
                    Release.status == ReleaseStatus.DESTROYED.value,
                ),
            )
        ).all()
        for row in rows:
            row.ciphertext_path = None
            row.manifest_copy_path = None
            row.purged_at = ctx.now()
            for n in s.scalars(select(ReleaseNotice).where(ReleaseNotice.release_id == row.id)):
                n.ciphertext_path = None
                n.manifest_copy_path = None
            ledger.append(
                s,
                [
                    Event(
                        tag=EventTag.RELEASE_CIPHERTEXT_PURGE,
                        at=ctx.now(),
                        actor=actor,
                        request_id=row.request_id,
                        data={"release": row.id, "grace_days": grace_days},
                    )
                ],
            )
            purged.append(row.id)
        known = set(s.scalars(select(Release.id)))
    for rid in purged:
        shutil.rmtree(_release_dir(ctx, rid), ignore_errors=True)
    orphans: list[str] = []
    root = ctx.settings.data_dir / "releases"
    if root.is_dir():
        now = dt.datetime.now(dt.UTC).timestamp()
        for d in root.iterdir():
            if d.name not in known and now - d.stat().st_mtime > ORPHAN_AGE.total_seconds():
                shutil.rmtree(d, ignore_errors=True)
                orphans.append(d.name)
    return PurgeSummary(purged=purged, orphans=orphans)


def sweep_retention_as(ctx: Context, *, actor: StaffPrincipal) -> list[str]:
    """`sweep_retention` started by a staff member (admin or auditor)."""
    actor.require(Role.ADMIN, Role.AUDITOR)
    return sweep_retention(ctx, actor=actor.actor)


def purge_as(ctx: Context, *, actor: StaffPrincipal, grace_days: int | None = None) -> PurgeSummary:
    """`purge` started by an admin."""
    actor.require(Role.ADMIN)
    return purge(ctx, actor=actor.actor, grace_days=grace_days)


def read_payload_rows(data: bytes, fmt: PayloadFormat) -> pl.DataFrame:
    """Parse a decrypted payload (for tests and the recipient's own checks)."""
    buf = io.BytesIO(data)
    if fmt is PayloadFormat.CSV:
        return pl.read_csv(buf, infer_schema=False)
    if fmt is PayloadFormat.JSONL:
        return pl.read_ndjson(buf)
    return pl.read_parquet(buf)


__all__ = [
    "ReleaseStatus",
    "ReleaseView",
    "acknowledge_receipt",
    "attest_destruction",
    "build",
    "correct",
    "download",
    "download_correction",
    "get",
    "get_for_requester",
    "list_for_requester",
    "notices_for_requester",
    "purge",
    "purge_as",
    "recall",
    "retention_view",
    "status_of",
    "sweep_retention",
    "sweep_retention_as",
]
