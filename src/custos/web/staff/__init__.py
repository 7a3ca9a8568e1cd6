"""The staff console: queues, the request page with its decision, approvals and denials,
requesters and agreements, people's access codes, notices, challenges, concerns, alerts,
policy and transparency reports.

One router under `/staff`, made of a router per concern: `queue` (queues and the request
page), `confirm` (approve, deny and build a release, each behind a confirmation page),
`scope` (the legal reviewer's classification form),
`requesters` (agencies, tokens, agreements), `people` (access codes, notices, challenges,
concerns) and `oversight` (alerts, policy, reports). Sign-in and the second factor are here.
Which buttons a page shows follows the permission table (`can(me, "action")` in the
templates); the services enforce it.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from custos.web._auth import STAFF_COOKIE, STAFF_COOKIE_SECONDS, EnrollingStaff, Staff
from custos.web._render import FormStr, ctx_of, field_errors, redirect, render
from custos.web._security import check_csrf, clear_cookie, set_cookie
from custos.web.staff import confirm, oversight, people, queue, requesters, scope
from custos.web.staff._page import page
from custos.web.staff.queue import QUEUES
from custos.workflow import accounts, second_factor, staff_sessions

router = APIRouter(prefix="/staff", dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/sign-in")
def sign_in_form(request: Request) -> HTMLResponse:
    return render(request, "staff/sign_in.html")


@router.post("/sign-in")
def sign_in(  # nosec B107 - empty form fields by default, not a password
    request: Request, username: FormStr = "", password: FormStr = "", code: FormStr = ""
) -> Response:
    ctx = ctx_of(request)
    try:
        token, staff = staff_sessions.sign_in(ctx, username=username, password=password, code=code)
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
    factor = second_factor.status(ctx, actor=staff)
    must_enrol = factor.required and not factor.enrolled
    response = redirect("/staff/second-factor" if must_enrol else "/staff/queue")
    set_cookie(request, response, STAFF_COOKIE, token, max_age=STAFF_COOKIE_SECONDS)
    return response


@router.get("/second-factor")
def second_factor_page(request: Request, actor: EnrollingStaff) -> HTMLResponse:
    """Set up a TOTP second factor: the secret, its otpauth address and QR code, and a code
    to prove the app has it. Administrators land here until they have one."""
    ctx = ctx_of(request)
    return page(
        request,
        "staff/second_factor.html",
        actor,
        status=second_factor.status(ctx, actor=actor),
        enrolment=second_factor.begin(ctx, actor=actor),
    )


@router.post("/second-factor")
def enrol_second_factor(  # nosec B107 - empty form fields by default, not a password
    request: Request, actor: EnrollingStaff, secret: FormStr = "", code: FormStr = ""
) -> Response:
    ctx = ctx_of(request)
    try:
        second_factor.enrol(ctx, actor=actor, secret=secret, code=code)
    except (InvalidInputError, ConflictError) as exc:
        errors = (
            field_errors(exc.problems)
            if isinstance(exc, InvalidInputError) and exc.problems
            else {"form": str(exc)}
        )
        return page(
            request,
            "staff/second_factor.html",
            actor,
            status_code=exc.status,
            errors=errors,
            status=second_factor.status(ctx, actor=actor),
            enrolment=second_factor.begin(ctx, actor=actor, secret=secret),
        )
    return redirect("/staff/queue")


@router.post("/second-factor/reset")
def reset_second_factor(request: Request, actor: Staff, username: FormStr = "") -> Response:
    """An administrator resets a colleague's lost second factor (never their own)."""
    ctx = ctx_of(request)
    done, errors, status_code = "", {}, 200
    try:
        target = accounts.staff_by_username(ctx, username.strip())
        done = second_factor.reset(ctx, actor=actor, staff_id=target.id)
    except (NotFoundError, ConflictError, PermissionDeniedError) as exc:
        errors, status_code = {"reset": str(exc)}, exc.status
    return page(
        request,
        "staff/second_factor.html",
        actor,
        status_code=status_code,
        errors=errors,
        reset_done=done,
        status=second_factor.status(ctx, actor=actor),
        enrolment=second_factor.begin(ctx, actor=actor),
    )


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


for _part in (queue, confirm, scope, requesters, people, oversight):
    router.include_router(_part.router)

__all__ = ["QUEUES", "router"]
