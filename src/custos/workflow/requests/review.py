"""Reviewing a request: classification, the two approvals, denial, withdrawal, lapse, holds.

Each public function is one unit of work (or, for holds, one step in the caller's); every
status change is a checked transition with its ledger event in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.domain.decisions import Effect, Outcome
from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from custos.domain.events import EventTag
from custos.domain.lifecycle import TRANSITIONS, UNRELEASED, RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.store import tables as t
from custos.workflow import documents
from custos.workflow.accounts import get_requester
from custos.workflow.context import Context
from custos.workflow.intake import LegalProcessInput, scope_problems
from custos.workflow.requests.decision import redecide
from custos.workflow.requests.state import (
    REQUIRED_APPROVALS,
    effective_process,
    load,
    log,
    transition,
)

# --- classification --------------------------------------------------------------------------


def classify(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    request_id: str,
    legal_process: LegalProcessInput | None = None,
    note: str = "",
) -> RequestStatus:
    """A legal reviewer confirms (None) or corrects the legal-process classification.

    A correction (recording the document's scope is one) re-runs the decision under the
    corrected process; approvals given to the earlier decision no longer count. Once the
    classification stands, a decision that discloses nothing to anyone closes the request as
    denied, in the same transaction: no approval step waits on it. A request that matched
    nobody takes exactly the same steps, so the requester cannot tell the two apart. Returns
    the request's status afterwards.
    """
    require(actor, Action.REQUEST_CLASSIFY)
    problems = scope_problems(legal_process) if legal_process is not None else []
    if problems:
        raise InvalidInputError("the classification is invalid", problems)
    pack = ctx.active_pack()
    with ctx.transaction() as s:
        row = load(s, request_id, lock=True)
        if RequestStatus(row.status) is not RequestStatus.IN_REVIEW:
            raise ConflictError(f"a request {row.status} cannot be classified")
        current = effective_process(row)
        if legal_process is None or legal_process.to_domain() == current:
            row.classified_process = row.classified_process or row.legal_process
            row.classified_by = actor.id
            row.updated_at = ctx.now()
            log(
                ctx,
                s,
                row,
                EventTag.REQUEST_CLASSIFICATION_CONFIRM,
                actor.actor,
                legal_process=current.kind.value,
                note=note,
            )
        else:
            _correct(ctx, s, row, actor=actor, legal_process=legal_process, note=note)
            redecide(ctx, s, row, pack, actor="system")
        _close_if_nothing_disclosed(ctx, s, row)
        return RequestStatus(row.status)


#: The internal reason recorded when the system closes a request whose decision discloses
#: nothing; requesters see only the neutral wording of a denial.
NOTHING_DISCLOSED_REASON = (
    "Closed by the system: once the legal process was confirmed, the decision disclosed "
    "nothing to anyone."
)
#: The reason code the closing event carries (the same for a match and a no-match).
NOTHING_DISCLOSED_CODE = "nothing_disclosed"


def _discloses(session: Session, row: t.Request) -> bool:
    """Whether the stored decision discloses (or generalizes) any field for anyone."""
    count = session.scalar(
        select(func.count())
        .select_from(t.DecisionRow)
        .where(t.DecisionRow.request_id == row.id, t.DecisionRow.effect != Effect.WITHHOLD.value)
    )
    return bool(count)


def _close_if_nothing_disclosed(ctx: Context, session: Session, row: t.Request) -> None:
    """Deny, as the system, a classified request whose decision discloses nothing.

    A preservation request discloses nothing by design and keeps its single approval.
    """
    if row.outcome == Outcome.PRESERVE.value or _discloses(session, row):
        return
    row.denial_reason = NOTHING_DISCLOSED_REASON
    transition(
        ctx,
        session,
        row,
        to=RequestStatus.DENIED,
        tag=EventTag.REQUEST_STATUS_DENY,
        actor="system",
        reason=NOTHING_DISCLOSED_CODE,
        decision_version=row.decision_version,
    )


def _correct(
    ctx: Context,
    session: Session,
    row: t.Request,
    *,
    actor: StaffPrincipal,
    legal_process: LegalProcessInput,
    note: str,
) -> None:
    """Store a corrected classification and move the decision version on."""
    if legal_process.document_sha256 and not documents.exists(
        session, legal_process.document_sha256
    ):
        raise InvalidInputError(
            "the classification is invalid",
            [FieldProblem(path="legal_process.document_sha256", message="no such document")],
        )
    previous = effective_process(row)
    row.classified_process = legal_process.model_dump(mode="json")
    row.classified_by = actor.id
    row.decision_version += 1
    row.updated_at = ctx.now()
    log(
        ctx,
        session,
        row,
        EventTag.REQUEST_CLASSIFICATION_CORRECT,
        actor.actor,
        previous=previous.kind.value,
        legal_process=legal_process.kind.value,
        note=note,
    )


# --- lapse -----------------------------------------------------------------------------------


def lapse_if_expired(ctx: Context, request_id: str) -> bool:
    """Lapse the request if its legal process has expired; True if it lapsed (committed).

    Approval and the building of a release both call it first: an expired process never
    releases anything.
    """
    with ctx.transaction() as s:
        row = load(s, request_id, lock=True)
        if RequestStatus(row.status) not in UNRELEASED:
            return False
        process = effective_process(row)
        if not process.expired(ctx.today()):
            return False
        transition(
            ctx,
            s,
            row,
            to=RequestStatus.LAPSED,
            tag=EventTag.REQUEST_STATUS_LAPSE,
            actor="system",
            expired_on=process.expires_on.isoformat() if process.expires_on else None,
        )
        return True


def lapse_expired(ctx: Context) -> int:
    """Sweep: lapse every open request whose legal process has expired. Returns how many.

    For the server's own schedule and the operator's CLI; staff use `lapse_expired_as`.
    """
    with ctx.reading() as s:
        ids = list(
            s.scalars(
                select(t.Request.id).where(t.Request.status.in_([st.value for st in UNRELEASED]))
            )
        )
    return sum(lapse_if_expired(ctx, rid) for rid in ids)


def lapse_expired_as(ctx: Context, *, actor: StaffPrincipal) -> int:
    """The lapse sweep, run by a staff member who may (`request:lapse-sweep`)."""
    require(actor, Action.REQUEST_LAPSE_SWEEP)
    return lapse_expired(ctx)


# --- approval and denial ---------------------------------------------------------------------


def _check_may_approve(session: Session, row: t.Request, actor: StaffPrincipal) -> set[str]:
    """Raise unless `actor` may approve this decision now; returns who already approved it."""
    if RequestStatus(row.status) is not RequestStatus.IN_REVIEW:
        raise ConflictError(f"a request {row.status} cannot be approved")
    if row.classified_by is None:
        raise ConflictError("a legal reviewer must confirm the legal process first")
    requester = get_requester(session, row.requester_id)
    if actor.id in {requester.registered_by, row.entered_by}:
        raise PermissionDeniedError(
            "you registered this requester or entered this request; another person must approve"
        )
    if row.outcome != Outcome.PRESERVE.value and not _discloses(session, row):
        # Only a re-decision after the classification (an opt-out) leaves such a request
        # open: closing it then would tell the requester when the person opted out.
        raise ConflictError("the decision discloses nothing; deny the request with a reason")
    already = set(
        session.scalars(
            select(t.Approval.staff_id).where(
                t.Approval.request_id == row.id,
                t.Approval.decision_version == row.decision_version,
            )
        )
    )
    if actor.id in already:
        raise ConflictError("you have already approved this decision; a second person must")
    return already


def approve(
    ctx: Context, *, actor: StaffPrincipal, request_id: str, note: str = ""
) -> RequestStatus:
    """Record one approval; the second, by a different person, approves the request.

    Neither approver may be the staff member who registered the requester or entered the
    request; the legal classification must have been reviewed first.
    """
    require(actor, Action.REQUEST_APPROVE)
    if lapse_if_expired(ctx, request_id):
        raise ConflictError("the legal process has expired; the request has lapsed")
    with ctx.transaction() as s:
        row = load(s, request_id, lock=True)
        already = _check_may_approve(s, row, actor)
        version = row.decision_version
        s.add(
            t.Approval(
                request_id=row.id,
                staff_id=actor.id,
                decision_version=version,
                note=note,
                at=ctx.now(),
            )
        )
        count = len(already) + 1
        log(
            ctx,
            s,
            row,
            EventTag.REQUEST_APPROVAL_GRANT,
            actor.actor,
            decision_version=version,
            approvals=count,
        )
        needed = 1 if row.outcome == Outcome.PRESERVE.value else REQUIRED_APPROVALS
        if count >= needed:
            transition(
                ctx,
                s,
                row,
                to=RequestStatus.APPROVED,
                tag=EventTag.REQUEST_STATUS_APPROVE,
                actor=actor.actor,
                decision_version=version,
                approvals=count,
            )
        return RequestStatus(row.status)


def deny(ctx: Context, *, actor: StaffPrincipal, request_id: str, reason: str) -> None:
    """Deny with a reason. The reason is internal; requesters see one neutral wording."""
    require(actor, Action.REQUEST_DENY)
    if not reason.strip():
        raise InvalidInputError(
            "a denial needs a reason", [FieldProblem(path="reason", message="required")]
        )
    with ctx.transaction() as s:
        row = load(s, request_id, lock=True)
        row.denial_reason = reason.strip()
        transition(
            ctx,
            s,
            row,
            to=RequestStatus.DENIED,
            tag=EventTag.REQUEST_STATUS_DENY,
            actor=actor.actor,
        )


def withdraw(ctx: Context, *, actor: RequesterPrincipal, request_id: str) -> None:
    """A requester withdraws its own open request."""
    actor.require(Scope.REQUESTS_WRITE)
    with ctx.transaction() as s:
        row = load(s, request_id, lock=True)
        if row.requester_id != actor.id:
            raise NotFoundError("no such request")
        if not RequestStatus(row.status).open_for_requester:
            raise ConflictError("this request can no longer be withdrawn")
        transition(
            ctx,
            s,
            row,
            to=RequestStatus.WITHDRAWN,
            tag=EventTag.REQUEST_STATUS_WITHDRAW,
            actor=actor.actor,
        )


# --- holds (a challenge, inside the caller's transaction) ------------------------------------


def hold(ctx: Context, session: Session, *, request_id: str, actor: str, reason: str) -> bool:
    """Put a not-yet-released request on hold inside the caller's transaction (a challenge).

    Returns False when the request is past the point where a hold applies (already released,
    denied, …); the caller then records the challenge against the release instead.
    """
    row = load(session, request_id, lock=True)
    current = RequestStatus(row.status)
    if RequestStatus.ON_HOLD not in TRANSITIONS[current]:
        return current is RequestStatus.ON_HOLD
    transition(
        ctx,
        session,
        row,
        to=RequestStatus.ON_HOLD,
        tag=EventTag.REQUEST_STATUS_HOLD,
        actor=actor,
        reason=reason,
    )
    return True


def resume(ctx: Context, session: Session, *, request_id: str, actor: str, reason: str) -> None:
    """Take a request off hold, back to review, inside the caller's transaction.

    Approvals given before the hold no longer count: the decision version moves on.
    """
    row = load(session, request_id, lock=True)
    row.decision_version += 1
    transition(
        ctx,
        session,
        row,
        to=RequestStatus.IN_REVIEW,
        tag=EventTag.REQUEST_STATUS_RESUME,
        actor=actor,
        reason=reason,
    )
