"""What has been disclosed about a person, and what is pending: the reads the accounting,
the challenges and the letter sweep share.

*Own data only*: every read is keyed by the person's pseudonym or person id, never by an id
the caller supplies; a request that covered a whole household shows each member only their
own entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from custos.domain.errors import IntegrityError
from custos.domain.lifecycle import UNRELEASED, RequestStatus
from custos.ledger import subject_accounting
from custos.rights import (
    CHALLENGE_WINDOW_DAYS,
    AccountingEntry,
    PendingView,
    challenge_by,
    notify_before,
    parse_entry,
)
from custos.store import tables as t
from custos.store.core import Prepared, one_of
from custos.workflow import requests
from custos.workflow.context import Context

#: Built once, run on the driver's cursor: every person's page reads them (issue 18).
_BODIES = Prepared(subject_accounting(t.LedgerEntry.body))


def accounting_rows(s: Session, subject_ref: str) -> list[tuple[int, bytes]]:
    """(index, body) of every accounting entry the ledger holds for the person, in log order:
    the entries the accounting map counts (`ACCOUNTING_TAGS`), so the same rows serve the
    person's completeness proof."""
    return [(idx, bytes(body)) for idx, body in _BODIES.all(s, {"ref": subject_ref})]


def accounting_entries(s: Session, subject_ref: str) -> list[AccountingEntry]:
    """Every accounting entry the ledger holds for the person, in log order."""
    return own_entries(accounting_rows(s, subject_ref), subject_ref)


def own_entries(rows: Iterable[tuple[int, bytes]], subject_ref: str) -> list[AccountingEntry]:
    """The person's entries parsed from (index, body) rows the lookup index found.

    The index only finds entries; the hashed entry says whom it is about. An entry the index
    files under this person but which names someone else means the index was altered behind
    the ledger's back: refused, never shown as this person's.
    """
    entries = [parse_entry(idx, body) for idx, body in rows]
    for e in entries:
        if e.subject != subject_ref:
            raise IntegrityError(f"ledger entry {e.index} is filed under a person it is not about")
    return entries


#: The person's place in an unreleased request: one condition for both reads below. The
#: statuses are spelled out, not an IN list, so the statement's SQL never changes.
_UNRELEASED_NAMING = (
    t.RequestSubject.person_id == bindparam("pid"),
    t.RequestSubject.excluded.is_(False),
    one_of(t.Request.status, [x.value for x in sorted(UNRELEASED)]),
)
_PENDING = (
    select(t.RequestSubject, t.Request, t.Requester.name)
    .join(t.Request, t.Request.id == t.RequestSubject.request_id)
    .join(t.Requester, t.Requester.id == t.Request.requester_id)
    .where(*_UNRELEASED_NAMING)
    .order_by(t.Request.submitted_at)
)
#: Whether there is anything to read above, on the driver's cursor: most people's pages
#: have no pending request, and the ORM's three-entity read cost more than the answer.
_ANY_PENDING = Prepared(
    select(t.RequestSubject.id)
    .join(t.Request, t.Request.id == t.RequestSubject.request_id)
    .where(*_UNRELEASED_NAMING)
    .limit(1)
)


def pending(ctx: Context, s: Session, person_id: str) -> list[PendingView]:
    """Requests in pre-release statuses naming the person with a notice-before obligation,
    each with the last day to challenge it: counted from the person's letter once it is marked
    sent, and before that from today (the window has not begun)."""
    if _ANY_PENDING.first(s, {"pid": person_id}) is None:
        return []
    rows = s.execute(_PENDING, {"pid": person_id}).all()
    out: list[PendingView] = []
    for subject, req, requester_name in rows:
        decisions = s.scalars(
            select(t.DecisionRow).where(
                t.DecisionRow.request_id == req.id,
                t.DecisionRow.class_key == subject.class_key,
            )
        ).all()
        delayed = requests.notice_delayed(req)
        fields = [
            d.field
            for d in decisions
            if notify_before(d.effect, d.obligations, notice_delayed=delayed)
        ]
        if not fields:
            continue
        status = RequestStatus(req.status)
        days = requests.noticed_window_days(ctx, s, req).get(subject.class_key)
        out.append(
            PendingView(
                request_id=req.id,
                requester_name=requester_name,
                fields=tuple(fields),
                purpose=req.purpose,
                legal_process=(req.classified_process or req.legal_process)["kind"],
                received_on=req.submitted_at.date(),
                challenge_by=challenge_by(
                    requests.letter_sent_on(s, req.id, person_id),
                    ctx.today(),
                    days or CHALLENGE_WINDOW_DAYS,
                ),
                status="on_hold" if status is RequestStatus.ON_HOLD else "pending",
            )
        )
    return out


def open_requests_about(s: Session, person_id: str) -> list[str]:
    """Ids of the unreleased requests that name the person."""
    return list(
        s.scalars(
            select(t.Request.id)
            .join(t.RequestSubject, t.RequestSubject.request_id == t.Request.id)
            .where(
                t.RequestSubject.person_id == person_id,
                t.RequestSubject.excluded.is_(False),
                t.Request.status.in_([x.value for x in UNRELEASED]),
            )
            .distinct()
        )
    )
