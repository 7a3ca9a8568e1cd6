"""The challenge window of a request, read from the store: who must be told before
disclosure, whether their letters are marked sent, and the first day the release may be built.

The rule itself (`custos.rights.release_window`) is pure; this module counts, per decision
class, the people a release would carry whose decisions notify before disclosure, and how many
of their `disclosure_pending` letters are marked sent, with the last sending day. Grouped
queries, so a bulk request of a million people costs one scan, not a million reads, and a page
of the queue costs the same two queries as one request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from custos.domain.errors import ConflictError, PolicyError
from custos.rights import (
    LetterGroup,
    ReleaseWindow,
    challenge_is_timely,
    notify_before,
    pending_key,
    release_window,
    window_days,
)
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.workflow.context import Context
from custos.workflow.requests.state import load


def noticed_window_days(ctx: Context, session: Session, row: t.Request) -> dict[str, int]:
    """Per decision class told before disclosure, the days its people have to challenge."""
    decisions = session.execute(
        select(t.DecisionRow.class_key, t.DecisionRow.effect, t.DecisionRow.obligations).where(
            t.DecisionRow.request_id == row.id
        )
    )
    return _window_days(ctx, row, decisions)


def _window_days(
    ctx: Context, row: t.Request, decisions: Iterable[tuple[str, str, Any]]
) -> dict[str, int]:
    """`noticed_window_days` from the request's decisions `(class, effect, obligations)`."""
    rule_days: dict[str, list[Any]] = {}
    delayed = notice_delayed(row)
    for class_key, effect, obligations in decisions:
        if notify_before(effect, obligations, notice_delayed=delayed):
            rule_days.setdefault(class_key, []).append(
                (obligations or {}).get("challenge_window_days")
            )
    if not rule_days:
        return {}
    pack_days = _pack_window(ctx, row)
    return {key: window_days(days, pack_days) for key, days in rule_days.items()}


def notice_delayed(row: t.Request) -> bool:
    """Whether the request's legal process (as classified, else as entered) carries a written
    requirement to delay notice. Read from the stored process as is: the letter sweep asks
    this of every unreleased request and must not stop at one it cannot parse."""
    process = row.classified_process or row.legal_process or {}
    return process.get("nondisclosure_until") is not None


def _pack_window(ctx: Context, row: t.Request) -> int | None:
    """The pack's window (None: the default), from the pack that decided the request. A pack
    that no longer loads gives the default here; building the release fails on it anyway."""
    try:
        return ctx.pack(row.pack_name or None).challenge_window_days
    except PolicyError:
        return None


def release_window_of(ctx: Context, session: Session, row: t.Request) -> ReleaseWindow:
    """The window the request's release must wait out (nothing to wait when nobody is told
    before disclosure)."""
    return release_windows_of(ctx, session, [row])[row.id]


def release_windows_of(
    ctx: Context, session: Session, rows: Sequence[t.Request]
) -> dict[str, ReleaseWindow]:
    """`release_window_of` for several requests (a page of the staff queue) in two grouped
    queries, however many requests there are."""
    if not rows:
        return {}
    decisions: dict[str, list[tuple[str, str, Any]]] = {row.id: [] for row in rows}
    for request_id, class_key, effect, obligations in session.execute(
        select(
            t.DecisionRow.request_id,
            t.DecisionRow.class_key,
            t.DecisionRow.effect,
            t.DecisionRow.obligations,
        ).where(t.DecisionRow.request_id.in_(sorted(decisions)))
    ):
        decisions[request_id].append((class_key, effect, obligations))
    days = {row.id: _window_days(ctx, row, decisions[row.id]) for row in rows}
    groups: dict[str, list[LetterGroup]] = {row.id: [] for row in rows}
    for request_id, class_key, people, sent, last in _letter_counts(session, days):
        if class_key in days[request_id]:
            group = LetterGroup(
                people=int(people),
                sent=int(sent),
                last_sent_on=_day(last),
                window_days=days[request_id][class_key],
            )
            groups[request_id].append(group)
    return {
        row.id: release_window(groups[row.id]) if days[row.id] else ReleaseWindow() for row in rows
    }


def _letter_counts(session: Session, days: Mapping[str, Mapping[str, int]]) -> Sequence[Any]:
    """Per (request, class) told before disclosure: the people a release would carry, how
    many of their `disclosure_pending` letters are marked sent, and the last sending."""
    told = sorted(rid for rid, classes in days.items() if classes)
    if not told:
        return []
    rs, notice = t.RequestSubject, r.Notice
    # The letter's source key, built in SQL the way `pending_key` writes it.
    before, between, after = pending_key("\0", "\0").split("\0")
    key = literal(before) + rs.request_id + literal(between) + rs.person_id + literal(after)
    return session.execute(
        select(
            rs.request_id,
            rs.class_key,
            func.count(),
            func.count(notice.sent_at),
            func.max(notice.sent_at),
        )
        .select_from(rs)
        .outerjoin(notice, notice.source_key == key)
        .where(
            rs.request_id.in_(told),
            rs.excluded.is_(False),
            rs.person_id.is_not(None),
            rs.class_key.in_(sorted({c for rid in told for c in days[rid]})),
        )
        .group_by(rs.request_id, rs.class_key)
    ).all()


def check_release_window(ctx: Context, session: Session, request_id: str) -> ReleaseWindow:
    """The request's window when its release may be built today; raises ConflictError naming
    the date (or the letters still unsent) when it may not."""
    window = release_window_of(ctx, session, load(session, request_id))
    problem = window.problem(ctx.today())
    if problem is not None:
        raise ConflictError(problem)
    return window


def _day(value: dt.datetime | str | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):  # an aggregate over a custom type may come back as text
        value = dt.datetime.fromisoformat(value)
    return value.date()


def letter_sent_on(session: Session, request_id: str, person_id: str) -> dt.date | None:
    """The day the person's `disclosure_pending` letter for the request was marked sent."""
    sent = session.scalar(
        select(r.Notice.sent_at).where(r.Notice.source_key == pending_key(request_id, person_id))
    )
    return sent.date() if sent is not None else None


def person_window_open(ctx: Context, session: Session, request_id: str, person_id: str) -> bool:
    """Whether a challenge the person files today about the request is timely: their class is
    told before disclosure and their window has not run (or not begun). A request that tells
    them nothing before holds as a challenge always has."""
    row = load(session, request_id)
    class_key = session.scalar(
        select(t.RequestSubject.class_key).where(
            t.RequestSubject.request_id == row.id, t.RequestSubject.person_id == person_id
        )
    )
    days = noticed_window_days(ctx, session, row).get(class_key or "")
    if days is None:
        return True
    return challenge_is_timely(letter_sent_on(session, row.id, person_id), ctx.today(), days)
