"""Building a release: plan, minimize and seal, then account for and publish it at once.

1. *Plan* — the stored per-class decisions give, for each decision class, the fields that
   leave and how they are generalized (`custos.release.plan_release`).
2. *Minimize and seal* — the included people's records are read in chunks, minimized with
   Polars, serialized and streamed through age to the requester's recipient keys. Only
   ciphertext reaches the disk.
3. *Account and publish* — one transaction appends one `release:accounting:entry` per person,
   signs the manifest, writes the release row and moves the request to `released`.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import release
from custos.domain.errors import ConflictError
from custos.domain.events import Event, EventTag
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.release import PayloadFormat
from custos.store.ledger_tables import LedgerCheckpoint
from custos.store.release_tables import Release
from custos.workflow import journal, requests
from custos.workflow import ledger as ledger_service
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.releases._basis import (
    CHUNK_PEOPLE,
    Basis,
    Collected,
    Progress,
    approved_basis,
    count_included,
    minimized_frames,
    record_chunks,
)
from custos.workflow.releases._views import ReleaseStatus, ReleaseView, relative, release_dir, view

#: Accounting entries appended per ledger call (all in the one transaction).
APPEND_BATCH = 25_000


@dataclass(frozen=True, kw_only=True)
class Keys:
    """The agency's manifest keys, read before anything is written (fails closed)."""

    signer: list[str]
    verifier: list[str]

    @classmethod
    def read(cls, ctx: Context) -> Keys:
        return cls(
            signer=ledger_service.signer_keys(ctx.settings),
            verifier=ledger_service.verifier_keys(ctx.settings),
        )


@dataclass(frozen=True, kw_only=True)
class SignedManifest:
    """A manifest's canonical bytes, its signed note, and its sealed copy on disk."""

    data: bytes
    signature: str
    copy_path: Path

    @property
    def digest(self) -> str:
        return release.manifest.digest(self.data)


