"""Data-sharing agreements between the agency and a requester: registering and listing them.

An agreement bounds what a requester administering a program may receive (its programs, fields,
purposes and dates); registering one is logged in the ledger in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.disclosure import AgreementProtocols, Purpose
from custos.domain.errors import (
    FieldProblem,
    InvalidInputError,
)
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.domain.programs import FieldRef, Program
from custos.store import tables as t
from custos.workflow import journal
from custos.workflow._ids import new_id
from custos.workflow.accounts import get_requester
from custos.workflow.context import Context


@dataclass(frozen=True, kw_only=True)
class AgreementView:
    id: str
    requester_id: str
    title: str
    parties: tuple[str, ...]
    programs: tuple[Program, ...]
    fields: tuple[FieldRef, ...]
    purposes: tuple[Purpose, ...]
    retention_days: int
    valid_from: dt.date
    valid_until: dt.date
    document_sha256: str
    protocols: AgreementProtocols = field(default_factory=AgreementProtocols)

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until


def agreement_view(row: t.Agreement) -> AgreementView:
    return AgreementView(
        id=row.id,
        requester_id=row.requester_id,
        title=row.title,
        parties=tuple(row.parties),
        programs=tuple(Program(p) for p in row.programs),
        fields=tuple(FieldRef.parse(f) for f in row.fields),
        purposes=tuple(Purpose(p) for p in row.purposes),
        retention_days=row.retention_days,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        document_sha256=row.document_sha256,
        protocols=AgreementProtocols(
            protocol_document=row.protocol_document or "",
            use_limited_to_program=bool(row.use_limited_to_program),
            no_onward_sharing=bool(row.no_onward_sharing),
            administers=frozenset(Program(p) for p in row.administers or ()),
        ),
    )


def _agreement_problems(
    *,
    title: str,
    programs: list[Program],
    retention_days: int,
    valid_from: dt.date,
    valid_until: dt.date,
) -> list[FieldProblem]:
    problems = []
    if not title.strip():
        problems.append(FieldProblem(path="title", message="required"))
    if valid_until < valid_from:
        problems.append(FieldProblem(path="valid_until", message="before valid_from"))
    if retention_days < 1:
        problems.append(FieldProblem(path="retention_days", message="at least one day"))
    if not programs:
        problems.append(FieldProblem(path="programs", message="at least one program"))
    return problems


def _record_agreement(ctx: Context, session: Session, row: t.Agreement, *, actor: str) -> None:
    journal.record(
        ctx,
        session,
        EventTag.AGREEMENT_RECORD_REGISTER,
        actor,
        agreement=row.id,
        requester=row.requester_id,
        programs=row.programs,
        fields=row.fields,
        purposes=row.purposes,
        valid_from=row.valid_from.isoformat(),
        valid_until=row.valid_until.isoformat(),
        document_sha256=row.document_sha256,
        protocol_document=row.protocol_document,
    )


def _require_document(session: Session, sha: str) -> None:
    """An agreement binds through its signed document: it must be uploaded first."""
    if session.get(t.Document, sha) is None:
        raise InvalidInputError(
            "the agreement is invalid",
            [FieldProblem(path="document_sha256", message="upload the signed agreement first")],
        )


def register_agreement(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    requester_id: str,
    title: str,
    parties: list[str],
    programs: list[Program],
    fields: list[FieldRef],
    purposes: list[Purpose],
    retention_days: int,
    valid_from: dt.date,
    valid_until: dt.date,
    document_sha256: str,
    protocols: AgreementProtocols | None = None,
) -> AgreementView:
    """Record an MOU or data-sharing agreement. The document's hash is what binds it.

    `protocols` records the agreed data-and-security protocols (7 U.S.C. 2020(a)(3)(B)) and
    the programs the other party runs; without them an audit is never compelled.
    """
    terms = protocols or AgreementProtocols()
    require(actor, Action.AGREEMENT_REGISTER)
    problems = _agreement_problems(
        title=title,
        programs=programs,
        retention_days=retention_days,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if problems:
        raise InvalidInputError("the agreement is invalid", problems)
    sha = document_sha256
    with ctx.transaction() as s:
        requester = get_requester(s, requester_id)
        _require_document(s, sha)
        row = t.Agreement(
            id=new_id("agr"),
            requester_id=requester.id,
            title=title.strip(),
            parties=list(parties),
            programs=[p.value for p in programs],
            fields=[str(f) for f in fields],
            purposes=[p.value for p in purposes],
            retention_days=retention_days,
            valid_from=valid_from,
            valid_until=valid_until,
            document_sha256=sha,
            protocol_document=terms.protocol_document,
            use_limited_to_program=terms.use_limited_to_program,
            no_onward_sharing=terms.no_onward_sharing,
            administers=sorted(p.value for p in terms.administers),
            registered_by=actor.id,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        _record_agreement(ctx, s, row, actor=actor.actor)
        return agreement_view(row)


def list_agreements(
    ctx: Context, *, actor: StaffPrincipal, requester_id: str | None = None
) -> list[AgreementView]:
    require(actor, Action.AGREEMENT_LIST)
    with ctx.reading() as s:
        q = select(t.Agreement).order_by(t.Agreement.created_at)
        if requester_id is not None:
            q = q.where(t.Agreement.requester_id == requester_id)
        return [agreement_view(r) for r in s.scalars(q)]
