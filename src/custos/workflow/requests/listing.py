"""The staff console's queue: tabs, search, filters, sort and pages, counted and filtered in SQL.

A queue of thousands of requests must not be read whole to show twenty-five: every filter is
a `WHERE`, every tab's count one grouped `SELECT`, and only the page's rows are loaded and
given their due dates. Searching by a person's case number finds the requests whose matched
subjects include that person; it is a person lookup, so it needs `person:find` like finding
the person does (an approver, who may not look people up, cannot search by case number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from sqlalchemy import Select, String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from custos.domain.decisions import Effect, Notify, Outcome
from custos.domain.disclosure import Purpose
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.rights import ReleaseWindow, normalize_case_number
from custos.store import tables as t
from custos.store.release_tables import Release
from custos.workflow.context import Context
from custos.workflow.requests.window import release_windows_of

#: The queue's tabs: key → statuses, and whether it keeps (True), drops (False) or ignores
#: (None) requests whose policy proposal needs legal review.
QUEUE_TABS: Final[dict[str, tuple[tuple[str, ...], bool | None]]] = {
    "new": (("received", "decided", "in_review"), False),
    "review": (("in_review",), True),
    "approved": (("approved",), None),
    "on_hold": (("on_hold",), None),
    "released": (("released", "delivered", "retention_expired", "overdue"), None),
    "closed": (("denied", "withdrawn", "lapsed", "destroyed"), None),
}
#: Sort orders: received (emergencies first, then oldest), newest first, or soonest due
#: (a release's retention deadline, else the legal process's expiry; undated last).
SORTS: Final = ("received", "newest", "due")
#: Legal bases to filter on: some field compelled by law, or only discretionary disclosures.
BASES: Final = ("compelled", "discretionary")
PER_PAGE: Final = 25

#: A SELECT being narrowed: filters keep whatever columns it selects.
_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, kw_only=True)
class QueueQuery:
    """What the staff member asked the queue for; unknown values fall back to the default."""

    tab: str = "new"
    #: A request id (or its start) or words of the requester's name.
    text: str = ""
    #: A person's case number or DCN: requests whose matched subjects include them.
    case_number: str = ""
    requester_id: str = ""
    #: A legal process kind (as classified by a legal reviewer, else as the requester said).
    process: str = ""
    basis: str = ""
    sort: str = "received"
    page: int = 1
    per_page: int = PER_PAGE

    def normalized(self) -> QueueQuery:
        return QueueQuery(
            tab=self.tab if self.tab in QUEUE_TABS else "new",
            text=self.text.strip()[:200],
            case_number=normalize_case_number(self.case_number)[:20],
            requester_id=self.requester_id.strip()[:40],
            process=self.process.strip()[:40],
            basis=self.basis if self.basis in BASES else "",
            sort=self.sort if self.sort in SORTS else "received",
            page=max(1, self.page),
            per_page=min(max(1, self.per_page), 200),
        )


@dataclass(frozen=True, kw_only=True)
class Due:
    """The dates a request is due by, as far as they are known."""

    #: The last day a person told before disclosure may challenge it (notice-before only,
    #: once every letter is marked sent).
    challenge_window_ends: dt.date | None = None
    #: People are told before disclosure but some letters are not yet marked sent: the
    #: window (and so the release date) has not begun.
    letters_unsent: bool = False
    #: The day the legal process expires: undecided by then, the request lapses.
    process_expires: dt.date | None = None
    #: The day the recipient must have destroyed the release.
    retention_until: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class QueueRow:
    id: str
    requester_id: str
    requester_name: str
    status: str
    #: The policy proposal (what the rules would allow), not a decision: people approve.
    outcome: Outcome | None
    purpose: Purpose
    legal_process: str
    emergency: bool
    bulk: bool
    compelled: bool
    submitted_at: dt.datetime
    due: Due


@dataclass(frozen=True, kw_only=True)
class QueuePage:
    query: QueueQuery
    rows: tuple[QueueRow, ...]
    #: Requests in the chosen tab matching the search and filters.
    total: int
    pages: int
    #: Requests matching the search and filters, by tab.
    counts: dict[str, int] = field(default_factory=dict)


def _process_kind() -> Any:
    return func.coalesce(
        t.Request.classified_process["kind"].as_string(),
        t.Request.legal_process["kind"].as_string(),
    )


def _process_expiry() -> Any:
    return func.coalesce(
        t.Request.classified_process["expires_on"].as_string(),
        t.Request.legal_process["expires_on"].as_string(),
    )


def _compelled() -> Any:
    return exists().where(t.DecisionRow.request_id == t.Request.id, t.DecisionRow.compelled)


def _discloses() -> Any:
    return exists().where(
        t.DecisionRow.request_id == t.Request.id, t.DecisionRow.effect != Effect.WITHHOLD.value
    )


def _about_person(case_number: str) -> Any:
    """Requests one of whose matched subjects has this DCN or household case number: the
    few people with that number first (both columns are unique), then their requests by the
    subjects' person index, rather than a lookup per request."""
    people = (
        select(t.Person.id)
        .join(t.Household, t.Household.id == t.Person.household_id)
        .where(or_(t.Person.dcn == case_number, t.Household.case_number == case_number))
    )
    return t.Request.id.in_(
        select(t.RequestSubject.request_id).where(t.RequestSubject.person_id.in_(people))
    )


