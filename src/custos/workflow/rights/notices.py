"""Letters to people: queued once per cause, swept on a schedule, printed and marked sent.

Which letters are due is decided in `custos.rights._letters`; this service reads the rows,
queues the letters and logs each one. Letters (personal data) stay in the rights tables;
the log records only that a letter of a kind was queued or sent, naming the person by
pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import ConflictError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.lifecycle import UNRELEASED
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.rights import (
    NoticeKind,
    made_key,
    made_letter,
    noticed_classes,
    parse_entry,
    pending_key,
    pending_letter,
    render_html,
    render_pdf,
)
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.workflow import requests
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.journal import record
from custos.workflow.rights.disclosures import pending
from custos.workflow.rights.people import language_of, letter_data, load_person, subject_ref

#: Rows read, and letters looked up, at a time by a sweep.
_SWEEP_PAGE = 1000


@dataclass(frozen=True, kw_only=True)
class NoticeView:
    id: str
    person_id: str
    kind: NoticeKind
    language: str
    created_at: dt.datetime
    status: str
    sent_at: dt.datetime | None


def queue_notice(
    ctx: Context,
    s: Session,
    person: t.Person,
    kind: NoticeKind,
    *,
    source_key: str,
    data: dict[str, Any],
    language: str | None = None,
) -> r.Notice | None:
    """Queue a letter once per `source_key` and log it; None when it was already queued."""
    if s.scalar(select(r.Notice.id).where(r.Notice.source_key == source_key)) is not None:
        return None
    lang = language or language_of(s, person.id)
    row = r.Notice(
        id=new_id("ntc"),
        person_id=person.id,
        kind=kind.value,
        language=lang,
        source_key=source_key,
        data=data,
        created_at=ctx.now(),
        status="queued",
    )
    s.add(row)
    s.flush()
    record(
        ctx,
        s,
        EventTag.PERSON_NOTICE_GENERATE,
        "system",
        subject_ref=subject_ref(ctx, person.id),
        notice=row.id,
        kind=kind.value,
        language=lang,
    )
    return row


def sweep_notices_as(ctx: Context, *, actor: StaffPrincipal) -> int:
    """`sweep_notices` started by a member of staff (intake, admin)."""
    require(actor, Action.NOTICE_WORK)
    return sweep_notices(ctx)


def sweep_notices(ctx: Context) -> int:
    """Queue the letters due now: `disclosure_made` for every visible accounting entry whose
    pack obligation is to notify, and `disclosure_pending` for every request noticed before
    disclosure. Idempotent; a delayed entry's letter is queued once its date has passed.
    Serving runs it on a schedule (`custos.workflow.housekeeping`), so no letter waits for
    someone to remember it; staff can also run it at once.

    Cost: the log's accounting entries are read page by page from a snapshot, checking which
    letters exist already a page at a time, and only requests with a notify-before obligation
    are looked at for people; the write transaction that queues the letters holds only what is
    new, so a sweep that finds nothing to do blocks no one.
    """
    today = ctx.today()
    with ctx.reading() as s:
        made = _letters_made_due(s, today)
        pending_people = _people_with_pending_letters_due(s)
    with ctx.transaction() as s:
        return _queue_made(ctx, s, made) + _queue_pending(ctx, s, pending_people)


def _queue_made(ctx: Context, s: Session, made: list[tuple[int, str, dict[str, Any]]]) -> int:
    queued = 0
    refs: dict[str, str] = {}
    for idx, ref, data in made:
        if ref not in refs:
            refs.update(_people_by_ref(ctx, s, ref))
        person_id = refs.get(ref)
        if person_id is None:
            continue
        person = load_person(s, person_id)
        kind = NoticeKind.DISCLOSURE_MADE
        if queue_notice(ctx, s, person, kind, source_key=made_key(idx), data=data):
            queued += 1
    return queued


def _queue_pending(ctx: Context, s: Session, people: list[str]) -> int:
    queued = 0
    for person_id in people:
        person = load_person(s, person_id)
        for p in pending(ctx, s, person_id):
            key = pending_key(p.request_id, person_id)
            kind = NoticeKind.DISCLOSURE_PENDING
            if queue_notice(ctx, s, person, kind, source_key=key, data=pending_letter(p)):
                queued += 1
    return queued


def _queued_keys(s: Session, keys: Sequence[str]) -> set[str]:
    """Which of `keys` name letters already queued."""
    return set(s.scalars(select(r.Notice.source_key).where(r.Notice.source_key.in_(keys))))


def _letters_made_due(s: Session, today: dt.date) -> list[tuple[int, str, dict[str, Any]]]:
    """(entry index, person's pseudonym, letter data) for each accounting entry whose letter
    is due today and not yet queued."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    after = -1
    while True:
        page = s.execute(
            select(t.LedgerEntry.idx, t.LedgerEntry.body, t.LedgerEntry.subject_ref)
            .where(
                t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value,
                t.LedgerEntry.idx > after,
            )
            .order_by(t.LedgerEntry.idx)
            .limit(_SWEEP_PAGE)
        ).all()
        if not page:
            return out
        after = page[-1][0]
        done = _queued_keys(s, [made_key(idx) for idx, _, _ in page])
        for idx, body, ref in page:
            if ref is None or made_key(idx) in done:
                continue
            entry = parse_entry(idx, bytes(body))
            # The letter goes to the person the hashed entry names, whatever the column says.
            data = made_letter(entry, today)
            if data is not None and entry.subject is not None:
                out.append((idx, entry.subject, data))


def _people_with_pending_letters_due(s: Session) -> list[str]:
    """People named in an unreleased request whose decisions must be noticed before release
    (see `disclosures.pending`), and who have not yet been sent that letter."""
    rows = s.scalars(
        select(t.Request).where(t.Request.status.in_([x.value for x in UNRELEASED]))
    ).all()
    unreleased = [row.id for row in rows]
    delayed = {row.id for row in rows if requests.notice_delayed(row)}
    noticed: set[tuple[str, str]] = set()
    for start in range(0, len(unreleased), _SWEEP_PAGE):
        noticed |= noticed_classes(
            s.execute(
                select(
                    t.DecisionRow.request_id,
                    t.DecisionRow.class_key,
                    t.DecisionRow.effect,
                    t.DecisionRow.obligations,
                ).where(t.DecisionRow.request_id.in_(unreleased[start : start + _SWEEP_PAGE]))
            ),
            delayed,
        )
    people: dict[str, None] = {}
    for request_id in sorted({rid for rid, _ in noticed}):
        subjects = [
            (person_id, pending_key(request_id, person_id))
            for person_id, class_key in s.execute(
                select(t.RequestSubject.person_id, t.RequestSubject.class_key).where(
                    t.RequestSubject.request_id == request_id,
                    t.RequestSubject.person_id.is_not(None),
                    t.RequestSubject.excluded.is_(False),
                )
            )
            if person_id is not None and (request_id, class_key) in noticed
        ]
        for start in range(0, len(subjects), _SWEEP_PAGE):
            page = subjects[start : start + _SWEEP_PAGE]
            done = _queued_keys(s, [key for _, key in page])
            people.update((person_id, None) for person_id, key in page if key not in done)
    return list(people)


def _people_by_ref(ctx: Context, s: Session, ref: str) -> dict[str, str]:
    """The person behind a pseudonym, found through the requests that named them."""
    for (pid,) in s.execute(
        select(t.RequestSubject.person_id)
        .where(t.RequestSubject.subject_ref == ref, t.RequestSubject.person_id.is_not(None))
        .limit(1)
    ):
        if pid is not None and subject_ref(ctx, pid) == ref:
            return {ref: pid}
    return {}


def _notice_view(row: r.Notice) -> NoticeView:
    return NoticeView(
        id=row.id,
        person_id=row.person_id,
        kind=NoticeKind(row.kind),
        language=row.language,
        created_at=row.created_at,
        status=row.status,
        sent_at=row.sent_at,
    )


def notice_queue(
    ctx: Context, *, actor: StaffPrincipal, status: str | None = "queued", limit: int = 500
) -> list[NoticeView]:
    require(actor, Action.NOTICE_WORK)
    with ctx.reading() as s:
        q = select(r.Notice).order_by(r.Notice.created_at).limit(limit)
        if status is not None:
            q = q.where(r.Notice.status == status)
        return [_notice_view(n) for n in s.scalars(q)]


def render_notice(
    ctx: Context, *, actor: StaffPrincipal, notice_id: str, pdf: bool = False
) -> str | bytes:
    """A queued letter, rendered for printing (an access code letter shows a placeholder: the
    code itself is printed only when it is issued)."""
    require(actor, Action.NOTICE_WORK)
    with ctx.reading() as s:
        row = s.get(r.Notice, notice_id)
        if row is None:
            raise NotFoundError("no such notice")
        person = load_person(s, row.person_id)
        data = {**letter_data(s, person, ctx), **row.data, "reference": row.id}
        kind, language = NoticeKind(row.kind), row.language
        row_status, queued_on = row.status, row.created_at.date()
    if kind is NoticeKind.DISCLOSURE_PENDING and row_status == "queued":
        # The window runs from sending: a letter printed days after it was queued gives the
        # person the full window from the day it is printed.
        data["challenge_by"] = _shifted(data.get("challenge_by"), ctx.today() - queued_on)
    if kind is NoticeKind.ACCESS_CODE:
        data["code"] = "(printed when issued)" if language == "en" else "(impreso al emitirse)"
    catalogue = ctx.active_pack().catalogue
    if pdf:
        return render_pdf(kind, language, data, catalogue=catalogue)
    return render_html(kind, language, data, catalogue=catalogue)


def _shifted(day: Any, by: dt.timedelta) -> Any:
    """An ISO date `by` later (a letter's last day to challenge, moved to its sending)."""
    if not isinstance(day, str):
        return day
    return (dt.date.fromisoformat(day) + by).isoformat()


def mark_notice_sent(ctx: Context, *, actor: StaffPrincipal, notice_id: str) -> NoticeView:
    require(actor, Action.NOTICE_WORK)
    with ctx.transaction() as s:
        row = s.scalar(select(r.Notice).where(r.Notice.id == notice_id).with_for_update())
        if row is None:
            raise NotFoundError("no such notice")
        if row.status == "sent":
            raise ConflictError("this notice is already marked sent")
        row.status = "sent"
        row.sent_at = ctx.now()
        if row.kind == NoticeKind.DISCLOSURE_PENDING.value:
            # The person's window opens today: the letter's last day moves with it.
            shift = row.sent_at.date() - row.created_at.date()
            row.data = {**row.data, "challenge_by": _shifted(row.data.get("challenge_by"), shift)}
        row.sent_by = actor.id
        record(
            ctx,
            s,
            EventTag.PERSON_NOTICE_SEND,
            actor.actor,
            subject_ref=subject_ref(ctx, row.person_id),
            notice=row.id,
            kind=row.kind,
        )
        return _notice_view(row)
