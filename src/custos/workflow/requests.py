"""The life of a disclosure request: intake, decision, review, approval, denial, withdrawal.

Each public function is one unit of work. Every status change goes through
`custos.domain.lifecycle.check_transition` and appends its ledger event inside the same
transaction, so a change and its entry commit together or not at all.

Neither confirm nor deny: an identifier that matches nobody is decided exactly like a person
whom no rule lets us disclose, and everything a requester sees of a request — its status, its
wording, its HTTP status — is the same in both cases. Internal statuses that would reveal a
person (a challenge puts a request `on_hold`) are shown to requesters as `pending`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from custos import ledger, policy, records
from custos.domain.decisions import Effect, FieldDecision, Obligations, Outcome, outcome_of
from custos.domain.decisions import SubjectDecision as _SubjectDecision
from custos.domain.disclosure import DisclosureRequest, Purpose, RequesterKind
from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from custos.domain.events import Event, EventTag
from custos.domain.legal import FleeingFelonStatements, LegalProcess, LegalProcessKind
from custos.domain.lifecycle import TRANSITIONS, UNRELEASED, RequestStatus, check_transition
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.domain.programs import Program
from custos.domain.pseudonyms import NO_MATCH, pseudonym
from custos.domain.roles import Role
from custos.domain.subjects import NO_MATCH_KEY, SubjectFacts
from custos.store import tables as t
from custos.workflow import documents
from custos.workflow._ids import new_id
from custos.workflow.accounts import agreement_view, get_requester
from custos.workflow.context import Context
from custos.workflow.intake import LegalProcessInput, RequestInput

#: How many distinct staff members must approve a request that discloses anything.
REQUIRED_APPROVALS = 2

_DECISION_TAGS = {
    Outcome.APPROVED: EventTag.REQUEST_DECISION_DISCLOSE,
    Outcome.PARTLY_APPROVED: EventTag.REQUEST_DECISION_PARTIAL,
    Outcome.DENIED: EventTag.REQUEST_DECISION_DENY,
    Outcome.NEEDS_REVIEW: EventTag.REQUEST_DECISION_REVIEW,
    Outcome.PRESERVE: EventTag.REQUEST_DECISION_DENY,
}

# --- shared helpers --------------------------------------------------------------------------


def _transition(
    ctx: Context,
    session: Session,
    row: t.Request,
    *,
    to: RequestStatus,
    tag: EventTag,
    actor: str,
    **data: Any,
) -> None:
    """Move a request to `target` and append the transition's event: the one way to do it."""
    current = RequestStatus(row.status)
    check_transition(current, to)
    row.status = to.value
    row.updated_at = ctx.now()
    _log(ctx, session, row, tag, actor, previous=current.value, status=to.value, **data)


def _log(
    ctx: Context, session: Session, row: t.Request, tag: EventTag, actor: str, **data: Any
) -> None:
    ledger.append(
        session, [Event(tag=tag, at=ctx.now(), actor=actor, request_id=row.id, data=data)]
    )


def effective_process(row: t.Request) -> LegalProcess:
    """The legal process a request rests on: as a legal reviewer classified it, else as entered."""
    raw = row.classified_process or row.legal_process
    return LegalProcessInput.model_validate(raw).to_domain()


def _domain_request(row: t.Request, subjects: Sequence[t.RequestSubject]) -> DisclosureRequest:
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


def _load(session: Session, request_id: str, *, lock: bool = False) -> t.Request:
    q = select(t.Request).where(t.Request.id == request_id)
    if lock:
        q = q.with_for_update()
    row = session.scalar(q)
    if row is None:
        raise NotFoundError("no such request")
    return row


# --- intake and decision ---------------------------------------------------------------------


def _validate_against_store(
    ctx: Context, session: Session, req: DisclosureRequest, pack: policy.Pack
) -> None:
    problems: list[FieldProblem] = []
    for i, f in enumerate(req.fields):
        if f not in pack.catalogue:
            problems.append(
                FieldProblem(path=f"fields[{i}]", message=f"{f} is not in the field catalogue")
            )
    sha = req.legal_process.document_sha256
    if sha and not documents.exists(session, sha):
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
    if problems:
        raise InvalidInputError("the request is invalid", problems)


