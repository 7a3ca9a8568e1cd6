"""Deciding a request: match its subjects, ask the policy pack, store the decision.

Subjects with the same policy-relevant facts form one class and are decided once; a bulk
request of a million people is a handful of Cedar evaluations. The stored decision replaces
any earlier one (the ledger keeps the history of outcomes).

Neither confirm nor deny: an identifier that matches nobody is decided exactly like a person
whom no rule lets us disclose.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from custos import policy, records
from custos.domain.decisions import FieldDecision, Obligations, Outcome, SubjectDecision, outcome_of
from custos.domain.disclosure import DisclosureRequest
from custos.domain.events import EventTag
from custos.domain.lifecycle import UNRELEASED, RequestStatus
from custos.domain.pseudonyms import NO_MATCH, pseudonym
from custos.domain.subjects import NO_MATCH_KEY, OUTSIDE_SCOPE_KEY, SubjectFacts
from custos.store import tables as t
from custos.store.core import PreparedInsert
from custos.workflow.accounts import RequesterStanding, get_requester
from custos.workflow.agreements import agreement_view
from custos.workflow.context import Context
from custos.workflow.requests.state import domain_request, load, log, subjects_of, transition

#: The event that records each outcome of a decision.
DECISION_TAGS = {
    Outcome.APPROVED: EventTag.REQUEST_DECISION_DISCLOSE,
    Outcome.PARTLY_APPROVED: EventTag.REQUEST_DECISION_PARTIAL,
    Outcome.DENIED: EventTag.REQUEST_DECISION_DENY,
    Outcome.NEEDS_REVIEW: EventTag.REQUEST_DECISION_REVIEW,
    Outcome.PRESERVE: EventTag.REQUEST_DECISION_DENY,
}

#: (identifier as given, matched person id or None, their facts or None) for one subject.
Matched = tuple[dict[str, str] | None, str | None, SubjectFacts | None]

_SUBJECT_COLUMNS = ("request_id", "position", "identifier", "person_id", "subject_ref", "class_key")

#: The tables themselves, for Core inserts (`__table__` is typed as a FromClause).
_SUBJECTS = cast("Table", t.RequestSubject.__table__)
_DECISIONS = cast("Table", t.DecisionRow.__table__)
# Built once and run as Core on the session's connection: every request runs them (issue 18).
_INSERT_SUBJECTS = PreparedInsert(_SUBJECTS, (*_SUBJECT_COLUMNS, "excluded"))
_INSERT_DECISIONS = PreparedInsert(
    _DECISIONS,
    (
        "request_id",
        "class_key",
        "field",
        "effect",
        "rule_ids",
        "citations",
        "obligations",
        "compelled",
        "needs_review",
        "reasons",
    ),
)

#: Rows per executemany batch when inserting a bulk request's subjects.
_BATCH = 50_000


def decision_context(
    ctx: Context, session: Session, req: DisclosureRequest, requester: RequesterStanding
) -> policy.DecisionContext:
    """What the policy pack reads about a request besides the people in it.

    The caller passes the requester's standing: intake has already read it to check the
    requester is active, and reading it again would cost a statement per request.
    """
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
    return policy.DecisionContext(
        requester_kind=requester.kind,
        requester_programs=requester.programs,
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


def stored_context(ctx: Context, session: Session, row: t.Request) -> policy.DecisionContext:
    """The decision context of a stored request, as it reads now."""
    req = domain_request(row, subjects_of(session, row))
    requester = RequesterStanding.of(get_requester(session, row.requester_id))
    return decision_context(ctx, session, req, requester)


def subjects_with_facts(session: Session, req: DisclosureRequest, today: dt.date) -> list[Matched]:
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


def insert_subjects(
    session: Session, rows: list[tuple[str, int, dict[str, str] | None, str | None, str, str]]
) -> None:
    """Insert subject rows. Bulk requests carry a million rows with no identifier: those go
    through the driver's executemany in batches (the ORM would take a minute for them)."""
    if not rows:
        return
    named = [r for r in rows if r[2] is not None]
    if named:
        # Core inserts (the table, not the class): the ORM's bulk path cost more than the
        # statement for a single-person request (issue 18).
        _INSERT_SUBJECTS.run(session, [dict(zip(_SUBJECT_COLUMNS, r, strict=True)) for r in named])
    anonymous = [(*r[:2], *r[3:], False) for r in rows if r[2] is None]
    if not anonymous:
        return
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join([c for c in _SUBJECT_COLUMNS if c != "identifier"] + ["excluded"])
    sql = f"INSERT INTO request_subjects ({columns}) VALUES ({', '.join([marker] * 6)})"  # noqa: S608  # nosec B608  (constants only)
    connection = session.connection()
    for start in range(0, len(anonymous), _BATCH):
        connection.exec_driver_sql(sql, anonymous[start : start + _BATCH])


