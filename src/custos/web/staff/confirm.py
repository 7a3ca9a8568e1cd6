"""Approve, deny and build a release, each behind a confirmation page.

A disclosure is the one act Custos cannot take back, so no button on the request page acts
at once: each opens a page (GET) that says what will happen — to whom, which fields, about
whom — and only its confirm button posts the action. A POST that did not come from that page
(no `confirm=yes`) changes nothing and is sent to the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.decisions import Effect
from custos.domain.errors import ConflictError, InvalidInputError, PermissionDeniedError
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.web._auth import Staff
from custos.web._render import FormStr, ctx_of, field_errors, redirect
from custos.web.staff._page import page
from custos.web.staff.queue import act, show_request
from custos.workflow import releases, requests

router = APIRouter(include_in_schema=False)

#: The actions that ask first: (page title, confirm button, the permission it needs).
ACTIONS: Final = {
    "approve": ("Approve this disclosure?", "Confirm the approval", Action.REQUEST_APPROVE),
    "deny": ("Deny this request?", "Confirm the denial", Action.REQUEST_DENY),
    "release": ("Build and send the release?", "Confirm: build the release", Action.RELEASE_BUILD),
}
#: Names listed on a confirmation page; a bulk request says how many more.
MAX_NAMES: Final = 20


@dataclass(frozen=True, kw_only=True)
class Summary:
    """What an approval or release would let out, in the words the page uses."""

    requester: str
    people: int
    unmatched: int
    names: tuple[str, ...]
    disclosed: tuple[str, ...]
    withheld: tuple[str, ...]


def summarize(view: requests.StaffRequestView) -> Summary:
    """Who the disclosure is about, which fields leave (for anyone matched) and which never
    do, and to whom: read from the stored decision, the same one the release will follow."""
    disclosed: list[str] = []
    for c in view.classes:
        if c.matched:
            disclosed.extend(
                f.field
                for f in c.fields
                if f.effect is not Effect.WITHHOLD and f.field not in disclosed
            )
    return Summary(
        requester=view.requester_name,
        people=sum(c.people for c in view.classes if c.matched),
        unmatched=sum(c.people for c in view.classes if not c.matched),
        names=tuple(s.person_name for s in view.subjects if s.person_name)[:MAX_NAMES],
        disclosed=tuple(disclosed),
        withheld=tuple(f for f in view.fields if f not in disclosed),
    )


def _confirm_page(
    request: Request,
    actor: StaffPrincipal,
    request_id: str,
    action: str,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    title, button, needed = ACTIONS[action]
    require(actor, needed)  # no page asking to confirm what its reader may not do
    view = requests.get_for_staff(ctx_of(request), actor=actor, request_id=request_id)
    current = [a for a in view.approvals if a.decision_version == view.decision_version]
    return page(
        request,
        "staff/confirm.html",
        actor,
        status_code=status_code,
        r=view,
        action=action,
        title=title,
        button=button,
        summary=summarize(view),
        current_approvals=current,
        errors=errors or {},
    )


@router.get("/requests/{request_id}/approve")
def confirm_approval(request: Request, actor: Staff, request_id: str) -> HTMLResponse:
    return _confirm_page(request, actor, request_id, "approve")


@router.get("/requests/{request_id}/deny")
def confirm_denial(request: Request, actor: Staff, request_id: str) -> HTMLResponse:
    return _confirm_page(request, actor, request_id, "deny")


@router.get("/requests/{request_id}/release")
def confirm_release(request: Request, actor: Staff, request_id: str) -> HTMLResponse:
    return _confirm_page(request, actor, request_id, "release")


def _unconfirmed(request_id: str, action: str) -> Response:
    return redirect(f"/staff/requests/{request_id}/{action}")


@router.post("/requests/{request_id}/approve")
def approve(
    request: Request, actor: Staff, request_id: str, note: FormStr = "", confirm: FormStr = ""
) -> Response:
    if confirm != "yes":
        return _unconfirmed(request_id, "approve")
    return act(
        request,
        actor,
        request_id,
        lambda: requests.approve(ctx_of(request), actor=actor, request_id=request_id, note=note),
    )


@router.post("/requests/{request_id}/deny")
def deny(
    request: Request, actor: Staff, request_id: str, reason: FormStr = "", confirm: FormStr = ""
) -> Response:
    if confirm != "yes":
        return _unconfirmed(request_id, "deny")
    try:
        requests.deny(ctx_of(request), actor=actor, request_id=request_id, reason=reason)
    except InvalidInputError as exc:
        # The reason is asked for on the confirmation page: say what is missing there.
        errors = field_errors(exc.problems) if exc.problems else {"reason": str(exc)}
        return _confirm_page(request, actor, request_id, "deny", status_code=422, errors=errors)
    except (ConflictError, PermissionDeniedError) as exc:
        return show_request(
            request, actor, request_id, status_code=exc.status, errors={"action": str(exc)}
        )
    return redirect(f"/staff/requests/{request_id}")


@router.post("/requests/{request_id}/release")
def build_release(
    request: Request, actor: Staff, request_id: str, confirm: FormStr = ""
) -> Response:
    if confirm != "yes":
        return _unconfirmed(request_id, "release")
    return act(
        request,
        actor,
        request_id,
        lambda: releases.build(ctx_of(request), actor=actor, request_id=request_id),
    )
