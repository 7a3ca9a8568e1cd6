"""Public concerns: anyone reports suspected unauthorized sharing; the privacy officer triages.

No sign-in: a reporter may be a neighbour, a caseworker or the person. The report's text
goes to the privacy officer's triage queue (an oversight task); the log records only that a
report arrived and how it was triaged, never its text or the reporter's contact.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.store import rights_tables as r
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.journal import record

MAX_CONCERN_CHARS = 10_000
_ACK_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"


class ConcernPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"


@dataclass(frozen=True, kw_only=True)
class ConcernView:
    id: str
    acknowledgement: str
    description: str
    contact: str
    received_at: dt.datetime
    status: str
    priority: str | None
    triage_note: str | None
    triaged_at: dt.datetime | None


def _concern_view(row: r.Concern) -> ConcernView:
    return ConcernView(
        id=row.id,
        acknowledgement=row.acknowledgement,
        description=row.description,
        contact=row.contact,
        received_at=row.received_at,
        status=row.status,
        priority=row.priority,
        triage_note=row.triage_note,
        triaged_at=row.triaged_at,
    )


def report_concern(ctx: Context, *, description: str, contact: str = "") -> str:
    """Anyone reports suspected unauthorized sharing; returns the acknowledgement number.

    No sign-in: a reporter may be a neighbour, a caseworker or the person. The text goes to
    the privacy officer's triage queue; the log records only that a report arrived.
    """
    text = description.strip()
    problems = []
    if not text or len(text) > MAX_CONCERN_CHARS:
        problems.append(
            FieldProblem(path="description", message=f"1 to {MAX_CONCERN_CHARS} characters")
        )
    if len(contact) > 200:  # noqa: PLR2004 - the column's width
        problems.append(FieldProblem(path="contact", message="at most 200 characters"))
    if problems:
        raise InvalidInputError("the report is invalid", problems)
    ack = "CN-" + "".join(secrets.choice(_ACK_ALPHABET) for _ in range(10))
    with ctx.transaction() as s:
        row = r.Concern(
            id=new_id("cnc"),
            acknowledgement=ack,
            description=text,
            contact=contact.strip(),
            received_at=ctx.now(),
            status="received",
        )
        s.add(row)
        s.flush()
        record(ctx, s, EventTag.CONCERN_REPORT_RECEIVE, "public", concern=row.id)
    return ack


def concern_status(ctx: Context, *, acknowledgement: str) -> str:
    """The status of a report, for whoever holds its acknowledgement number."""
    with ctx.reading() as s:
        status = s.scalar(
            select(r.Concern.status).where(r.Concern.acknowledgement == acknowledgement.strip())
        )
        if status is None:
            raise NotFoundError("no report has this acknowledgement number")
        return status


def concern_queue(
    ctx: Context, *, actor: StaffPrincipal, status: str | None = "received"
) -> list[ConcernView]:
    require(actor, Action.CONCERN_WORK)
    with ctx.reading() as s:
        q = select(r.Concern).order_by(r.Concern.received_at)
        if status is not None:
            q = q.where(r.Concern.status == status)
        return [_concern_view(c) for c in s.scalars(q)]


def triage_concern(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    concern_id: str,
    priority: ConcernPriority,
    note: str,
    close: bool = False,
) -> ConcernView:
    require(actor, Action.CONCERN_WORK)
    if not note.strip():
        raise InvalidInputError(
            "triage needs a note", [FieldProblem(path="note", message="required")]
        )
    with ctx.transaction() as s:
        row = s.scalar(select(r.Concern).where(r.Concern.id == concern_id).with_for_update())
        if row is None:
            raise NotFoundError("no such concern")
        if row.status == "closed":
            raise ConflictError("this concern is closed")
        row.status = "closed" if close else "triaged"
        row.priority = priority.value
        row.triage_note = note.strip()
        row.triaged_by = actor.id
        row.triaged_at = ctx.now()
        record(
            ctx,
            s,
            EventTag.CONCERN_REPORT_TRIAGE,
            actor.actor,
            concern=row.id,
            priority=priority.value,
            status=row.status,
        )
        return _concern_view(row)