def _decision_context(
    ctx: Context, session: Session, req: DisclosureRequest, requester_kind: RequesterKind
) -> policy.DecisionContext:
    agreement = None
    if req.agreement_id is not None:
        row = session.get(t.Agreement, req.agreement_id)
        if row is not None:
            view = agreement_view(row)
            agreement = policy.AgreementFacts(
                programs=frozenset(view.programs),
                fields=frozenset(view.fields),
                purposes=frozenset(view.purposes),
                valid_from=view.valid_from,
                valid_until=view.valid_until,
                agreement_id=view.id,
                protocol_document=view.protocols.protocol_document,
                use_limited_to_program=view.protocols.use_limited_to_program,
                no_onward_sharing=view.protocols.no_onward_sharing,
                administers=view.protocols.administers,
            )
    requester = session.get(t.Requester, req.requester_id)
    return policy.DecisionContext(
        requester_programs=frozenset(Program(p) for p in (requester.programs if requester else ())),
        requester_kind=requester_kind,
        purpose=req.purpose,
        legal_process=req.legal_process,
        statements=req.statements,
        fields=req.fields,
        named=not req.is_bulk,
        agreement=agreement,
        emergency=req.emergency,
        preservation=req.preservation,
        today=ctx.today(),
    )


def _subjects_with_facts(
    session: Session, req: DisclosureRequest, today: dt.date
) -> list[tuple[dict[str, str] | None, str | None, SubjectFacts | None]]:
    """(identifier as given, matched person id or None, their facts) for each subject."""
    if req.bulk is not None:
        return [
            (None, pid, facts)
            for chunk in records.select_bulk_facts(session, req.bulk, on=today)
            for pid, facts in chunk
        ]
    matched = [(s.as_dict(), records.match(session, s)) for s in req.subjects]
    facts = records.facts_for(session, [p for _, p in matched if p is not None], on=today)
    return [(ident, pid, facts.get(pid) if pid else None) for ident, pid in matched]


_SUBJECT_COLUMNS = ("request_id", "position", "identifier", "person_id", "subject_ref", "class_key")


def _insert_subjects(
    session: Session, rows: list[tuple[str, int, dict[str, str] | None, str | None, str, str]]
) -> None:
    """Insert subject rows. Bulk requests carry a million rows with no identifier: those go
    through the driver's executemany in batches (the ORM would take a minute for them)."""
    if not rows:
        return
    named = [r for r in rows if r[2] is not None]
    if named:
        session.execute(
            insert(t.RequestSubject), [dict(zip(_SUBJECT_COLUMNS, r, strict=True)) for r in named]
        )
    anonymous = [(*r[:2], *r[3:], False) for r in rows if r[2] is None]
    if not anonymous:
        return
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join([c for c in _SUBJECT_COLUMNS if c != "identifier"] + ["excluded"])
    sql = f"INSERT INTO request_subjects ({columns}) VALUES ({', '.join([marker] * 6)})"  # noqa: S608  # nosec B608  (constants only)
    connection = session.connection()
    for start in range(0, len(anonymous), _BATCH):
        connection.exec_driver_sql(sql, anonymous[start : start + _BATCH])


#: Rows per executemany batch when inserting a bulk request's subjects.
_BATCH = 50_000


