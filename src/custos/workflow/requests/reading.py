"""Reading requests: what a requester is told, what staff review, the queue and the events.

Neither confirm nor deny: everything a requester sees of a request — its status, its wording,
its HTTP status — is the same whether or not anyone matched. Internal statuses that would
reveal a person (a challenge puts a request `on_hold`) are shown to requesters as `pending`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.domain.decisions import Effect, Outcome
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.errors import NotFoundError
from custos.domain.legal import FleeingFelonStatements, LegalProcessKind
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.domain.subjects import NO_MATCH_KEY, OUTSIDE_SCOPE_KEY
from custos.rights import ReleaseWindow
from custos.store import tables as t
from custos.workflow.accounts import get_requester
from custos.workflow.context import Context
from custos.workflow.officers import officer_names
from custos.workflow.requests.state import REQUIRED_APPROVALS, load
from custos.workflow.requests.window import release_window_of

#: What a requester is told, by outward status. One wording per status, whatever the reason.
OUTWARD_MESSAGES = {
    "pending": "The request is under review.",
    "approved": "The request is approved. A release will be prepared.",
    "denied": "No records are disclosed in response to this request.",
    "released": "A release is ready to download.",
    "delivered": "The release was delivered.",
    "withdrawn": "The request was withdrawn.",
    "lapsed": "The legal process expired before the request was decided. Nothing was disclosed.",
    "closed": "The request is closed.",
}


def outward_status(status: RequestStatus) -> str:
    """The status a requester sees. Never reveals a challenge or a match."""
    if status in {
        RequestStatus.RECEIVED,
        RequestStatus.DECIDED,
        RequestStatus.IN_REVIEW,
        RequestStatus.ON_HOLD,
    }:
        return "pending"
    if status in {
        RequestStatus.APPROVED,
        RequestStatus.DENIED,
        RequestStatus.RELEASED,
        RequestStatus.DELIVERED,
        RequestStatus.WITHDRAWN,
        RequestStatus.LAPSED,
    }:
        return status.value
    return "closed"


@dataclass(frozen=True, kw_only=True)
class RequesterRequestView:
    """A request as its requester sees it: nothing about matches, people or internal steps."""

    id: str
    status: str
    message: str
    purpose: Purpose
    legal_process: LegalProcessKind
    fields: tuple[str, ...]
    named_subjects: int
    bulk: bool
    emergency: bool
    preservation: bool
    submitted_at: dt.datetime
    #: An approved request still waiting out the people's challenge window reads `pending`,
    #: with the first day it may be released once every letter is sent (null until then).
    earliest_release: dt.date | None = None


def _requester_view(
    row: t.Request, named: int, window: ReleaseWindow, today: dt.date
) -> RequesterRequestView:
    """What the requester is told. An approved request that must still wait for the people
    it names to be told and to have their say reads `pending` with its earliest release date:
    the date says when, never who or how many."""
    waiting = RequestStatus(row.status) is RequestStatus.APPROVED and window.waits(today)
    status = "pending" if waiting else outward_status(RequestStatus(row.status))
    return RequesterRequestView(
        id=row.id,
        status=status,
        message=OUTWARD_MESSAGES[status],
        purpose=Purpose(row.purpose),
        legal_process=LegalProcessKind(row.legal_process["kind"]),
        fields=tuple(row.fields),
        named_subjects=named,
        bulk=row.bulk is not None,
        emergency=row.emergency_statement is not None,
        preservation=row.preservation,
        submitted_at=row.submitted_at,
        earliest_release=window.earliest if waiting else None,
    )


def _window_if_approved(ctx: Context, session: Session, row: t.Request) -> ReleaseWindow:
    """The release window, read only where it can matter (an approved request)."""
    if RequestStatus(row.status) is not RequestStatus.APPROVED:
        return ReleaseWindow()
    return release_window_of(ctx, session, row)


def _named_count(session: Session, row: t.Request) -> int:
    if row.bulk is not None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(t.RequestSubject)
            .where(t.RequestSubject.request_id == row.id)
        )
        or 0
    )


def get_for_requester(
    ctx: Context, *, actor: RequesterPrincipal, request_id: str
) -> RequesterRequestView:
    """A requester's own request. Someone else's reads exactly like a missing one (404)."""
    actor.require(Scope.REQUESTS_READ)
    with ctx.reading() as s:
        row = s.get(t.Request, request_id)
        if row is None or row.requester_id != actor.id:
            raise NotFoundError("no such request")
        window = _window_if_approved(ctx, s, row)
        return _requester_view(row, _named_count(s, row), window, ctx.today())


def list_for_requester(ctx: Context, *, actor: RequesterPrincipal) -> list[RequesterRequestView]:
    actor.require(Scope.REQUESTS_READ)
    with ctx.reading() as s:
        rows = s.scalars(
            select(t.Request)
            .where(t.Request.requester_id == actor.id)
            .order_by(t.Request.submitted_at.desc())
        ).all()
        today = ctx.today()
        return [
            _requester_view(r, _named_count(s, r), _window_if_approved(ctx, s, r), today)
            for r in rows
        ]


@dataclass(frozen=True, kw_only=True)
class FieldDecisionView:
    field: str
    effect: Effect
    rule_ids: tuple[str, ...]
    citations: tuple[str, ...]
    reasons: tuple[str, ...]
    obligations: dict[str, Any]
    compelled: bool
    needs_review: bool


@dataclass(frozen=True, kw_only=True)
class DecisionClassView:
    """People with the same policy-relevant facts, and the decision for each field."""

    class_key: str
    people: int
    #: Whether the class holds matched people (False for no-match and outside-scope classes).
    matched: bool
    #: People the classified document does not name, matched or not, decided alike.
    outside_scope: bool
    fields: tuple[FieldDecisionView, ...]


@dataclass(frozen=True, kw_only=True)
class SubjectView:
    position: int
    identifier: dict[str, str] | None
    matched: bool
    subject_ref: str
    class_key: str
    #: The matched person's name as the agency's records hold it (staff only), or "".
    person_name: str = ""


@dataclass(frozen=True, kw_only=True)
class ApprovalView:
    staff_id: str
    decision_version: int
    at: dt.datetime
    note: str
    #: The approver's display name, so pages name people rather than ids.
    staff_name: str = ""


@dataclass(frozen=True, kw_only=True)
class StaffRequestView:
    """Everything staff need to review a request."""

    id: str
    requester_id: str
    requester_name: str
    requester_kind: RequesterKind
    status: RequestStatus
    outcome: Outcome | None
    purpose: Purpose
    purpose_text: str
    legal_process: dict[str, Any]
    classified_process: dict[str, Any] | None
    classified_by: str | None
    statements: FleeingFelonStatements
    fields: tuple[str, ...]
    bulk: dict[str, Any] | None
    agreement_id: str | None
    emergency_statement: str | None
    preservation: bool
    pack_name: str | None
    pack_hash: str | None
    decision_version: int
    entered_by: str | None
    denial_reason: str | None
    submitted_at: dt.datetime
    updated_at: dt.datetime
    subjects: tuple[SubjectView, ...]
    subject_count: int
    classes: tuple[DecisionClassView, ...]
    approvals: tuple[ApprovalView, ...]
    approvals_needed: int
    #: People the release would carry who must be told before disclosure, how many of their
    #: letters are not yet marked sent, and the first day the release may be built (None
    #: while letters are unsent, or when nobody is told before).
    noticed_before: int = 0
    letters_unsent: int = 0
    earliest_release: dt.date | None = None
    #: The officer who submitted it in the portal; None for the agency's API token or a
    #: paper request staff entered.
    officer_id: str | None = None
    officer_name: str = ""
    #: Display names of the staff named above by id (who classified, who entered it).
    classified_by_name: str | None = None
    entered_by_name: str | None = None


#: Staff reads show at most this many subject rows; bulk requests are summarised by class.
MAX_SUBJECT_ROWS = 200


def _subject_views(session: Session, row: t.Request) -> tuple[SubjectView, ...]:
    subjects = session.execute(
        select(t.RequestSubject, t.Person.first_name, t.Person.last_name)
        .outerjoin(t.Person, t.Person.id == t.RequestSubject.person_id)
        .where(t.RequestSubject.request_id == row.id)
        .order_by(t.RequestSubject.position)
        .limit(MAX_SUBJECT_ROWS)
    ).all()
    return tuple(
        SubjectView(
            position=sj.position,
            identifier=sj.identifier,
            matched=sj.person_id is not None,
            subject_ref=sj.subject_ref,
            class_key=sj.class_key,
            person_name=f"{first} {last}" if sj.person_id is not None else "",
        )
        for sj, first, last in subjects
    )


def _class_sizes(session: Session, row: t.Request) -> dict[str, int]:
    return dict(
        session.execute(
            select(t.RequestSubject.class_key, func.count())
            .where(t.RequestSubject.request_id == row.id)
            .group_by(t.RequestSubject.class_key)
        ).all()
    )


def _class_views(
    session: Session, row: t.Request, sizes: dict[str, int]
) -> tuple[DecisionClassView, ...]:
    decisions = session.scalars(
        select(t.DecisionRow).where(t.DecisionRow.request_id == row.id).order_by(t.DecisionRow.id)
    ).all()
    by_class: dict[str, list[FieldDecisionView]] = {}
    for d in decisions:
        by_class.setdefault(d.class_key, []).append(
            FieldDecisionView(
                field=d.field,
                effect=Effect(d.effect),
                rule_ids=tuple(d.rule_ids),
                citations=tuple(d.citations),
                reasons=tuple(d.reasons),
                obligations=dict(d.obligations),
                compelled=d.compelled,
                needs_review=d.needs_review,
            )
        )
    return tuple(
        DecisionClassView(
            class_key=key,
            people=sizes.get(key, 0),
            matched=key not in {NO_MATCH_KEY, OUTSIDE_SCOPE_KEY},
            outside_scope=key == OUTSIDE_SCOPE_KEY,
            fields=tuple(fields),
        )
        for key, fields in by_class.items()
    )


def _approval_views(session: Session, row: t.Request) -> tuple[ApprovalView, ...]:
    approvals = session.execute(
        select(t.Approval, t.Staff.display_name)
        .join(t.Staff, t.Staff.id == t.Approval.staff_id)
        .where(t.Approval.request_id == row.id)
        .order_by(t.Approval.at)
    ).all()
    return tuple(
        ApprovalView(
            staff_id=a.staff_id,
            decision_version=a.decision_version,
            at=a.at,
            note=a.note,
            staff_name=name,
        )
        for a, name in approvals
    )


def staff_names(session: Session, ids: Iterable[str | None]) -> dict[str, str]:
    """Display names by staff id, for pages that name people rather than show ids."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(t.Staff.id, t.Staff.display_name).where(t.Staff.id.in_(wanted)))
    return dict(rows.all())