# --- the steps of one decision -----------------------------------------------------------


def _clear_previous(session: Session, row: t.Request) -> set[str | None]:
    """Delete the request's stored subjects and decisions; returns the people to keep excluded.

    People an upheld challenge removed stay removed, whatever the new decision.
    """
    excluded = set(
        session.scalars(
            select(t.RequestSubject.person_id).where(
                t.RequestSubject.request_id == row.id, t.RequestSubject.excluded.is_(True)
            )
        )
    )
    session.execute(delete(t.DecisionRow).where(t.DecisionRow.request_id == row.id))
    session.execute(delete(t.RequestSubject).where(t.RequestSubject.request_id == row.id))
    return excluded


def _classes(
    subjects: Sequence[Matched], outside: Sequence[bool]
) -> tuple[dict[str, policy.Subject], list[str]]:
    """The classes of equal facts (key → subject, in first-seen order) and each subject's key.

    People the document's recorded scope does not name (`outside`) form one class of their
    own, matched or not: their decision never reads their facts.
    """
    classes: dict[str, policy.Subject] = {}
    key_of: dict[int, str] = {}  # facts are shared objects: key each one once
    subject_keys: list[str] = []
    for (_, _, facts), out in zip(subjects, outside, strict=True):
        subject: policy.Subject = facts
        if out:
            key, subject = OUTSIDE_SCOPE_KEY, policy.OUTSIDE_SCOPE
        elif facts is None:
            key = NO_MATCH_KEY
        else:
            key = key_of.get(id(facts)) or key_of.setdefault(id(facts), facts.key())
        classes.setdefault(key, subject)
        subject_keys.append(key)
    return classes, subject_keys


def _outside_scope(
    context: policy.DecisionContext, req: DisclosureRequest, count: int
) -> list[bool]:
    """For each subject, whether the document's recorded scope leaves the person out."""
    if req.bulk is not None:
        return [context.person_outside_scope(None)] * count
    return [context.person_outside_scope(s) for s in req.subjects]


