"""Reading what a release needs: the approved request, its plan, and its people's records.

Everything here runs before sealing, in a reading session; the publishing transaction checks
again that nothing it relied on changed (see `build.publish`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from custos import records, release
from custos.domain.decisions import Effect
from custos.domain.errors import ConflictError, NotFoundError
from custos.domain.lifecycle import RequestStatus
from custos.policy import Pack
from custos.release import ReleasePlan
from custos.store import tables as t
from custos.workflow import requests
from custos.workflow.context import Context

#: People read, minimized and encrypted per chunk: bounds memory on a bulk release.
CHUNK_PEOPLE = 50_000

#: Called with (rows minimized so far, people in the release) after each chunk.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class Basis:
    """Everything read before sealing, re-checked inside the publishing transaction."""

    disclosure: release.Disclosure
    recipients: list[str]
    decision_version: int
    fields: list[release.FieldSource]
    columns: set[str]
    people: int
    bulk: bool

    @property
    def request_id(self) -> str:
        return self.disclosure.request_id

    @property
    def plan(self) -> ReleasePlan:
        return self.disclosure.plan


def included(request_id: str, classes: Iterable[str]) -> Any:
    """The request's subjects a release carries: matched, not excluded, in a disclosing class."""
    rs = t.RequestSubject
    return and_(
        rs.request_id == request_id,
        rs.excluded.is_(False),
        rs.person_id.is_not(None),
        rs.class_key.in_(sorted(classes)),
    )


def count_included(session: Session, request_id: str, plan: ReleasePlan) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(t.RequestSubject)
            .where(included(request_id, plan.classes))
        )
        or 0
    )


def plan_for(
    session: Session, req: t.Request, pack: Pack, *, requested_fields: list[str]
) -> tuple[ReleasePlan, list[release.FieldSource]]:
    """The release plan from a request's stored decisions, and its fields bound to columns."""
    decisions = [
        release.StoredDecision(
            class_key=d.class_key,
            field=d.field,
            effect=Effect(d.effect),
            rule_ids=tuple(d.rule_ids),
            citations=tuple(d.citations),
            obligations=dict(d.obligations),
            compelled=d.compelled,
        )
        for d in session.scalars(select(t.DecisionRow).where(t.DecisionRow.request_id == req.id))
    ]
    plan = release.plan_release(
        decisions,
        requested_fields=requested_fields,
        default_retention_days=pack.default_retention_days,
    )
    return plan, release.bind_fields(plan, {str(k): v.column for k, v in pack.catalogue.items()})


def make_basis(
    req: t.Request,
    requester: t.Requester,
    pack: Pack,
    plan: ReleasePlan,
    fields: list[release.FieldSource],
    *,
    people: int,
) -> Basis:
    disclosure = release.Disclosure(
        request_id=req.id,
        requester_id=requester.id,
        requester_name=requester.name,
        requester_kind=requester.kind,
        process=requests.effective_process(req),
        purpose=req.purpose,
        purpose_text=req.purpose_text,
        pack_name=pack.name,
        pack_version=pack.version,
        pack_hash=pack.content_hash,
        plan=plan,
    )
    return Basis(
        disclosure=disclosure,
        recipients=list(requester.age_recipients),
        decision_version=req.decision_version,
        fields=fields,
        columns=release.needed_columns(fields, plan),
        people=people,
        bulk=req.bulk is not None,
    )


def approved_basis(ctx: Context, session: Session, request_id: str) -> Basis:
    """The basis of a new release. Raises ConflictError unless the request is approved, its
    pack unchanged since the decision, and it discloses something to someone."""
    row = session.get(t.Request, request_id)
    if row is None:
        raise NotFoundError("no such request")
    if RequestStatus(row.status) is not RequestStatus.APPROVED:
        raise ConflictError(f"only an approved request can be released (this one is {row.status})")
    requester = session.get(t.Requester, row.requester_id)
    assert requester is not None  # a foreign key
    pack = ctx.pack(row.pack_name or None)
    if row.pack_hash is not None and pack.content_hash != row.pack_hash:
        raise ConflictError(
            "the policy pack changed since this request was decided; re-decide before releasing"
        )
    plan, fields = plan_for(session, row, pack, requested_fields=row.fields)
    people = count_included(session, row.id, plan)
    if not plan.classes or people == 0:
        raise ConflictError("this request discloses nothing to anyone; there is nothing to release")
    release.parse_recipients(requester.age_recipients)
    return make_basis(row, requester, pack, plan, fields, people=people)


def record_chunks(
    ctx: Context, session: Session, basis: Basis, *, chunk: int
) -> Iterator[pl.DataFrame]:
    """The included people's raw columns, in subject order, `chunk` people at a time."""
    rs = t.RequestSubject
    columns = records.record_columns(basis.columns, day=ctx.today())
    q = columns.join(
        select(rs.position, rs.subject_ref, rs.class_key, *columns.exprs)
        .join(t.Person, t.Person.id == rs.person_id)
        .where(included(basis.request_id, basis.plan.classes))
    )
    schema: dict[str, Any] = {
        "position": pl.Int64,
        "subject_ref": pl.String,
        "class_key": pl.String,
        **columns.polars_schema(),
    }
    last = -1
    while True:
        rows = session.execute(q.where(rs.position > last).order_by(rs.position).limit(chunk)).all()
        if not rows:
            return
        yield pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
        if len(rows) < chunk:
            return
        last = int(rows[-1][0])


@dataclass
class Collected:
    """What the minimized chunks held, gathered as they stream past: each person's
    pseudonym and decision class in payload row order, and the row count."""

    refs: list[str]
    classes: list[str]
    rows: int = 0


def minimized_frames(
    chunks: Iterable[pl.DataFrame],
    basis: Basis,
    collected: Collected,
    progress: Progress | None,
    *,
    keep_rows: bool = False,
) -> Iterator[pl.DataFrame]:
    """Each chunk minimized to the payload's columns; `keep_rows` keeps a `row` column the
    chunk already has (a correction's original row numbers) instead of numbering anew."""
    for frame in chunks:
        m = release.minimize(
            frame, basis.plan, basis.fields, first_row=None if keep_rows else collected.rows + 1
        )
        collected.refs += m.subject_refs
        collected.classes += m.class_keys
        collected.rows += m.payload.height
        if progress is not None:
            progress(collected.rows, basis.people)
        yield m.payload
