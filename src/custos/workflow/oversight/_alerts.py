"""Oversight alerts: the rules of `custos.oversight` run over the log; each new alert is
appended as an `oversight:alert:raise` entry, once per alert key (rule and window)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from custos import oversight
from custos.domain.errors import InvalidInputError
from custos.domain.events import Event, EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import SYSTEM_ACTOR, StaffPrincipal
from custos.domain.pseudonyms import NO_MATCH
from custos.store import tables as t
from custos.store.ledger_tables import WitnessAlarm
from custos.workflow import journal
from custos.workflow import ledger as ledger_workflow
from custos.workflow.context import Context
from custos.workflow.oversight._log import pages

#: Arbitrary constant (a bigint) naming the alert check's lock on PostgreSQL ("custosa").
_PG_ALERT_LOCK = 0x637573746F7361

_ALERT_INPUT_TAGS = [
    EventTag.REQUEST_INTAKE_RECEIVE.value,
    EventTag.REQUEST_STATUS_APPROVE.value,
    EventTag.REQUEST_STATUS_DENY.value,
    EventTag.REQUEST_STATUS_WITHDRAW.value,
    EventTag.REQUEST_STATUS_LAPSE.value,
    EventTag.RELEASE_PACKAGE_BUILD.value,
    EventTag.RELEASE_DOWNLOAD_RECORD.value,
    EventTag.RELEASE_RETENTION_OVERDUE.value,
    EventTag.OVERSIGHT_ALERT_RAISE.value,
]


def _named_subjects(session: Session) -> pl.DataFrame:
    """(request, pseudonym) of everyone named requests matched; bulk requests left out."""
    bulk = [rid for rid, b in session.execute(select(t.Request.id, t.Request.bulk)) if b]
    q = select(t.RequestSubject.request_id, t.RequestSubject.subject_ref).where(
        t.RequestSubject.subject_ref != NO_MATCH
    )
    if bulk:
        q = q.where(t.RequestSubject.request_id.not_in(bulk))
    rows = session.execute(q).all()
    return pl.DataFrame(
        {"request": [r for r, _ in rows], "subject_ref": [s for _, s in rows]},
        schema={"request": pl.String, "subject_ref": pl.String},
    )


def _alarms(session: Session) -> list[oversight.WitnessAlarmFact]:
    return [
        oversight.WitnessAlarmFact(id=a.id, origin=a.origin, reason=a.reason, at=a.at)
        for a in session.scalars(select(WitnessAlarm).order_by(WitnessAlarm.id))
    ]


def check_alerts(
    ctx: Context, *, rules: oversight.AlertRules | None = None, actor: str = SYSTEM_ACTOR
) -> list[oversight.Alert]:
    """Run every alert rule over the log and append the alerts not raised before."""
    with ctx.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_ALERT_LOCK})
        size = s.scalar(select(t.LedgerEntry.idx).order_by(t.LedgerEntry.idx.desc()).limit(1))
        size = 0 if size is None else int(size) + 1
        frames = oversight.decode(oversight.count_chunks(pages(s, size, _ALERT_INPUT_TAGS)))
        found = oversight.evaluate(
            frames, now=ctx.now(), rules=rules, subjects=_named_subjects(s), alarms=_alarms(s)
        )
        if found:
            journal.record_all(
                s,
                [
                    Event(
                        tag=EventTag.OVERSIGHT_ALERT_RAISE,
                        at=ctx.now(),
                        actor=actor,
                        request_id=a.request,
                        data=a.data(),
                    )
                    for a in found
                ],
            )
        return found


@dataclass(frozen=True, kw_only=True)
class AlertView:
    index: int
    at: dt.datetime
    alert: str
    key: str | None
    summary: str
    request: str | None
    requester: str | None
    data: dict[str, Any]


def check_alerts_as(ctx: Context, *, actor: StaffPrincipal) -> list[oversight.Alert]:
    """`check_alerts` started by a member of staff who may read alerts."""
    require(actor, Action.OVERSIGHT_RUN)
    return check_alerts(ctx, actor=actor.actor)


def list_alerts(ctx: Context, *, actor: StaffPrincipal, limit: int = 200) -> list[AlertView]:
    """Alerts in the log, newest first, for the privacy officer (auditors and admins)."""
    require(actor, Action.OVERSIGHT_RUN)
    if not 0 < limit <= ledger_workflow.MAX_PAGE:
        raise InvalidInputError(f"limit must be between 1 and {ledger_workflow.MAX_PAGE}")
    with ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.idx, t.LedgerEntry.body)
            .where(t.LedgerEntry.tag == EventTag.OVERSIGHT_ALERT_RAISE.value)
            .order_by(t.LedgerEntry.idx.desc())
            .limit(limit)
        ).all()
    out = []
    for idx, body in rows:
        event = json.loads(bytes(body))
        data = event["data"]
        out.append(
            AlertView(
                index=int(idx),
                at=dt.datetime.fromisoformat(event["at"]),
                alert=str(data.get("alert", "")),
                key=data.get("key"),
                summary=str(data.get("summary", data.get("alert", ""))),
                request=event.get("request"),
                requester=data.get("requester"),
                data=data,
            )
        )
    return out
