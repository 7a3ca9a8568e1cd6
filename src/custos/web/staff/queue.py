"""The staff console's queues and the request page: the decision with its explanation, the
legal document, the two approvals, denial and the release build."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.decisions import Outcome
from custos.domain.errors import (
    ConflictError,
    CustosError,
    InvalidInputError,
    PermissionDeniedError,
)
from custos.domain.lifecycle import RequestStatus
from custos.domain.permissions import Action, allowed
from custos.domain.principals import StaffPrincipal
from custos.web._auth import Staff
from custos.web._render import FormStr, ctx_of, field_errors, redirect
from custos.web.staff._page import page, safe_filename
from custos.workflow import documents, releases, requests
from custos.workflow import policy as policy_service

router = APIRouter(include_in_schema=False)

#: The queue tabs: (key, title, statuses, keep only this outcome or None).
QUEUES: tuple[tuple[str, str, tuple[RequestStatus, ...]], ...] = (
    ("new", "New", (RequestStatus.RECEIVED, RequestStatus.DECIDED, RequestStatus.IN_REVIEW)),
    ("review", "Needs review", (RequestStatus.IN_REVIEW,)),
    ("approved", "Approved", (RequestStatus.APPROVED,)),
    ("on_hold", "On hold", (RequestStatus.ON_HOLD,)),
    ("released", "Released", (RequestStatus.RELEASED, RequestStatus.DELIVERED)),
    (
        "closed",
        "Closed",
        (
            RequestStatus.DENIED,
            RequestStatus.WITHDRAWN,
            RequestStatus.LAPSED,
            RequestStatus.DESTROYED,
        ),
    ),
)


@router.get("/queue")
def queue(request: Request, actor: Staff, tab: str = "new") -> HTMLResponse:
    tabs = {key: (title, statuses) for key, title, statuses in QUEUES}
    chosen = tab if tab in tabs or tab == "retention" else "new"
    items: list[requests.QueueItem] = []
    retention: list[releases.RetentionItem] = []
    if chosen == "retention":
        retention = [
            i for i in releases.retention_view(ctx_of(request), actor=actor) if i.days_left < 0
        ]
    else:
        items = requests.queue(ctx_of(request), actor=actor, statuses=tabs[chosen][1])
        if chosen == "review":
            items = [i for i in items if i.outcome is Outcome.NEEDS_REVIEW]
        elif chosen == "new":
            items = [i for i in items if i.outcome is not Outcome.NEEDS_REVIEW]
    template = (
        "staff/_queue_table.html" if request.headers.get("HX-Request") else "staff/queue.html"
    )
    return page(
        request,
        template,
        actor,
        tabs=[(k, t) for k, t, _ in QUEUES] + [("retention", "Overdue retention")],
        tab=chosen,
        items=items,
        retention=retention,
    )


def _request_page(
    request: Request,
    actor: StaffPrincipal,
    request_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ctx = ctx_of(request)
    view = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
    explanation = None
    if view.pack_name is not None and allowed(actor, Action.POLICY_READ):
        try:
            explanation = policy_service.explain_request(ctx, actor=actor, request_id=request_id)
        except CustosError:
            explanation = None
    document = None
    sha = (view.classified_process or view.legal_process).get("document_sha256")
    if sha:
        try:
            document = documents.describe_for_staff(ctx, actor=actor, sha256=sha)
        except CustosError:
            document = None
    current = [a for a in view.approvals if a.decision_version == view.decision_version]
    events = requests.events_for(ctx, actor=actor, request_id=request_id)
    return page(
        request,
        "staff/request.html",
        actor,
        status_code=status_code,
        r=view,
        explanation=explanation,
        document=document,
        current_approvals=current,
        events=events,
        **extra,
    )


@router.get("/requests/{request_id}")
def request_page(request: Request, actor: Staff, request_id: str) -> HTMLResponse:
    return _request_page(request, actor, request_id)


@router.get("/requests/{request_id}/document")
def request_document(request: Request, actor: Staff, request_id: str) -> Response:
    ctx = ctx_of(request)
    view = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
    sha = (view.classified_process or view.legal_process).get("document_sha256") or ""
    name, content_type, content = documents.read_for_staff(ctx, actor=actor, sha256=sha)
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{safe_filename(name)}"'},
    )


def _act(
    request: Request, actor: StaffPrincipal, request_id: str, action: Callable[[], object]
) -> Response:
    """Run one review action; on a refusal, show the request page with the reason."""
    try:
        action()
    except (ConflictError, PermissionDeniedError, InvalidInputError) as exc:
        errors = (
            field_errors(exc.problems)
            if isinstance(exc, InvalidInputError) and exc.problems
            else {"action": str(exc)}
        )
        return _request_page(request, actor, request_id, status_code=exc.status, errors=errors)
    return redirect(f"/staff/requests/{request_id}")


@router.post("/requests/{request_id}/classify")
def classify(request: Request, actor: Staff, request_id: str, note: FormStr = "") -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: requests.classify(ctx_of(request), actor=actor, request_id=request_id, note=note),
    )


@router.post("/requests/{request_id}/approve")
def approve(request: Request, actor: Staff, request_id: str, note: FormStr = "") -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: requests.approve(ctx_of(request), actor=actor, request_id=request_id, note=note),
    )


@router.post("/requests/{request_id}/deny")
def deny(request: Request, actor: Staff, request_id: str, reason: FormStr = "") -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: requests.deny(ctx_of(request), actor=actor, request_id=request_id, reason=reason),
    )


@router.post("/requests/{request_id}/release")
def build_release(request: Request, actor: Staff, request_id: str) -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: releases.build(ctx_of(request), actor=actor, request_id=request_id),
    )
