"""A stored request and its state machine: loading it, moving it on, logging each move.

Every status change goes through `custos.domain.lifecycle.check_transition` and records its
ledger event inside the caller's transaction, so a change and its entry commit together or
not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.disclosure import DisclosureRequest
from custos.domain.errors import NotFoundError
from custos.domain.events import Event, EventTag
from custos.domain.legal import LegalProcess
from custos.domain.lifecycle import RequestStatus, check_transition
from custos.store import tables as t
from custos.workflow import journal
from custos.workflow.context import Context
from custos.workflow.intake import LegalProcessInput, RequestInput

#: How many distinct staff members must approve a request that discloses anything.
REQUIRED_APPROVALS = 2


def load(session: Session, request_id: str, *, lock: bool = False) -> t.Request:
    """The request row (locked for update if `lock`), or NotFoundError."""
    q = select(t.Request).where(t.Request.id == request_id)
    if lock:
        q = q.with_for_update()
    row = session.scalar(q)
    if row is None:
        raise NotFoundError("no such request")
    return row


def log(
    ctx: Context, session: Session, row: t.Request, tag: EventTag, actor: str, **data: Any
) -> None:
    """Record an event about the request in the caller's transaction."""
    journal.record(ctx, session, tag, actor, request_id=row.id, **data)


def transition(
    ctx: Context,
    session: Session,
    row: t.Request,
    *,
    to: RequestStatus,
    tag: EventTag,
    actor: str,
    **data: Any,
) -> None:
    """Move a request to `to` and record the transition's event: the one way to do it."""
    made = advance(ctx, row, to=to, tag=tag, actor=actor, **data)
    journal.record_all(session, [made])


def advance(
    ctx: Context, row: t.Request, *, to: RequestStatus, tag: EventTag, actor: str, **data: Any
) -> Event:
    """Move a request to `to` and return the transition's event, for the caller to record
    with the rest of its events in one append (`journal.record_all`) in the same
    transaction — intake's three events take the ledger's sequencing lock once, not thrice."""
    current = RequestStatus(row.status)
    check_transition(current, to)
    row.status = to.value
    row.updated_at = ctx.now()
    return journal.event(
        ctx, tag, actor, request_id=row.id, previous=current.value, status=to.value, **data
    )


def effective_process(row: t.Request) -> LegalProcess:
    """The legal process a request rests on: as a legal reviewer classified it, else as entered."""
    raw = row.classified_process or row.legal_process
    return LegalProcessInput.model_validate(raw).to_domain()


def subjects_of(session: Session, row: t.Request) -> Sequence[t.RequestSubject]:
    """The request's subject rows, in the order they were given."""
    return session.scalars(
        select(t.RequestSubject)
        .where(t.RequestSubject.request_id == row.id)
        .order_by(t.RequestSubject.position)
    ).all()


def domain_request(row: t.Request, subjects: Sequence[t.RequestSubject]) -> DisclosureRequest:
    """The domain request a stored row (and its subjects) stands for, as last classified."""
    data: dict[str, Any] = {
        "subjects": [s.identifier for s in subjects if s.identifier is not None],
        "bulk": row.bulk,
        "fields": row.fields,
        "purpose": row.purpose,
        "purpose_text": row.purpose_text,
        "legal_process": row.classified_process or row.legal_process,
        "statements": row.statements,
        "agreement_id": row.agreement_id,
        "emergency_statement": row.emergency_statement,
        "preservation": row.preservation,
    }
    return RequestInput.model_validate(data).to_domain(row.requester_id)


# --- releases (called by custos.workflow.releases inside its own transactions) -------------


def load_for_release(session: Session, request_id: str) -> t.Request:
    """The request, locked for update, for a release step in the caller's transaction."""
    return load(session, request_id, lock=True)


#: The request status each step of a release moves to, and the event that logs it.
RELEASE_STEPS: dict[RequestStatus, EventTag] = {
    RequestStatus.RELEASED: EventTag.RELEASE_PACKAGE_BUILD,
    RequestStatus.DELIVERED: EventTag.RELEASE_RECEIPT_ACKNOWLEDGE,
    RequestStatus.RETENTION_EXPIRED: EventTag.RELEASE_RETENTION_EXPIRE,
    RequestStatus.OVERDUE: EventTag.RELEASE_RETENTION_OVERDUE,
    RequestStatus.DESTROYED: EventTag.RELEASE_DESTRUCTION_ATTEST,
}


def advance_release(
    ctx: Context,
    session: Session,
    request_id: str,
    *,
    to: RequestStatus,
    actor: str,
    **data: Any,
) -> None:
    """Move a released request one step on (released → delivered → retention_expired →
    overdue, or → destroyed), logged with the step's event, in the caller's transaction."""
    row = load(session, request_id, lock=True)
    transition(ctx, session, row, to=to, tag=RELEASE_STEPS[to], actor=actor, **data)