def _store_subjects(
    ctx: Context,
    session: Session,
    row: t.Request,
    *,
    subjects: Sequence[Matched],
    subject_keys: Sequence[str],
    excluded: set[str | None],
) -> None:
    """Insert the subject rows (keyed pseudonyms, classes) and keep the excluded excluded."""
    secret = ctx.settings.pseudonym_key
    insert_subjects(
        session,
        [
            (row.id, i, ident, pid, pseudonym(secret, pid) if pid is not None else NO_MATCH, key)
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


def obligations_dict(o: Obligations) -> dict[str, Any]:
    """Obligations as stored in a decision row (a challenge window only when a rule sets one,
    so decisions without one read as they always have)."""
    out: dict[str, Any] = {
        "notify": o.notify.value,
        "notice_delay_requires_statement": o.notice_delay_requires_statement,
        "retention_days": o.retention_days,
        "no_onward_sharing": o.no_onward_sharing,
        "generalize_to": o.generalize_to,
    }
    if o.challenge_window_days is not None:
        out["challenge_window_days"] = o.challenge_window_days
    return out


def _store_decisions(
    session: Session, row: t.Request, by_key: dict[str, tuple[FieldDecision, ...]]
) -> None:
    """One decision row per class and field, with its rules, citations and reasons."""
    if not by_key:
        return
    _INSERT_DECISIONS.run(
        session,
        [
            {
                "request_id": row.id,
                "class_key": key,
                "field": str(d.field),
                "effect": d.effect.value,
                "rule_ids": list(d.rule_ids),
                "citations": list(d.citations),
                "obligations": obligations_dict(d.obligations),
                "compelled": d.compelled,
                "needs_review": d.needs_review,
                "reasons": list(d.reasons),
            }
            for key, decisions in by_key.items()
            for d in decisions
        ],
    )


def _summary(
    row: t.Request,
    pack: policy.Pack,
    outcome: Outcome,
    by_key: dict[str, tuple[FieldDecision, ...]],
    subject_keys: Sequence[str],
) -> dict[str, Any]:
    """The decision event's body: counts of people per field and effect, no personal data."""
    sizes = Counter(subject_keys)
    effects: dict[str, Counter[str]] = {}
    for key, decisions in by_key.items():
        for d in decisions:
            effects.setdefault(str(d.field), Counter())[d.effect.value] += sizes[key]
    return {
        "outcome": outcome.value,
        "pack": pack.name,
        "pack_version": pack.version,
        "pack_hash": pack.content_hash,
        "decision_version": row.decision_version,
        "subjects": len(subject_keys),
        "fields": {f: dict(sorted(c.items())) for f, c in sorted(effects.items())},
    }


@dataclass(frozen=True, kw_only=True)
class Decided:
    """A request's decision before anything is stored: its matched subjects, their classes,
    the decisions per class, the outcome and the decision event's summary."""

    pack: policy.Pack
    outcome: Outcome
    summary: dict[str, Any]
    subjects: Sequence[Matched] = ()
    subject_keys: Sequence[str] = ()
    by_key: dict[str, tuple[FieldDecision, ...]] = field(default_factory=dict)


def decide(
    ctx: Context,
    session: Session,
    row: t.Request,
    req: DisclosureRequest,
    pack: policy.Pack,
    *,
    requester: RequesterStanding,
) -> Decided:
    """Match and decide per class, writing nothing; `store_decided` stores the result.

    Deciding before the request row is written lets intake insert the row once, in its final
    state, instead of inserting it and updating it three times.
    """
    if req.preservation:
        summary = {"outcome": Outcome.PRESERVE.value, "pack_hash": pack.content_hash}
        return Decided(pack=pack, outcome=Outcome.PRESERVE, summary=summary)
    context = decision_context(ctx, session, req, requester)
    subjects = subjects_with_facts(session, req, ctx.today())
    classes, subject_keys = _classes(subjects, _outside_scope(context, req, len(subjects)))
    keys = list(classes)
    decided = policy.decide(pack, context, [classes[k] for k in keys])
    by_key: dict[str, tuple[FieldDecision, ...]] = dict(zip(keys, decided, strict=True))
    outcome = outcome_of(SubjectDecision(subject_ref=key, fields=by_key[key]) for key in keys)
    return Decided(
        pack=pack,
        outcome=outcome,
        summary=_summary(row, pack, outcome, by_key, subject_keys),
        subjects=subjects,
        subject_keys=subject_keys,
        by_key=by_key,
    )


def mark_decided(row: t.Request, decided: Decided) -> None:
    """Set the row's pack and outcome from the decision."""
    row.pack_name = decided.pack.name
    row.pack_hash = decided.pack.content_hash
    row.outcome = decided.outcome.value


def store_decided(
    ctx: Context,
    session: Session,
    row: t.Request,
    decided: Decided,
    *,
    excluded: set[str | None] | None = None,
) -> None:
    """Insert the decision's subject and decision rows for a request already written."""
    if decided.outcome is Outcome.PRESERVE:
        return
    _store_subjects(
        ctx,
        session,
        row,
        subjects=decided.subjects,
        subject_keys=decided.subject_keys,
        excluded=excluded or set(),
    )
    _store_decisions(session, row, decided.by_key)


def decide_and_store(
    ctx: Context, session: Session, row: t.Request, req: DisclosureRequest, pack: policy.Pack
) -> tuple[Outcome, dict[str, Any]]:
    """Match, decide per class and store; returns the outcome and the event's summary.

    Rewrites the request's subjects and decision rows (a re-decision replaces them; the
    ledger keeps the history of outcomes).
    """
    excluded = _clear_previous(session, row)
    requester = RequesterStanding.of(get_requester(session, row.requester_id))
    decided = decide(ctx, session, row, req, pack, requester=requester)
    mark_decided(row, decided)
    store_decided(ctx, session, row, decided, excluded=excluded)
    return decided.outcome, decided.summary


def redecide(
    ctx: Context, session: Session, row: t.Request, pack: policy.Pack, *, actor: str, **data: Any
) -> Outcome:
    """Decide a stored request again under `pack` and record the new decision."""
    req = domain_request(row, subjects_of(session, row))
    outcome, summary = decide_and_store(ctx, session, row, req, pack)
    log(ctx, session, row, DECISION_TAGS[outcome], actor, redecided=True, **data, **summary)
    return outcome


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
        row = load(session, request_id, lock=True)
        row.decision_version += 1
        row.updated_at = ctx.now()
        redecide(ctx, session, row, pack, actor=actor, reason=reason)
        if RequestStatus(row.status) is RequestStatus.APPROVED:
            transition(
                ctx,
                session,
                row,
                to=RequestStatus.IN_REVIEW,
                tag=EventTag.REQUEST_STATUS_REOPEN,
                actor=actor,
                reason=reason,
            )
    return sorted(ids)
