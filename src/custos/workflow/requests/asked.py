"""What a requester asked, as they gave it: the request page of the portal.

Kept apart from `reading`: this read shows the requester's own words back to them, and must
never depend on what matching found (neither confirm nor deny).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from custos.domain.errors import NotFoundError
from custos.domain.legal import FleeingFelonStatements
from custos.domain.principals import RequesterPrincipal, Scope
from custos.store import tables as t
from custos.workflow.context import Context


@dataclass(frozen=True, kw_only=True)
class RequestAsAsked:
    """What the requester asked, as they gave it: whom (each subject's identifiers exactly as
    submitted), why and under which document. Never whether anyone matched: every named
    subject is listed, in the order given, whatever the records or a challenge say."""

    subjects: tuple[dict[str, str], ...]
    bulk: dict[str, Any] | None
    purpose_text: str
    legal_process: dict[str, Any]
    statements: FleeingFelonStatements
    emergency_statement: str | None


def asked_by_requester(
    ctx: Context, *, actor: RequesterPrincipal, request_id: str
) -> RequestAsAsked:
    """The requester's own request as they asked it (404 for anyone else's, like a missing one)."""
    actor.require(Scope.REQUESTS_READ)
    with ctx.reading() as s:
        row = s.get(t.Request, request_id)
        if row is None or row.requester_id != actor.id:
            raise NotFoundError("no such request")
        identifiers = s.scalars(
            select(t.RequestSubject.identifier)
            .where(
                t.RequestSubject.request_id == row.id,
                t.RequestSubject.identifier.is_not(None),
            )
            .order_by(t.RequestSubject.position)
        ).all()
        return RequestAsAsked(
            subjects=tuple(dict(i) for i in identifiers if i is not None),
            bulk=row.bulk,
            purpose_text=row.purpose_text,
            legal_process=dict(row.legal_process),
            statements=FleeingFelonStatements(**row.statements),
            emergency_statement=row.emergency_statement,
        )