def get_for_staff(ctx: Context, *, actor: StaffPrincipal, request_id: str) -> StaffRequestView:
    """Everything staff need to review one request."""
    require(actor, Action.REQUEST_READ)
    with ctx.reading() as s:
        row = load(s, request_id)
        requester = get_requester(s, row.requester_id)
        sizes = _class_sizes(s, row)
        window = release_window_of(ctx, s, row)
        names = staff_names(s, (row.classified_by, row.entered_by))
        return StaffRequestView(
            id=row.id,
            requester_id=row.requester_id,
            requester_name=requester.name,
            requester_kind=RequesterKind(requester.kind),
            status=RequestStatus(row.status),
            outcome=Outcome(row.outcome) if row.outcome else None,
            purpose=Purpose(row.purpose),
            purpose_text=row.purpose_text,
            legal_process=dict(row.legal_process),
            classified_process=dict(row.classified_process) if row.classified_process else None,
            classified_by=row.classified_by,
            statements=FleeingFelonStatements(**row.statements),
            fields=tuple(row.fields),
            bulk=row.bulk,
            agreement_id=row.agreement_id,
            emergency_statement=row.emergency_statement,
            preservation=row.preservation,
            pack_name=row.pack_name,
            pack_hash=row.pack_hash,
            decision_version=row.decision_version,
            entered_by=row.entered_by,
            denial_reason=row.denial_reason,
            submitted_at=row.submitted_at,
            updated_at=row.updated_at,
            subjects=_subject_views(s, row),
            subject_count=sum(sizes.values()),
            classes=_class_views(s, row, sizes),
            approvals=_approval_views(s, row),
            approvals_needed=1 if row.preservation else REQUIRED_APPROVALS,
            noticed_before=window.noticed,
            letters_unsent=window.unsent,
            earliest_release=window.earliest,
            officer_id=row.officer_id,
            officer_name=officer_names(s, {row.officer_id}).get(row.officer_id, "")
            if row.officer_id
            else "",
            classified_by_name=names.get(row.classified_by or ""),
            entered_by_name=names.get(row.entered_by or ""),
        )


