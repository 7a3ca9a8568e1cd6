"""Challenges: a person contests a pending request or a past disclosure of their own data.

A challenge filed inside the person's challenge window (or before their letter is even sent)
holds every pending request about them until a legal reviewer resolves it; one filed after a
request's window has run is still reviewed, but does not hold that request (the agency told
them, and waited). An upheld challenge excludes the person from a pending request, or recalls a
release already made (`custos.workflow.releases.recall`). A past disclosure is challenged by
its release id, as the person's accounting shows it. What a challenge may carry and the
challenge window are pure rules in `custos.rights._challenges`. Reasons and documents
(personal data) stay in the rights tables; the log records that a challenge was filed or
resolved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import (
    ConflictError,
    CustosError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.domain.events import EventTag
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.rights import (
    ChallengeDocument,
    ChallengeOutcome,
    ChallengeView,
    NoticeKind,
    PersonPrincipal,
    PersonScope,
    check_challenge,
    recall_deadline,
    split_visible,
)
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.store.release_tables import Release
from custos.workflow import documents, releases, requests
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.journal import record
from custos.workflow.rights.disclosures import accounting_entries, open_requests_about, pending
from custos.workflow.rights.notices import queue_notice
from custos.workflow.rights.people import load_person, subject_ref


def challenge_view(row: r.Challenge) -> ChallengeView:
    """A challenge as the person and the reviewer see it."""
    return ChallengeView(
        id=row.id,
        request_id=row.request_id,
        target=row.target,
        release_id=row.release_id,
        reason=row.reason,
        documents=tuple(row.documents),
        filed_by=row.filed_by,
        filed_at=row.filed_at,
        status=row.status,
        resolution=row.resolution,
        resolved_at=row.resolved_at,
        recall_needed=row.recall_needed,
    )


def _store_attachments(ctx: Context, s: Session, files: Sequence[ChallengeDocument]) -> list[str]:
    """Store a challenge's attachments as the person's (no requester may cite them)."""
    return [
        documents.store(
            ctx,
            s,
            content=f.content,
            filename=f.filename,
            content_type=f.content_type,
            uploader=documents.PERSON,
        )
        for f in files
    ]


def file_challenge(
    ctx: Context,
    *,
    principal: PersonPrincipal,
    request_id: str | None = None,
    release_id: str | None = None,
    reason: str,
    attachments: list[ChallengeDocument] | None = None,
) -> ChallengeView:
    """Challenge a pending request (by request id) or a disclosure already made (by the
    release id the person's accounting shows, or its request id).

    Every pending request about the person whose window is still open for them goes
    `on_hold` until a legal reviewer resolves the challenge: nothing about them can be released
    meanwhile. A request or release the person cannot see (not theirs, or not noticed to them)
    reads as missing.
    """
    principal.require(PersonScope.CHALLENGE)
    return _file(
        ctx,
        person_id=principal.person_id,
        ref=principal.subject_ref,
        actor=principal.actor,
        target=(request_id, release_id),
        reason=reason,
        files=list(attachments or []),
    )


def file_challenge_for(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    person_id: str,
    request_id: str | None = None,
    release_id: str | None = None,
    reason: str,
) -> ChallengeView:
    """Staff enter a challenge a person made by mail, by phone or at a counter: the same
    challenge, with the same window and holds, logged as entered by that member of staff."""
    require(actor, Action.CHALLENGE_FILE)
    return _file(
        ctx,
        person_id=person_id,
        ref=subject_ref(ctx, person_id),
        actor=actor.actor,
        target=(request_id, release_id),
        reason=reason,
        files=[],
    )


def _file(
    ctx: Context,
    *,
    person_id: str,
    ref: str,
    actor: str,
    target: tuple[str | None, str | None],
    reason: str,
    files: list[ChallengeDocument],
) -> ChallengeView:
    text = check_challenge(reason, files)
    with ctx.transaction() as s:
        person = load_person(s, person_id, lock=True)
        named = (target[0] or None, target[1] or None)  # a form's empty field names nothing
        request_id, kind, release_id = _challenge_target(ctx, s, person.id, ref, *named)
        _refuse_second_open(s, person.id, request_id)
        shas = _store_attachments(ctx, s, files)
        challenge_id = new_id("chl")
        held = _hold_requests_about(ctx, s, person.id, actor, challenge_id)
        row = r.Challenge(
            id=challenge_id,
            person_id=person.id,
            request_id=request_id,
            target=kind,
            release_id=release_id,
            reason=text,
            documents=shas,
            filed_by=actor,
            filed_at=ctx.now(),
            status="open",
            held_requests=held,
        )
        s.add(row)
        s.flush()
        record(
            ctx,
            s,
            EventTag.PERSON_CHALLENGE_FILE,
            actor,
            subject_ref=ref,
            request_id=request_id,
            challenge=row.id,
            target=kind,
            release=release_id,
            documents=shas,
            held=held,
        )
        return challenge_view(row)


def _refuse_second_open(s: Session, person_id: str, request_id: str) -> None:
    """One open challenge per person and request."""
    duplicate = s.scalar(
        select(r.Challenge.id).where(
            r.Challenge.person_id == person_id,
            r.Challenge.request_id == request_id,
            r.Challenge.status == "open",
        )
    )
    if duplicate is not None:
        raise ConflictError("you already have an open challenge of this request")


def _hold_requests_about(
    ctx: Context, s: Session, person_id: str, actor: str, challenge_id: str
) -> list[str]:
    """Put on hold every pending request about the person whose challenge window is still
    open for them (a request that tells them nothing before holds as it always has); returns
    those it held."""
    return [
        rid
        for rid in open_requests_about(s, person_id)
        if requests.person_window_open(ctx, s, rid, person_id)
        and requests.hold(ctx, s, request_id=rid, actor=actor, reason=f"challenge {challenge_id}")
    ]


def _challenge_target(  # noqa: PLR0917 - who, what, and the two ways to name it
    ctx: Context,
    s: Session,
    person_id: str,
    ref: str,
    request_id: str | None,
    release_id: str | None,
) -> tuple[str, str, str | None]:
    """(request id, "pending" or "disclosure", release id) of what the person challenges."""
    if request_id is None and release_id is None:
        raise InvalidInputError(
            "name the request or the release you challenge",
            [FieldProblem(path="request_id", message="a request id or a release id")],
        )
    if release_id is None and any(p.request_id == request_id for p in pending(ctx, s, person_id)):
        assert request_id is not None  # checked above
        return request_id, "pending", None
    visible, _ = split_visible(accounting_entries(s, ref), ctx.today())
    for e in visible:
        by_release = release_id is not None and e.release_id == release_id
        by_request = release_id is None and e.request_id == request_id
        if (by_release or by_request) and e.request_id is not None:
            return e.request_id, "disclosure", e.release_id
    raise NotFoundError("no such request" if release_id is None else "no such disclosure")


def _recall_after_commit(
    ctx: Context, *, actor: StaffPrincipal, challenge_id: str, release_id: str
) -> bool:
    """Ask the release service to recall a delivered release (in its own transaction, which it
    owns). Until it confirms, the challenge keeps `recall_needed`, so a failure is visible in
    the challenge queue and nothing is silently dropped. Returns whether the recall was issued.
    """
    try:
        releases.recall(
            ctx,
            actor=actor,
            release_id=release_id,
            reason=f"challenge {challenge_id} upheld",
            destroy_by=recall_deadline(ctx.today()),
        )
    except CustosError:
        return False
    with ctx.transaction() as s:
        row = s.get(r.Challenge, challenge_id)
        if row is not None:
            row.recall_needed = False
    return True


def resolve_challenge(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    challenge_id: str,
    outcome: ChallengeOutcome,
    reason: str,
) -> ChallengeView:
    """A legal reviewer upholds or rejects a challenge, with a reason the person is sent.

    Upheld on a pending request: the person is excluded from it (releases skip them).
    Upheld on a delivered disclosure: once the resolution commits, the release service
    recalls the release (it owns that transaction); until it confirms, the challenge shows
    `recall_needed`. Either way the requests the challenge held go
    back to review — unless another open challenge still holds them — and approvals given
    before the hold no longer count.
    """
    require(actor, Action.CHALLENGE_RESOLVE)
    if not reason.strip():
        raise InvalidInputError(
            "a resolution needs a reason", [FieldProblem(path="reason", message="required")]
        )
    with ctx.transaction() as s:
        row = s.scalar(select(r.Challenge).where(r.Challenge.id == challenge_id).with_for_update())
        if row is None:
            raise NotFoundError("no such challenge")
        if row.status != "open":
            raise ConflictError("this challenge is already resolved")
        recall = _apply_outcome(s, row, outcome)
        row.status = outcome.value
        row.resolution = reason.strip()
        row.resolved_by = actor.id
        row.resolved_at = ctx.now()
        s.flush()
        resumed = _release_holds(ctx, s, row, actor.actor)
        _log_resolution(ctx, s, row, actor, recall=recall, resumed=resumed)
        view = challenge_view(row)
    if recall is not None and view.release_id is not None:
        issued = _recall_after_commit(
            ctx, actor=actor, challenge_id=view.id, release_id=view.release_id
        )
        view = dataclasses.replace(view, recall_needed=not issued)
    return view


def _apply_outcome(s: Session, row: r.Challenge, outcome: ChallengeOutcome) -> str | None:
    """Exclude the person from a pending request upheld against, or mark a delivered release
    for recall; returns "requested" when a recall is to follow."""
    if outcome is not ChallengeOutcome.UPHELD:
        return None
    if row.target == "pending" and row.release_id is None:
        # A late challenge holds nothing: the request may have been released meanwhile, and
        # then upholding it recalls that release.
        row.release_id = s.scalar(
            select(Release.id).where(Release.request_id == row.request_id).limit(1)
        )
    if row.target == "pending" and row.release_id is None:
        for subject in s.scalars(
            select(t.RequestSubject).where(
                t.RequestSubject.request_id == row.request_id,
                t.RequestSubject.person_id == row.person_id,
            )
        ):
            subject.excluded = True
        return None
    if row.release_id is not None:
        row.recall_needed = True
        return "requested"
    return None


def _log_resolution(
    ctx: Context,
    s: Session,
    row: r.Challenge,
    actor: StaffPrincipal,
    *,
    recall: str | None,
    resumed: list[str],
) -> None:
    """Log the resolution and queue the letter that tells the person."""
    person = load_person(s, row.person_id)
    record(
        ctx,
        s,
        EventTag.PERSON_CHALLENGE_RESOLVE,
        actor.actor,
        subject_ref=subject_ref(ctx, person.id),
        request_id=row.request_id,
        challenge=row.id,
        outcome=row.status,
        recall=recall,
        resumed=resumed,
    )
    queue_notice(
        ctx,
        s,
        person,
        NoticeKind.CHALLENGE_OUTCOME,
        source_key=f"challenge:{row.id}",
        data={
            "challenge_id": row.id,
            "filed_on": row.filed_at.date().isoformat(),
            "outcome": row.status,
            "target": row.target,
            "reason": row.resolution,
        },
    )


def _release_holds(ctx: Context, s: Session, row: r.Challenge, actor: str) -> list[str]:
    still_held = {
        rid
        for other in s.scalars(select(r.Challenge).where(r.Challenge.status == "open"))
        for rid in other.held_requests
    }
    resumed = []
    for rid in row.held_requests:
        req = s.get(t.Request, rid)
        if req is None or rid in still_held or req.status != RequestStatus.ON_HOLD.value:
            continue
        requests.resume(ctx, s, request_id=rid, actor=actor, reason=f"challenge {row.id} resolved")
        resumed.append(rid)
    return resumed


def challenge_queue(
    ctx: Context, *, actor: StaffPrincipal, status: str | None = "open"
) -> list[ChallengeView]:
    """Challenges for legal review, oldest first."""
    require(actor, Action.CHALLENGE_LIST)
    with ctx.reading() as s:
        q = select(r.Challenge).order_by(r.Challenge.filed_at)
        if status is not None:
            q = q.where(r.Challenge.status == status)
        return [challenge_view(c) for c in s.scalars(q)]


def get_challenge(ctx: Context, *, principal: PersonPrincipal, challenge_id: str) -> ChallengeView:
    principal.require(PersonScope.VIEW)
    with ctx.reading() as s:
        row = s.get(r.Challenge, challenge_id)
        if row is None or row.person_id != principal.person_id:
            raise NotFoundError("no such challenge")
        return challenge_view(row)
