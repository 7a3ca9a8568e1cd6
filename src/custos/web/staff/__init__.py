"""The staff console: queues, the request page with its decision, approvals and denials,
requesters and agreements, people's access codes, notices, challenges, concerns, alerts,
policy and transparency reports.

One router under `/staff`, made of a router per concern: `queue` (queues and the request
page), `confirm` (approve, deny and build a release, each behind a confirmation page),
`requesters` (agencies, tokens, agreements), `people` (access codes, notices, challenges,
concerns) and `oversight` (alerts, policy, reports). Sign-in and the second factor are here.
Which buttons a page shows follows the permission table (`can(me, "action")` in the
templates); the services enforce it.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.errors import AuthenticationError
from custos.web._auth import STAFF_COOKIE, STAFF_COOKIE_SECONDS
from custos.web._render import FormStr, ctx_of, redirect, render
from custos.web._security import check_csrf, clear_cookie, set_cookie
from custos.web.staff import confirm, oversight, people, queue, requesters
from custos.web.staff.queue import QUEUES
from custos.workflow import staff_sessions

router = APIRouter(prefix="/staff", dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/sign-in")
def sign_in_form(request: Request) -> HTMLResponse:
    return render(request, "staff/sign_in.html")


@router.post("/sign-in")
def sign_in(  # nosec B107 - empty form fields by default, not a password
    request: Request, username: FormStr = "", password: FormStr = ""
) -> Response:
    try:
        token, _ = staff_sessions.sign_in(ctx_of(request), username=username, password=password)
    except AuthenticationError as exc:
        # A locked username answers 429 like the API, saying until when; others 401.
        return render(
            request,
            "staff/sign_in.html",
            status_code=exc.status,
            errors={"form": str(exc)},
            form={"username": username},
            locked=exc.status == 429,  # noqa: PLR2004 - HTTP 429 Too Many Requests
        )
    response = redirect("/staff/queue")
    set_cookie(request, response, STAFF_COOKIE, token, max_age=STAFF_COOKIE_SECONDS)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        with contextlib.suppress(AuthenticationError):
            staff_sessions.sign_out(ctx_of(request), token)
    response = redirect("/staff/sign-in")
    clear_cookie(request, response, STAFF_COOKIE)
    return response


@router.get("")
@router.get("/")
def home() -> Response:
    return redirect("/staff/queue")


for _part in (queue, confirm, requesters, people, oversight):
    router.include_router(_part.router)

__all__ = ["QUEUES", "router"]