@dataclass(frozen=True, kw_only=True)
class QueueItem:
    id: str
    requester_name: str
    status: RequestStatus
    outcome: Outcome | None
    purpose: Purpose
    legal_process: str
    emergency: bool
    bulk: bool
    submitted_at: dt.datetime


def queue(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    statuses: Iterable[RequestStatus] | None = None,
    limit: int = 200,
) -> list[QueueItem]:
    """Requests by status, emergencies first, then oldest first."""
    require(actor, Action.REQUEST_READ)
    with ctx.reading() as s:
        q = select(t.Request, t.Requester.name).join(
            t.Requester, t.Requester.id == t.Request.requester_id
        )
        if statuses is not None:
            q = q.where(t.Request.status.in_([st.value for st in statuses]))
        q = q.order_by(t.Request.emergency_statement.is_(None), t.Request.submitted_at).limit(limit)
        return [
            QueueItem(
                id=r.id,
                requester_name=name,
                status=RequestStatus(r.status),
                outcome=Outcome(r.outcome) if r.outcome else None,
                purpose=Purpose(r.purpose),
                legal_process=(r.classified_process or r.legal_process)["kind"],
                emergency=r.emergency_statement is not None,
                bulk=r.bulk is not None,
                submitted_at=r.submitted_at,
            )
            for r, name in s.execute(q)
        ]