def _decide_and_store(
    ctx: Context, session: Session, row: t.Request, req: DisclosureRequest, pack: policy.Pack
) -> tuple[Outcome, dict[str, Any]]:
    """Match, decide per class and store; returns the outcome and the event's summary.

    Rewrites the request's subjects and decision rows (a re-decision replaces them; the
    ledger keeps the history of outcomes).
    """
    # People an upheld challenge removed stay removed, whatever the new decision.
    excluded = set(
        session.scalars(
            select(t.RequestSubject.person_id).where(
                t.RequestSubject.request_id == row.id, t.RequestSubject.excluded.is_(True)
            )
        )
    )
    session.execute(delete(t.DecisionRow).where(t.DecisionRow.request_id == row.id))
    session.execute(delete(t.RequestSubject).where(t.RequestSubject.request_id == row.id))
    row.pack_name = pack.name
    row.pack_hash = pack.content_hash
    if req.preservation:
        row.outcome = Outcome.PRESERVE.value
        return Outcome.PRESERVE, {"outcome": Outcome.PRESERVE.value, "pack_hash": pack.content_hash}

    requester = get_requester(session, row.requester_id)
    context = _decision_context(ctx, session, req, RequesterKind(requester.kind))
    secret = ctx.settings.pseudonym_key
    # (identifier as given, person id or None, facts or None) per subject, in order.
    subjects = _subjects_with_facts(session, req, ctx.today())
    classes: dict[str, SubjectFacts | None] = {}
    key_of: dict[int, str] = {}  # facts are shared objects: key each one once
    subject_keys: list[str] = []
    for _, _, facts in subjects:
        if facts is None:
            key = NO_MATCH_KEY
        else:
            key = key_of.get(id(facts)) or key_of.setdefault(id(facts), facts.key())
        classes.setdefault(key, facts)
        subject_keys.append(key)
    keys = list(classes)
    decided = policy.decide(pack, context, [classes[k] for k in keys])
    by_key: dict[str, tuple[FieldDecision, ...]] = dict(zip(keys, decided, strict=True))
    _insert_subjects(
        session,
        [
            (
                row.id,
                i,
                ident,
                pid,
                pseudonym(secret, pid) if pid is not None else NO_MATCH,
                key,
            )
            for i, ((ident, pid, _), key) in enumerate(zip(subjects, subject_keys, strict=True))
        ],
    )
    if excluded:
        session.execute(
            update(t.RequestSubject)
            .where(
                t.RequestSubject.request_id == row.id,
                t.RequestSubject.person_id.in_(excluded - {None}),
            )
            .values(excluded=True)
        )
    if by_key:
        session.execute(
            insert(t.DecisionRow),
            [
                {
                    "request_id": row.id,
                    "class_key": key,
                    "field": str(d.field),
                    "effect": d.effect.value,
                    "rule_ids": list(d.rule_ids),
                    "citations": list(d.citations),
                    "obligations": _obligations_dict(d.obligations),
                    "compelled": d.compelled,
                    "needs_review": d.needs_review,
                    "reasons": list(d.reasons),
                }
                for key, decisions in by_key.items()
                for d in decisions
            ],
        )

    sizes = Counter(subject_keys)
    outcome = outcome_of(_SubjectDecision(subject_ref=key, fields=by_key[key]) for key in keys)
    row.outcome = outcome.value
    # Counts of people per field and effect: enough to audit, no personal data.
    effects: dict[str, Counter[str]] = {}
    for key, decisions in by_key.items():
        for d in decisions:
            effects.setdefault(str(d.field), Counter())[d.effect.value] += sizes[key]
    summary = {
        "outcome": outcome.value,
        "pack": pack.name,
        "pack_version": pack.version,
        "pack_hash": pack.content_hash,
        "decision_version": row.decision_version,
        "subjects": len(subject_keys),
        "fields": {f: dict(sorted(c.items())) for f, c in sorted(effects.items())},
    }
    return outcome, summary


