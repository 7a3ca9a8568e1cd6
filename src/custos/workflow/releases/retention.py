"""Retention: the destruction deadlines, the requester's destruction attestation, and the
sweep that marks releases past their deadline overdue (safeguard S9).

A release's deadline is its retention date, or an earlier recall date. Past it without an
attestation, the release and its request become overdue and an oversight alert is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import rfc8785
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError
from custos.domain.events import EventTag
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, StaffPrincipal
from custos.store import tables as t
from custos.store.release_tables import DestructionAttestation, Release, ReleaseNotice
from custos.workflow import journal, requests
from custos.workflow.context import Context
from custos.workflow.releases._views import ReleaseStatus, ReleaseView, own, view

#: Statuses the sweep looks at: not yet overdue, destroyed or (only) expired.
_SWEPT = (
    ReleaseStatus.RELEASED.value,
    ReleaseStatus.DELIVERED.value,
    ReleaseStatus.RECALLED.value,
)


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


def _deadline(retention_until: dt.date, recall_by: dt.date | None) -> dt.date:
    return min(retention_until, recall_by) if recall_by is not None else retention_until


def _recall_deadlines(session: Session, ids: Sequence[str]) -> dict[str, dt.date]:
    """The earliest recall date of each release that has one."""
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
    require(actor, Action.RELEASE_READ)
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
                deadline=(d := _deadline(r.retention_until, recalls.get(r.id))),
                days_left=(d - today).days,
                overdue=r.status == ReleaseStatus.OVERDUE.value,
                recalled=r.id in recalls,
            )
            for r, name in rows
        ]
    return sorted(items, key=lambda i: (i.deadline, i.release_id))


@dataclass(frozen=True, kw_only=True)
class _Attestation:
    """What the requester attests, trimmed: stored whole, logged by its SHA-256."""

    release: str
    destroyed_by: str
    destroyed_on: dt.date
    method: str
    statement: str

    def document(self) -> dict[str, str]:
        return {
            "release": self.release,
            "destroyed_by": self.destroyed_by,
            "destroyed_on": self.destroyed_on.isoformat(),
            "method": self.method,
            "statement": self.statement,
        }

    def sha256(self) -> str:
        return hashlib.sha256(bytes(rfc8785.dumps(self.document()))).hexdigest()

    def row(self, *, submitted_by: str, at: dt.datetime) -> DestructionAttestation:
        return DestructionAttestation(
            release_id=self.release,
            destroyed_by=self.destroyed_by,
            destroyed_on=self.destroyed_on,
            method=self.method,
            statement=self.statement,
            submitted_by=submitted_by,
            submitted_at=at,
        )


def _check_attestation(
    ctx: Context, *, destroyed_by: str, destroyed_on: dt.date, method: str, statement: str
) -> None:
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
    _check_attestation(
        ctx,
        destroyed_by=destroyed_by,
        destroyed_on=destroyed_on,
        method=method,
        statement=statement,
    )
    with ctx.transaction() as s:
        row = own(s, actor, release_id)
        if ReleaseStatus(row.status) is ReleaseStatus.DESTROYED:
            raise ConflictError("this release is already attested destroyed")
        if destroyed_on < row.created_at.date():
            raise InvalidInputError(
                "the attestation is invalid",
                [FieldProblem(path="destroyed_on", message="before the release was built")],
            )
        now = ctx.now()
        doc = _Attestation(
            release=row.id,
            destroyed_by=destroyed_by.strip(),
            destroyed_on=destroyed_on,
            method=method.strip(),
            statement=statement.strip(),
        )
        s.add(doc.row(submitted_by=actor.actor, at=now))
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
            destroyed_on=destroyed_on.isoformat(),
            method=doc.method,
            attestation_sha256=doc.sha256(),
        )
        return view(row)


def _due(ctx: Context) -> tuple[list[str], dict[str, dt.date]]:
    """Ids of releases past their deadline (sorted), and every recall deadline read."""
    today = ctx.today()
    with ctx.reading() as s:
        rows = s.execute(
            select(Release.id, Release.retention_until).where(Release.status.in_(_SWEPT))
        ).all()
        recalls = _recall_deadlines(s, [r[0] for r in rows])
    due = [rid for rid, until in rows if _deadline(until, recalls.get(rid)) < today]
    return sorted(due), recalls


def _mark_overdue(ctx: Context, rid: str, recall_by: dt.date | None, *, actor: str) -> bool:
    """One transaction: request → retention_expired → overdue (both logged), the release →
    overdue, and an `oversight:alert:raise` event. False if the release moved on meanwhile."""
    with ctx.transaction() as s:
        row = s.get(Release, rid, with_for_update=True)
        if row is None or row.status not in _SWEPT:
            return False
        deadline = _deadline(row.retention_until, recall_by).isoformat()
        req = requests.load_for_release(s, row.request_id)
        steps = [RequestStatus.OVERDUE]
        if RequestStatus(req.status) in {RequestStatus.RELEASED, RequestStatus.DELIVERED}:
            steps.insert(0, RequestStatus.RETENTION_EXPIRED)
        for to in steps:
            requests.advance_release(
                ctx, s, row.request_id, to=to, actor=actor, release=rid, deadline=deadline
            )
        row.status = ReleaseStatus.OVERDUE.value
        row.overdue_at = ctx.now()
        journal.record(
            ctx,
            s,
            EventTag.OVERSIGHT_ALERT_RAISE,
            actor,
            request_id=row.request_id,
            alert="release_destruction_overdue",
            release=rid,
            requester=row.requester_id,
            deadline=deadline,
        )
    return True


def sweep_retention(ctx: Context, *, actor: str = "system") -> list[str]:
    """Mark every release whose deadline has passed without an attestation as overdue.

    Per release, one transaction: request → retention_expired → overdue (both logged), the
    release → overdue, and an `oversight:alert:raise` event. Returns the ids marked.
    """
    due, recalls = _due(ctx)
    return [rid for rid in due if _mark_overdue(ctx, rid, recalls.get(rid), actor=actor)]


def sweep_retention_as(ctx: Context, *, actor: StaffPrincipal) -> list[str]:
    """`sweep_retention` started by a staff member (admin or auditor)."""
    require(actor, Action.RETENTION_SWEEP)
    return sweep_retention(ctx, actor=actor.actor)
