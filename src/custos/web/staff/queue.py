"""The staff console's queues and the request page: the decision with its explanation, the
legal document, the two approvals, denial and the release build."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from custos.domain.errors import (
    ConflictError,
    CustosError,
    InvalidInputError,
    PermissionDeniedError,
)
from custos.domain.legal import LegalProcessKind
from custos.domain.permissions import Action, allowed
from custos.domain.principals import StaffPrincipal
from custos.web._auth import Staff
from custos.web._render import FormData, FormStr, ctx_of, field_errors, redirect
from custos.web.staff._page import page, safe_filename
from custos.workflow import accounts, documents, releases, requests
from custos.workflow import policy as policy_service

router = APIRouter(include_in_schema=False)

#: The queue tabs' titles, in the order shown (their statuses: `requests.QUEUE_TABS`).
QUEUES: tuple[tuple[str, str], ...] = (
    ("new", "New"),
    ("review", "Needs legal review"),
    ("approved", "Approved"),
    ("on_hold", "On hold"),
    ("released", "Released"),
    ("closed", "Closed"),
)
#: Requests on one page of a queue tab.
PAGE_SIZE = 25
#: What the queue's filters offer beside the requesters.
PROCESS_KINDS = tuple(k.value for k in LegalProcessKind)
SORTS = (
    ("received", "Received, oldest first"),
    ("newest", "Received, newest first"),
    ("due", "Due soonest"),
)


class QueueForm(FormData):
    """The queue's search and filters. A person's case number is personal data, so it is
    only ever read from a POST body (`POST /staff/queue`), never from the address."""

    tab: str = "new"
    q: str = ""
    case: str = ""
    requester: str = ""
    process: str = ""
    basis: str = ""
    sort: str = "received"
    page: int = Field(default=1, ge=1, le=1_000_000)


@router.get("/queue")
def queue(request: Request, actor: Staff, form: Annotated[QueueForm, Query()]) -> HTMLResponse:
    """A queue tab, searched and filtered in the database, a page at a time, with every
    tab's count; the tab and page links keep the search and filters."""
    return _queue_page(request, actor, form.model_copy(update={"case": ""}))


@router.post("/queue")
def search(request: Request, actor: Staff, form: Annotated[QueueForm, Form()]) -> HTMLResponse:
    """The queue searched by a person's case number (and the other filters): answered in
    place, so the case number never appears in an address, a history or a server log."""
    return _queue_page(request, actor, form)


def _queue_page(request: Request, actor: StaffPrincipal, form: QueueForm) -> HTMLResponse:
    ctx = ctx_of(request)
    query = requests.QueueQuery(
        tab=form.tab,
        text=form.q,
        case_number=form.case,
        requester_id=form.requester,
        process=form.process,
        basis=form.basis,
        sort=form.sort,
        page=form.page,
        per_page=PAGE_SIZE,
    )
    found = requests.search_queue(ctx, actor=actor, query=query)
    chosen = "retention" if form.tab == "retention" else found.query.tab
    retention: list[releases.RetentionItem] = []
    if chosen == "retention":
        retention = [i for i in releases.retention_view(ctx, actor=actor) if i.days_left < 0]
    template = (
        "staff/_queue_table.html" if request.headers.get("HX-Request") else "staff/queue.html"
    )
    filters = {
        "q": found.query.text,
        "requester": found.query.requester_id,
        "process": found.query.process,
        "basis": found.query.basis,
        "sort": "" if found.query.sort == "received" else found.query.sort,
    }
    filters = {k: v for k, v in filters.items() if v}
    return page(
        request,
        template,
        actor,
        tabs=[*QUEUES, ("retention", "Overdue retention")],
        tab=chosen,
        found=found,
        filters=filters,
        link=lambda **kw: "/staff/queue?" + urlencode({**filters, **kw}),
        requesters=accounts.list_requesters(ctx, actor=actor),
        process_kinds=PROCESS_KINDS,
        sorts=SORTS,
        retention=retention,
    )


def show_request(
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
    return show_request(request, actor, request_id)


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


def act(
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
        return show_request(request, actor, request_id, status_code=exc.status, errors=errors)
    return redirect(f"/staff/requests/{request_id}")


@router.post("/requests/{request_id}/classify")
def classify(request: Request, actor: Staff, request_id: str, note: FormStr = "") -> Response:
    return act(
        request,
        actor,
        request_id,
        lambda: requests.classify(ctx_of(request), actor=actor, request_id=request_id, note=note),
    )
