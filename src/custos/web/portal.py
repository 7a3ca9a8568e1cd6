"""The requester portal: an agency submits a request with its legal document, follows it,
downloads releases, acknowledges receipt and attests destruction.

Each officer signs in as themselves with a password and a TOTP code; the session lives on
the server (`custos.workflow.portal_sessions`) and the cookie holds only its random token.
The agency's API token is for machine clients and does not open these pages.
What the pages show is what the requester API shows: never a match, a person or a challenge.
The new-request form and a request's page are in `portal_requests`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
)
from custos.domain.principals import RequesterPrincipal
from custos.web._auth import REQUESTER_COOKIE, REQUESTER_COOKIE_SECONDS, Requester
from custos.web._render import (
    FormData,
    FormStr,
    ctx_of,
    field_errors,
    redirect,
    render,
)
from custos.web._security import check_csrf, clear_cookie, set_cookie
from custos.workflow import accounts, portal_sessions, releases, requests

router = APIRouter(prefix="/portal", dependencies=[Depends(check_csrf)], include_in_schema=False)


def _page(request: Request, template: str, actor: RequesterPrincipal, **data: Any) -> HTMLResponse:
    ctx = ctx_of(request)
    name = accounts.requester_view(ctx, actor.id).name
    officer = portal_sessions.officer_name(ctx, actor.officer_id) if actor.officer_id else ""
    return render(request, template, me=actor, agency=name, officer=officer, **data)


# --- sign-in --------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(request: Request) -> HTMLResponse:
    return render(request, "portal/sign_in.html")


@router.post("/sign-in")
def sign_in(  # nosec B107 - empty form fields by default, not passwords
    request: Request, username: FormStr = "", password: FormStr = "", code: FormStr = ""
) -> Response:
    """Password and TOTP code; the cookie gets the new session's token, nothing else."""
    ctx = ctx_of(request)
    try:
        opened = portal_sessions.sign_in(ctx, username=username, password=password, code=code)
    except AuthenticationError as exc:
        return render(
            request,
            "portal/sign_in.html",
            status_code=exc.status,
            errors={"form": str(exc)},
            form={"username": username},
        )
    response = redirect("/portal/")
    set_cookie(request, response, REQUESTER_COOKIE, opened.token, max_age=REQUESTER_COOKIE_SECONDS)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    """End the session on the server, so the cookie is worthless even if it was copied."""
    token = request.cookies.get(REQUESTER_COOKIE)
    if token:
        portal_sessions.sign_out(ctx_of(request), token)
    response = redirect("/portal/sign-in")
    clear_cookie(request, response, REQUESTER_COOKIE)
    return response


# --- requests -------------------------------------------------------------------------------


@router.get("")
@router.get("/")
def home(request: Request, actor: Requester) -> HTMLResponse:
    ctx = ctx_of(request)
    return _page(
        request,
        "portal/home.html",
        actor,
        items=requests.list_for_requester(ctx, actor=actor),
        releases=releases.list_for_requester(ctx, actor=actor),
    )


# --- releases -------------------------------------------------------------------------------


def _release_page(
    request: Request,
    actor: RequesterPrincipal,
    release_id: str,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = ctx_of(request)
    view = releases.get_for_requester(ctx, actor=actor, release_id=release_id)
    return _page(
        request,
        "portal/release.html",
        actor,
        status_code=status_code,
        rel=view,
        today=ctx.today().isoformat(),
        errors=errors or {},
        form=form or {},
    )


@router.get("/releases/{release_id}")
def release_page(request: Request, actor: Requester, release_id: str) -> HTMLResponse:
    return _release_page(request, actor, release_id)


@router.get("/releases/{release_id}/package")
def download(request: Request, actor: Requester, release_id: str) -> StreamingResponse:
    package = releases.download(ctx_of(request), actor=actor, release_id=release_id)
    return StreamingResponse(
        package.chunks,
        media_type="application/x-tar",
        headers={
            "Content-Disposition": f'attachment; filename="{package.filename}"',
            "Content-Length": str(package.size),
        },
    )


@router.post("/releases/{release_id}/receipt")
def acknowledge(
    request: Request, actor: Requester, release_id: str, payload_sha256: FormStr = ""
) -> Response:
    try:
        releases.acknowledge_receipt(
            ctx_of(request), actor=actor, release_id=release_id, payload_sha256=payload_sha256
        )
    except (InvalidInputError, ConflictError) as exc:
        errors = (
            field_errors(exc.problems)
            if isinstance(exc, InvalidInputError) and exc.problems
            else {"payload_sha256": str(exc)}
        )
        return _release_page(
            request,
            actor,
            release_id,
            status_code=exc.status,
            errors=errors,
            form={"payload_sha256": payload_sha256},
        )
    return redirect(f"/portal/releases/{release_id}")


class DestructionForm(FormData):
    """The recipient's attestation that a release was destroyed."""

    destroyed_by: str = ""
    destroyed_on: str = ""
    method: str = ""
    statement: str = ""


@router.post("/releases/{release_id}/destruction")
def attest(
    request: Request,
    actor: Requester,
    release_id: str,
    attestation: Annotated[DestructionForm, Form()],
) -> Response:
    form = attestation.echo()
    try:
        day = dt.date.fromisoformat(attestation.destroyed_on)
    except ValueError:
        return _release_page(
            request,
            actor,
            release_id,
            status_code=422,
            errors={"destroyed_on": "a date, YYYY-MM-DD"},
            form=form,
        )
    try:
        releases.attest_destruction(
            ctx_of(request),
            actor=actor,
            release_id=release_id,
            destroyed_by=attestation.destroyed_by,
            destroyed_on=day,
            method=attestation.method,
            statement=attestation.statement,
        )
    except (InvalidInputError, ConflictError) as exc:
        errors = (
            field_errors(exc.problems)
            if isinstance(exc, InvalidInputError) and exc.problems
            else {"statement": str(exc)}
        )
        return _release_page(
            request, actor, release_id, status_code=exc.status, errors=errors, form=form
        )
    return redirect(f"/portal/releases/{release_id}")


__all__ = ["router"]