def accounting_data(basis: Basis, release_id: str, retention_until: dt.date) -> dict[str, Any]:
    """Per class: the `data` of each person's accounting entry (the interface people's
    accounting reads; never plaintext personal data)."""
    d = basis.disclosure
    delay = d.process.nondisclosure_until
    out: dict[str, Any] = {}
    for key, cls in basis.plan.classes.items():
        out[key] = {
            "release": release_id,
            "requester": d.requester_id,
            "requester_name": d.requester_name,
            "requester_kind": d.requester_kind,
            "fields": cls.fields,
            "generalized": cls.generalized,
            "legal_process": d.process.kind.value,
            "purpose": d.purpose,
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


def append_accounting(
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
    # People of one class share the facts of their entry: one Event object per class, which
    # the ledger encodes once as a template and completes per person with their pseudonym
    # (`data.subject`, inside the hashed entry), hashing each person's entry.
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
        idx = journal.record_all(session, events, subject_refs=list(part_refs))
        if first is None and idx:
            first = idx[0]
    return first


def account_for(
    ctx: Context,
    session: Session,
    *,
    actor: str,
    basis: Basis,
    release_id: str,
    retention_until: dt.date,
    collected: Collected,
    correction: str | None = None,
) -> int | None:
    """The accounting entries of everyone a release (or a correction of it) carries."""
    data = accounting_data(basis, release_id, retention_until)
    if correction is not None:
        for d in data.values():
            d["correction"] = correction
    return append_accounting(
        ctx,
        session,
        request_id=basis.request_id,
        actor=actor,
        refs=collected.refs,
        classes=collected.classes,
        data=data,
    )


def latest_checkpoint(session: Session) -> dict[str, Any] | None:
    """The latest published checkpoint (size and base64 root), read in the caller's session."""
    row = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return {"size": row.size, "root": base64.b64encode(bytes(row.root)).decode()}


def sign_manifest(
    ctx: Context,
    session: Session,
    *,
    kind: str,
    release_id: str,
    basis: Basis,
    contents: release.Contents,
    retention_until: dt.date,
    accounting_first: int | None,
    directory: Path,
    keys: Keys,
    extra: dict[str, Any] | None = None,
) -> SignedManifest:
    """Build, sign and seal (a copy for the recipient, in `directory`) a manifest."""
    manifest = release.build_manifest(
        kind=kind,
        release_id=release_id,
        disclosure=basis.disclosure,
        contents=contents,
        retention_until=retention_until,
        anchor=release.LedgerAnchor(
            origin=ctx.settings.ledger_origin,
            checkpoint=latest_checkpoint(session),
            accounting_first=accounting_first,
            accounting_count=contents.people,
        ),
        created_at=ctx.now(),
        signers=keys.verifier,
        extra=extra,
    )
    data = release.manifest.canonical(manifest)
    signature = release.manifest.sign(release_id, data, keys.signer)
    copy_path = directory / release.MANIFEST_COPY
    release.seal_bytes(data, basis.recipients, copy_path)
    return SignedManifest(data=data, signature=signature, copy_path=copy_path)


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
    ConflictError (nothing written) unless the request is approved and discloses something;
    a request whose legal process has expired since approval lapses instead.
    """
    require(actor, Action.RELEASE_BUILD)
    # The legal process is checked again here, not only at approval: it may have expired since.
    if requests.lapse_if_expired(ctx, request_id):
        raise ConflictError("the legal process has expired; the request has lapsed")
    keys = Keys.read(ctx)
    release_id = new_id("rel")
    directory = release_dir(ctx, release_id)
    try:
        with ctx.reading() as s:
            basis = approved_basis(ctx, s, request_id)
            chosen = fmt or (PayloadFormat.PARQUET if basis.bulk else PayloadFormat.CSV)
            collected = Collected(refs=[], classes=[])
            frames = minimized_frames(
                record_chunks(ctx, s, basis, chunk=chunk), basis, collected, progress
            )
            payload_path = directory / release.payload_name(chosen.value)
            sealed = release.seal(release.serialize(frames, chosen), basis.recipients, payload_path)
        contents = release.Contents(
            format=chosen, sealed=sealed, people=len(collected.refs), rows=collected.rows
        )
        return publish(
            ctx,
            actor=actor.actor,
            basis=basis,
            release_id=release_id,
            contents=contents,
            collected=collected,
            payload_path=payload_path,
            keys=keys,
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _check_unchanged(session: Session, basis: Basis, collected: Collected) -> None:
    """The request and its subjects are as they were read before sealing (else: retry)."""
    row = requests.load_for_release(session, basis.request_id)
    if (
        RequestStatus(row.status) is not RequestStatus.APPROVED
        or row.decision_version != basis.decision_version
    ):
        raise ConflictError("the request changed while its release was being built; retry")
    if count_included(session, basis.request_id, basis.plan) != len(collected.refs):
        raise ConflictError("the request's subjects changed while the release was built; retry")


def _release_row(
    ctx: Context,
    *,
    actor: str,
    basis: Basis,
    release_id: str,
    contents: release.Contents,
    payload_path: Path,
    signed: SignedManifest,
    retention_until: dt.date,
    accounting_first: int | None,
) -> Release:
    sealed = contents.sealed
    return Release(
        id=release_id,
        request_id=basis.request_id,
        requester_id=basis.disclosure.requester_id,
        status=ReleaseStatus.RELEASED.value,
        format=contents.format.value,
        fields=list(basis.plan.fields),
        people=contents.people,
        rows=contents.rows,
        payload_sha256=sealed.sha256,
        payload_size=sealed.size,
        ciphertext_sha256=sealed.ciphertext_sha256,
        ciphertext_size=sealed.ciphertext_size,
        ciphertext_path=relative(ctx, payload_path),
        manifest_copy_path=relative(ctx, signed.copy_path),
        manifest=signed.data.decode(),
        signature=signed.signature,
        retention_until=retention_until,
        accounting_first=accounting_first,
        accounting_count=contents.people,
        built_by=actor,
        created_at=ctx.now(),
        downloads=0,
    )


def _mark_released(
    ctx: Context, session: Session, rel: Release, *, actor: str, manifest_sha256: str
) -> None:
    """The request → released, logged with what the release holds."""
    requests.advance_release(
        ctx,
        session,
        rel.request_id,
        to=RequestStatus.RELEASED,
        actor=actor,
        release=rel.id,
        format=rel.format,
        people=rel.people,
        rows=rel.rows,
        fields=list(rel.fields),
        payload_sha256=rel.payload_sha256,
        manifest_sha256=manifest_sha256,
        retention_until=rel.retention_until.isoformat(),
        accounting_first=rel.accounting_first,
    )


def publish(
    ctx: Context,
    *,
    actor: str,
    basis: Basis,
    release_id: str,
    contents: release.Contents,
    collected: Collected,
    payload_path: Path,
    keys: Keys,
) -> ReleaseView:
    """The one transaction: accounting entries, manifest, release row, request → released."""
    with ctx.transaction() as s:
        _check_unchanged(s, basis, collected)
        retention_until = basis.plan.retention_until(ctx.today())
        first = account_for(
            ctx,
            s,
            actor=actor,
            basis=basis,
            release_id=release_id,
            retention_until=retention_until,
            collected=collected,
        )
        signed = sign_manifest(
            ctx,
            s,
            kind="release",
            release_id=release_id,
            basis=basis,
            contents=contents,
            retention_until=retention_until,
            accounting_first=first,
            directory=payload_path.parent,
            keys=keys,
        )
        rel = _release_row(
            ctx,
            actor=actor,
            basis=basis,
            release_id=release_id,
            contents=contents,
            payload_path=payload_path,
            signed=signed,
            retention_until=retention_until,
            accounting_first=first,
        )
        s.add(rel)
        s.flush()
        _mark_released(ctx, s, rel, actor=actor, manifest_sha256=signed.digest)
        return view(rel)
