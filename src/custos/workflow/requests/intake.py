"""Taking in a request: check it against the store, record it, decide it, queue it for review.

A requester submits for itself; intake staff enter a paper request on a requester's behalf.
Invalid input raises InvalidInputError and stores nothing.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from custos import policy
from custos.domain.disclosure import DisclosureRequest
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError
from custos.domain.events import Event, EventTag
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.store import tables as t
from custos.store.core import PreparedInsert
from custos.workflow import documents, journal
from custos.workflow._ids import new_id
from custos.workflow.accounts import RequesterStanding, requester_standing
from custos.workflow.context import Context
from custos.workflow.intake import RequestInput
from custos.workflow.requests.decision import (
    DECISION_TAGS,
    Decided,
    decide,
    mark_decided,
    store_decided,
)
from custos.workflow.requests.state import advance
from custos.workflow.tokens import authenticate_with_standing

#: The requests table and its INSERT, for `_insert`.
_REQUESTS = cast("Table", t.Request.__table__)
_INSERT = PreparedInsert(_REQUESTS, tuple(c.key for c in _REQUESTS.columns))


def validate_against_store(
    ctx: Context,
    session: Session,
    req: DisclosureRequest,
    pack: policy.Pack,
    *,
    by_requester: bool = False,
) -> None:
    """Raise InvalidInputError naming every field the store or the pack cannot accept.

    A requester may cite only a document it uploaded itself: another requester's document
    reads exactly like one that does not exist, so the answer tells nothing about the hash.
    Staff entering a paper request may cite any stored document.
    """
    problems: list[FieldProblem] = [
        FieldProblem(path=f"fields[{i}]", message=f"{f} is not in the field catalogue")
        for i, f in enumerate(req.fields)
        if f not in pack.catalogue
    ]
    sha = req.legal_process.document_sha256
    known = (
        documents.uploaded_by(session, sha, req.requester_id)
        if by_requester
        else documents.exists(session, sha)
    )
    if sha and not known:
        problems.append(
            FieldProblem(
                path="legal_process.document_sha256", message="no uploaded document has this hash"
            )
        )
    if req.agreement_id is not None:
        agreement = session.get(t.Agreement, req.agreement_id)
        if agreement is None or agreement.requester_id != req.requester_id:
            problems.append(
                FieldProblem(path="agreement_id", message="no such agreement for this requester")
            )
    lp = req.legal_process
    if lp.expires_on is not None and lp.expires_on < ctx.today():
        problems.append(
            FieldProblem(path="legal_process.expires_on", message="the legal process has expired")
        )
    if lp.scope is not None:
        problems.append(
            FieldProblem(
                path="legal_process.scope",
                message="counsel records what a document names when classifying it",
            )
        )
    if problems:
        raise InvalidInputError("the request is invalid", problems)


def _on_behalf_of(
    actor: RequesterPrincipal | StaffPrincipal, requester_id: str | None
) -> tuple[str, str | None]:
    """(requester the request is for, staff member who entered it or None)."""
    if isinstance(actor, RequesterPrincipal):
        actor.require(Scope.REQUESTS_WRITE)
        return actor.id, None
    require(actor, Action.REQUEST_SUBMIT)
    if requester_id is None:
        raise InvalidInputError(
            "the request is invalid", [FieldProblem(path="requester_id", message="required")]
        )
    return requester_id, actor.id


def _officer(actor: RequesterPrincipal | StaffPrincipal) -> str | None:
    """The officer who submitted in the portal; None for an API token or staff's entry."""
    return actor.officer_id if isinstance(actor, RequesterPrincipal) else None


def _new_row(
    ctx: Context, data: RequestInput, req: DisclosureRequest, entered_by: str | None
) -> t.Request:
    now = ctx.now()
    return t.Request(
        id=new_id("req"),
        requester_id=req.requester_id,
        status=RequestStatus.RECEIVED.value,
        purpose=req.purpose.value,
        purpose_text=req.purpose_text,
        legal_process=data.legal_process.model_dump(mode="json"),
        classified_process=None,
        statements=data.statements.model_dump(mode="json"),
        fields=[str(f) for f in req.fields],
        bulk=data.bulk.model_dump(mode="json") if data.bulk else None,
        agreement_id=req.agreement_id,
        emergency_statement=req.emergency_statement,
        preservation=req.preservation,
        entered_by=entered_by,
        decision_version=1,
        submitted_at=now,
        updated_at=now,
    )