def _filtered(q: QueueQuery, stmt: _S) -> _S:
    """The search and filters, every one a SQL condition (the tab is applied apart)."""
    if q.text:
        like = q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(
                t.Request.id.like(f"{like}%", escape="\\"),
                func.lower(t.Requester.name).like(f"%{like.lower()}%", escape="\\"),
            )
        )
    if q.case_number:
        stmt = stmt.where(_about_person(q.case_number))
    if q.requester_id:
        stmt = stmt.where(t.Request.requester_id == q.requester_id)
    if q.process:
        stmt = stmt.where(_process_kind() == q.process)
    if q.basis == "compelled":
        stmt = stmt.where(_compelled())
    elif q.basis == "discretionary":
        stmt = stmt.where(_discloses(), ~_compelled())
    return stmt


def _in_tab(tab: str, stmt: _S) -> _S:
    statuses, review = QUEUE_TABS[tab]
    stmt = stmt.where(t.Request.status.in_(statuses))
    needs_review = t.Request.outcome == Outcome.NEEDS_REVIEW.value
    if review is True:
        stmt = stmt.where(needs_review)
    elif review is False:
        stmt = stmt.where(or_(t.Request.outcome.is_(None), ~needs_review))
    return stmt


def _counts(s: Session, q: QueueQuery) -> dict[str, int]:
    """Every tab's count from one grouped query over status and needs-review."""
    review = (t.Request.outcome == Outcome.NEEDS_REVIEW.value).label("review")
    stmt = _filtered(
        q,
        select(t.Request.status, review, func.count())
        .select_from(t.Request)
        .join(t.Requester, t.Requester.id == t.Request.requester_id),
    ).group_by(t.Request.status, review)
    counts = dict.fromkeys(QUEUE_TABS, 0)
    for status, is_review, n in s.execute(stmt):
        for key, (statuses, wants_review) in QUEUE_TABS.items():
            if status in statuses and (wants_review is None or bool(is_review) == wants_review):
                counts[key] += n
    return counts


def _ordered(q: QueueQuery, stmt: _S) -> _S:
    if q.sort == "newest":
        return stmt.order_by(t.Request.submitted_at.desc(), t.Request.id)
    if q.sort == "due":
        due = func.coalesce(cast(Release.retention_until, String), _process_expiry())
        return stmt.order_by(due.is_(None), due, t.Request.submitted_at, t.Request.id)
    return stmt.order_by(
        t.Request.emergency_statement.is_(None), t.Request.submitted_at, t.Request.id
    )


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _notice_before(s: Session, ids: list[str]) -> set[str]:
    """Which of these requests tell someone before disclosure (and so have a challenge window)."""
    rows = s.execute(
        select(t.DecisionRow.request_id, t.DecisionRow.obligations).where(
            t.DecisionRow.request_id.in_(ids), t.DecisionRow.effect != Effect.WITHHOLD.value
        )
    )
    return {rid for rid, obligations in rows if obligations.get("notify") == Notify.BEFORE.value}


def due_dates(request: t.Request, *, window: ReleaseWindow, retention_until: dt.date | None) -> Due:
    """The one place the queue's due dates come from. The challenge window is the one the
    release waits out (`requests.window`): it ends the day before the earliest release."""
    process = request.classified_process or request.legal_process
    ends = window.earliest - dt.timedelta(days=1) if window.earliest else None
    return Due(
        challenge_window_ends=ends,
        letters_unsent=window.unsent > 0,
        process_expires=_date(process.get("expires_on")),
        retention_until=retention_until,
    )


def search_queue(ctx: Context, *, actor: StaffPrincipal, query: QueueQuery) -> QueuePage:
    """One page of a queue tab, its total and every tab's count, for the search and filters."""
    require(actor, Action.REQUEST_READ)
    q = query.normalized()
    if q.case_number:
        require(actor, Action.PERSON_FIND)
    base = (
        select(t.Request, t.Requester.name, Release.retention_until, _compelled().label("c"))
        .join(t.Requester, t.Requester.id == t.Request.requester_id)
        .outerjoin(Release, Release.request_id == t.Request.id)
    )
    with ctx.reading() as s:
        counts = _counts(s, q)
        total = counts[q.tab]
        pages = max(1, -(-total // q.per_page))
        q = QueueQuery(**{**q.__dict__, "page": min(q.page, pages)})
        stmt = _ordered(q, _in_tab(q.tab, _filtered(q, base)))
        found = s.execute(stmt.offset((q.page - 1) * q.per_page).limit(q.per_page)).all()
        told_before = _notice_before(s, [r.id for r, *_ in found])
        windows = release_windows_of(ctx, s, [r for r, *_ in found if r.id in told_before])
        rows = tuple(
            QueueRow(
                id=r.id,
                requester_id=r.requester_id,
                requester_name=name,
                status=r.status,
                outcome=Outcome(r.outcome) if r.outcome else None,
                purpose=Purpose(r.purpose),
                legal_process=(r.classified_process or r.legal_process)["kind"],
                emergency=r.emergency_statement is not None,
                bulk=r.bulk is not None,
                compelled=bool(compelled),
                submitted_at=r.submitted_at,
                due=due_dates(
                    r,
                    window=windows.get(r.id, ReleaseWindow()),
                    retention_until=retention,
                ),
            )
            for r, name, retention, compelled in found
        )
    return QueuePage(query=q, rows=rows, total=total, pages=pages, counts=counts)