def events_for(ctx: Context, *, actor: StaffPrincipal, request_id: str) -> list[dict[str, Any]]:
    """The ledger entries of one request, oldest first (staff view)."""
    require(actor, Action.REQUEST_READ)
    with ctx.reading() as s:
        load(s, request_id)
        rows = s.scalars(
            select(t.LedgerEntry)
            .where(t.LedgerEntry.request_id == request_id)
            .order_by(t.LedgerEntry.idx)
        ).all()
        events = [{"index": r.idx, **json.loads(r.body)} for r in rows]
        names = _actor_names(s, [str(e.get("actor", "")) for e in events])
        return [{**e, "by": names.get(str(e.get("actor", "")), e.get("actor", ""))} for e in events]


def _actor_names(session: Session, actors: list[str]) -> dict[str, str]:
    """`staff:stf_…` → the staff member's name, `requester:rqr_…` → the agency's name."""
    staff = staff_names(
        session, (a.removeprefix("staff:") for a in actors if a.startswith("staff:"))
    )
    wanted = {a.removeprefix("requester:") for a in actors if a.startswith("requester:")}
    agencies: dict[str, str] = {}
    if wanted:
        rows = session.execute(
            select(t.Requester.id, t.Requester.name).where(t.Requester.id.in_(wanted))
        )
        agencies = dict(rows.all())
    return {
        **{f"staff:{k}": v for k, v in staff.items()},
        **{f"requester:{k}": v for k, v in agencies.items()},
    }