def _insert(session: Session, row: t.Request) -> None:
    """Insert the request row as it stands, in one prepared INSERT: the ORM's flush of this
    one object cost more than the statement (issue 18). Unset columns get their defaults, as a
    flush gives them; the row object stays outside the session (intake only reads its id)."""
    _INSERT.run(session, [{c.key: getattr(row, c.key) for c in _REQUESTS.columns}])


def _receipt(
    ctx: Context, row: t.Request, req: DisclosureRequest, *, actor: str, requester_kind: str
) -> Event:
    return journal.event(
        ctx,
        EventTag.REQUEST_INTAKE_RECEIVE,
        actor,
        request_id=row.id,
        requester=row.requester_id,
        requester_kind=requester_kind,
        officer=row.officer_id,
        purpose=req.purpose.value,
        legal_process=req.legal_process.kind.value,
        document_sha256=req.legal_process.document_sha256 or None,
        fields=row.fields,
        named_subjects=len(req.subjects),
        bulk=row.bulk,
        agreement=req.agreement_id,
        emergency=req.emergency,
        preservation=req.preservation,
        status=RequestStatus.RECEIVED.value,
    )


def _decide_and_queue(
    ctx: Context, row: t.Request, req: DisclosureRequest, decided: Decided
) -> list[Event]:
    """Move the received request to decided, then into the review queue; their events."""
    mark_decided(row, decided)
    return [
        advance(
            ctx,
            row,
            to=RequestStatus.DECIDED,
            tag=DECISION_TAGS[decided.outcome],
            actor="system",
            **decided.summary,
        ),
        advance(
            ctx,
            row,
            to=RequestStatus.IN_REVIEW,
            tag=EventTag.REQUEST_REVIEW_START,
            actor="system",
            priority="emergency" if req.emergency else "routine",
        ),
    ]


def submit(
    ctx: Context,
    *,
    actor: RequesterPrincipal | StaffPrincipal,
    data: RequestInput,
    requester_id: str | None = None,
) -> str:
    """Take in a request, decide it and put it in the review queue; returns its id.

    A requester submits for itself; intake staff enter a paper request for `requester_id`.
    Invalid input raises InvalidInputError and stores nothing.
    """
    rid, entered_by = _on_behalf_of(actor, requester_id)
    req = data.to_domain(rid)
    with ctx.transaction() as s:
        requester = requester_standing(s, rid)
        if not requester.active:
            raise ConflictError("the requester is deactivated")
        return _take_in(
            ctx, s, actor, data=data, req=req, requester=requester, entered_by=entered_by
        )


def submit_with_token(ctx: Context, *, token: str, data: RequestInput) -> str:
    """`submit` for the requester API: the bearer token is checked in the same transaction.

    Every API submit checked its token in a read of its own first; one unit of work instead
    of two saves a connection checkout, a transaction and a thread hand-off per request
    (issue 18). A token that fails raises AuthenticationError, as anywhere else, and nothing
    is stored.
    """
    with ctx.transaction() as s:
        actor, requester = authenticate_with_standing(ctx, s, token)
        rid, _ = _on_behalf_of(actor, None)
        req = data.to_domain(rid)
        return _take_in(ctx, s, actor, data=data, req=req, requester=requester, entered_by=None)


def _take_in(
    ctx: Context,
    s: Session,
    actor: RequesterPrincipal | StaffPrincipal,
    *,
    data: RequestInput,
    req: DisclosureRequest,
    requester: RequesterStanding,
    entered_by: str | None,
) -> str:
    pack = ctx.active_pack(s)
    validate_against_store(ctx, s, req, pack, by_requester=isinstance(actor, RequesterPrincipal))
    row = _new_row(ctx, data, req, entered_by)
    row.officer_id = _officer(actor)
    # Decide first and write the row once, in its final state; then its subjects, its
    # decisions and its three events in one append (issue 18: 25 statements became 13).
    decided = decide(ctx, s, row, req, pack, requester=requester)
    events = [_receipt(ctx, row, req, actor=actor.actor, requester_kind=requester.kind.value)]
    events += _decide_and_queue(ctx, row, req, decided)
    _insert(s, row)
    store_decided(ctx, s, row, decided)
    journal.record_all(s, events)
    return row.id