def _obligations_dict(o: Obligations) -> dict[str, Any]:
    return {
        "notify": o.notify.value,
        "notice_delay_requires_statement": o.notice_delay_requires_statement,
        "retention_days": o.retention_days,
        "no_onward_sharing": o.no_onward_sharing,
        "generalize_to": o.generalize_to,
    }


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
    if isinstance(actor, RequesterPrincipal):
        actor.require(Scope.REQUESTS_WRITE)
        rid = actor.id
        entered_by = None
    else:
        actor.require(Role.INTAKE)
        if requester_id is None:
            raise InvalidInputError(
                "the request is invalid", [FieldProblem(path="requester_id", message="required")]
            )
        rid = requester_id
        entered_by = actor.id
    req = data.to_domain(rid)
    pack = ctx.active_pack()
    with ctx.transaction() as s:
        requester = get_requester(s, rid)
        if not requester.active:
            raise ConflictError("the requester is deactivated")
        _validate_against_store(ctx, s, req, pack)
        now = ctx.now()
        row = t.Request(
            id=new_id("req"),
            requester_id=rid,
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
        s.add(row)
        s.flush()
        _log(
            ctx,
            s,
            row,
            EventTag.REQUEST_INTAKE_RECEIVE,
            actor.actor,
            requester=rid,
            requester_kind=requester.kind,
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
        outcome, summary = _decide_and_store(ctx, s, row, req, pack)
        _transition(
            ctx,
            s,
            row,
            to=RequestStatus.DECIDED,
            tag=_DECISION_TAGS[outcome],
            actor="system",
            **summary,
        )
        _transition(
            ctx,
            s,
            row,
            to=RequestStatus.IN_REVIEW,
            tag=EventTag.REQUEST_REVIEW_START,
            actor="system",
            priority="emergency" if req.emergency else "routine",
        )
        return row.id


# --- review ---------------------------------------------------------------------------------


def classify(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    request_id: str,
    legal_process: LegalProcessInput | None = None,
    note: str = "",
) -> None:
    """A legal reviewer confirms (None) or corrects the legal-process classification.

    A correction re-runs the decision under the corrected process; approvals given to the
    earlier decision no longer count.
    """
    actor.require(Role.LEGAL_REVIEWER)
    pack = ctx.active_pack()
    with ctx.transaction() as s:
        row = _load(s, request_id, lock=True)
        if RequestStatus(row.status) is not RequestStatus.IN_REVIEW:
            raise ConflictError(f"a request {row.status} cannot be classified")
        current = effective_process(row)
        if legal_process is None or legal_process.to_domain() == current:
            row.classified_process = row.classified_process or row.legal_process
            row.classified_by = actor.id
            row.updated_at = ctx.now()
            _log(
                ctx,
                s,
                row,
                EventTag.REQUEST_CLASSIFICATION_CONFIRM,
                actor.actor,
                legal_process=current.kind.value,
                note=note,
            )
            return
        if legal_process.document_sha256 and not documents.exists(s, legal_process.document_sha256):
            raise InvalidInputError(
                "the classification is invalid",
                [FieldProblem(path="legal_process.document_sha256", message="no such document")],
            )
        row.classified_process = legal_process.model_dump(mode="json")
        row.classified_by = actor.id
        row.decision_version += 1
        row.updated_at = ctx.now()
        _log(
            ctx,
            s,
            row,
            EventTag.REQUEST_CLASSIFICATION_CORRECT,
            actor.actor,
            previous=current.kind.value,
            legal_process=legal_process.kind.value,
            note=note,
        )
        subjects = s.scalars(
            select(t.RequestSubject)
            .where(t.RequestSubject.request_id == row.id)
            .order_by(t.RequestSubject.position)
        ).all()
        req = _domain_request(row, subjects)
        outcome, summary = _decide_and_store(ctx, s, row, req, pack)
        _log(ctx, s, row, _DECISION_TAGS[outcome], "system", redecided=True, **summary)


def redecide_for_person(
    ctx: Context, session: Session, *, person_id: str, actor: str, reason: str, pack: policy.Pack
) -> list[str]:
    """Re-decide, inside the caller's transaction, every unreleased request about a person.

    When a fact the policies read changes (an opt-out), decisions already made about the
    person must not go out on the old facts. Each such request is decided again under
    `pack`; approvals of the old decision stop counting, and an approved request goes back
    to review. Returns the ids of the requests re-decided.
    """
    ids = list(
        session.scalars(
            select(t.Request.id)
            .join(t.RequestSubject, t.RequestSubject.request_id == t.Request.id)
            .where(
                t.RequestSubject.person_id == person_id,
                t.RequestSubject.excluded.is_(False),
                t.Request.status.in_([s.value for s in UNRELEASED]),
            )
            .distinct()
        )
    )
    for request_id in sorted(ids):
        row = _load(session, request_id, lock=True)
        subjects = session.scalars(
            select(t.RequestSubject)
            .where(t.RequestSubject.request_id == row.id)
            .order_by(t.RequestSubject.position)
        ).all()
        req = _domain_request(row, subjects)
        row.decision_version += 1
        row.updated_at = ctx.now()
        outcome, summary = _decide_and_store(ctx, session, row, req, pack)
        _log(
            ctx,
            session,
            row,
            _DECISION_TAGS[outcome],
            actor,
            redecided=True,
            reason=reason,
            **summary,
        )
        if RequestStatus(row.status) is RequestStatus.APPROVED:
            _transition(
                ctx,
                session,
                row,
                to=RequestStatus.IN_REVIEW,
                tag=EventTag.REQUEST_STATUS_REOPEN,
                actor=actor,
                reason=reason,
            )
    return sorted(ids)


def _lapse_if_expired(ctx: Context, request_id: str) -> bool:
    """Lapse the request if its legal process has expired; True if it lapsed (committed)."""
    with ctx.transaction() as s:
        row = _load(s, request_id, lock=True)
        if RequestStatus(row.status) not in UNRELEASED:
            return False
        process = effective_process(row)
        if not process.expired(ctx.today()):
            return False
        _transition(
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
    """Sweep: lapse every open request whose legal process has expired. Returns how many."""
    with ctx.reading() as s:
        ids = list(
            s.scalars(
                select(t.Request.id).where(t.Request.status.in_([st.value for st in UNRELEASED]))
            )
        )
    return sum(_lapse_if_expired(ctx, rid) for rid in ids)


def approve(
    ctx: Context, *, actor: StaffPrincipal, request_id: str, note: str = ""
) -> RequestStatus:
    """Record one approval; the second, by a different person, approves the request.

    Neither approver may be the staff member who registered the requester or entered the
    request; the legal classification must have been reviewed first.
    """
    actor.require(Role.APPROVER)
    if _lapse_if_expired(ctx, request_id):
        raise ConflictError("the legal process has expired; the request has lapsed")
    with ctx.transaction() as s:
        row = _load(s, request_id, lock=True)
        if RequestStatus(row.status) is not RequestStatus.IN_REVIEW:
            raise ConflictError(f"a request {row.status} cannot be approved")
        if row.classified_by is None:
            raise ConflictError("a legal reviewer must confirm the legal process first")
        requester = get_requester(s, row.requester_id)
        if actor.id in {requester.registered_by, row.entered_by}:
            raise PermissionDeniedError(
                "you registered this requester or entered this request; another person must approve"
            )
        discloses = s.scalar(
            select(func.count())
            .select_from(t.DecisionRow)
            .where(
                t.DecisionRow.request_id == row.id, t.DecisionRow.effect != Effect.WITHHOLD.value
            )
        )
        preservation = row.outcome == Outcome.PRESERVE.value
        if not discloses and not preservation:
            raise ConflictError("the decision discloses nothing; deny the request with a reason")
        already = set(
            s.scalars(
                select(t.Approval.staff_id).where(
                    t.Approval.request_id == row.id,
                    t.Approval.decision_version == row.decision_version,
                )
            )
        )
        if actor.id in already:
            raise ConflictError("you have already approved this decision; a second person must")
        s.add(
            t.Approval(
                request_id=row.id,
                staff_id=actor.id,
                decision_version=row.decision_version,
                note=note,
                at=ctx.now(),
            )
        )
        count = len(already) + 1
        _log(
            ctx,
            s,
            row,
            EventTag.REQUEST_APPROVAL_GRANT,
            actor.actor,
            decision_version=row.decision_version,
            approvals=count,
        )
        needed = 1 if preservation else REQUIRED_APPROVALS
        if count >= needed:
            _transition(
                ctx,
                s,
                row,
                to=RequestStatus.APPROVED,
                tag=EventTag.REQUEST_STATUS_APPROVE,
                actor=actor.actor,
                decision_version=row.decision_version,
                approvals=count,
            )
        return RequestStatus(row.status)


def deny(ctx: Context, *, actor: StaffPrincipal, request_id: str, reason: str) -> None:
    """Deny with a reason. The reason is internal; requesters see one neutral wording."""
    actor.require(Role.LEGAL_REVIEWER, Role.APPROVER)
    if not reason.strip():
        raise InvalidInputError(
            "a denial needs a reason", [FieldProblem(path="reason", message="required")]
        )
    with ctx.transaction() as s:
        row = _load(s, request_id, lock=True)
        row.denial_reason = reason.strip()
        _transition(
            ctx,
            s,
            row,
            to=RequestStatus.DENIED,
            tag=EventTag.REQUEST_STATUS_DENY,
            actor=actor.actor,
        )


def withdraw(ctx: Context, *, actor: RequesterPrincipal, request_id: str) -> None:
    actor.require(Scope.REQUESTS_WRITE)
    with ctx.transaction() as s:
        row = _load(s, request_id, lock=True)
        if row.requester_id != actor.id:
            raise NotFoundError("no such request")
        if not RequestStatus(row.status).open_for_requester:
            raise ConflictError("this request can no longer be withdrawn")
        _transition(
            ctx,
            s,
            row,
            to=RequestStatus.WITHDRAWN,
            tag=EventTag.REQUEST_STATUS_WITHDRAW,
            actor=actor.actor,
        )


def hold(ctx: Context, session: Session, *, request_id: str, actor: str, reason: str) -> bool:
    """Put a not-yet-released request on hold inside the caller's transaction (a challenge).

    Returns False when the request is past the point where a hold applies (already released,
    denied, …); the caller then records the challenge against the release instead.
    """
    row = _load(session, request_id, lock=True)
    current = RequestStatus(row.status)
    if RequestStatus.ON_HOLD not in TRANSITIONS[current]:
        return current is RequestStatus.ON_HOLD
    _transition(
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
    row = _load(session, request_id, lock=True)
    row.decision_version += 1
    _transition(
        ctx,
        session,
        row,
        to=RequestStatus.IN_REVIEW,
        tag=EventTag.REQUEST_STATUS_RESUME,
        actor=actor,
        reason=reason,
    )


# --- releases (called by custos.workflow.releases inside its own transactions) -------------


def load_for_release(session: Session, request_id: str) -> t.Request:
    """The request, locked for update, for a release step in the caller's transaction."""
    return _load(session, request_id, lock=True)


def _release_step(
    ctx: Context,
    session: Session,
    request_id: str,
    *,
    to: RequestStatus,
    tag: EventTag,
    actor: str,
    **data: Any,
) -> None:
    row = _load(session, request_id, lock=True)
    _transition(ctx, session, row, to=to, tag=tag, actor=actor, **data)


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
    _release_step(ctx, session, request_id, to=to, tag=RELEASE_STEPS[to], actor=actor, **data)


# --- views ----------------------------------------------------------------------------------

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


def _requester_view(row: t.Request, named: int) -> RequesterRequestView:
    status = outward_status(RequestStatus(row.status))
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
    )


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
        return _requester_view(row, _named_count(s, row))


def list_for_requester(ctx: Context, *, actor: RequesterPrincipal) -> list[RequesterRequestView]:
    actor.require(Scope.REQUESTS_READ)
    with ctx.reading() as s:
        rows = s.scalars(
            select(t.Request)
            .where(t.Request.requester_id == actor.id)
            .order_by(t.Request.submitted_at.desc())
        ).all()
        return [_requester_view(r, _named_count(s, r)) for r in rows]


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
    matched: bool
    fields: tuple[FieldDecisionView, ...]


@dataclass(frozen=True, kw_only=True)
class SubjectView:
    position: int
    identifier: dict[str, str] | None
    matched: bool
    subject_ref: str
    class_key: str


@dataclass(frozen=True, kw_only=True)
class ApprovalView:
    staff_id: str
    decision_version: int
    at: dt.datetime
    note: str


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


#: Staff reads show at most this many subject rows; bulk requests are summarised by class.
MAX_SUBJECT_ROWS = 200

_STAFF_READERS = (Role.INTAKE, Role.LEGAL_REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)


def get_for_staff(ctx: Context, *, actor: StaffPrincipal, request_id: str) -> StaffRequestView:
    actor.require(*_STAFF_READERS)
    with ctx.reading() as s:
        row = _load(s, request_id)
        requester = get_requester(s, row.requester_id)
        subjects = s.scalars(
            select(t.RequestSubject)
            .where(t.RequestSubject.request_id == row.id)
            .order_by(t.RequestSubject.position)
            .limit(MAX_SUBJECT_ROWS)
        ).all()
        sizes = dict(
            s.execute(
                select(t.RequestSubject.class_key, func.count())
                .where(t.RequestSubject.request_id == row.id)
                .group_by(t.RequestSubject.class_key)
            ).all()
        )
        decisions = s.scalars(
            select(t.DecisionRow)
            .where(t.DecisionRow.request_id == row.id)
            .order_by(t.DecisionRow.id)
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
        approvals = s.scalars(
            select(t.Approval).where(t.Approval.request_id == row.id).order_by(t.Approval.at)
        ).all()
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
            subjects=tuple(
                SubjectView(
                    position=sj.position,
                    identifier=sj.identifier,
                    matched=sj.person_id is not None,
                    subject_ref=sj.subject_ref,
                    class_key=sj.class_key,
                )
                for sj in subjects
            ),
            subject_count=sum(sizes.values()),
            classes=tuple(
                DecisionClassView(
                    class_key=key,
                    people=sizes.get(key, 0),
                    matched=key != NO_MATCH_KEY,
                    fields=tuple(fields),
                )
                for key, fields in by_class.items()
            ),
            approvals=tuple(
                ApprovalView(
                    staff_id=a.staff_id, decision_version=a.decision_version, at=a.at, note=a.note
                )
                for a in approvals
            ),
            approvals_needed=1 if row.preservation else REQUIRED_APPROVALS,
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
    actor.require(*_STAFF_READERS)
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
    actor.require(*_STAFF_READERS)
    with ctx.reading() as s:
        _load(s, request_id)
        rows = s.scalars(
            select(t.LedgerEntry)
            .where(t.LedgerEntry.request_id == request_id)
            .order_by(t.LedgerEntry.idx)
        ).all()
        return [{"index": r.idx, **json.loads(r.body)} for r in rows]


__all__ = [
    "approve",
    "classify",
    "deny",
    "get_for_requester",
    "get_for_staff",
    "lapse_expired",
    "list_for_requester",
    "queue",
    "submit",
    "withdraw",
]
