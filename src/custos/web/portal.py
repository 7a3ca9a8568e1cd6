"""The requester portal: an agency submits a request with its legal document, follows it,
downloads releases, acknowledges receipt and attests destruction.

The agency signs in once with its API token; the pages then use a signed, expiring cookie.
What the pages show is what the requester API shows: never a match, a person or a challenge.
The new-request form and a request's page are in `portal_requests`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
)
from custos.domain.principals import RequesterPrincipal
from custos.web._auth import (
    REQUESTER_COOKIE,
    REQUESTER_COOKIE_SECONDS,
    REQUESTER_PURPOSE,
    Requester,
)
from custos.web._render import (
    FormStr,
    ctx_of,
    field_errors,
    redirect,
    render,
)
from custos.web._security import check_csrf, clear_cookie, set_cookie, sign
from custos.workflow import accounts, releases, requests

router = APIRouter(prefix="/portal", dependencies=[Depends(check_csrf)], include_in_schema=False)


def _page(request: Request, template: str, actor: RequesterPrincipal, **data: Any) -> HTMLResponse:
    name = accounts.requester_view(ctx_of(request), actor.id).name
    return render(request, template, me=actor, agency=name, **data)


# --- sign-in --------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(request: Request) -> HTMLResponse:
    return render(request, "portal/sign_in.html")


@router.post("/sign-in")
def sign_in(  # nosec B107 - an empty form field by default, not a password
    request: Request, token: FormStr = ""
) -> Response:
    ctx = ctx_of(request)
    try:
        accounts.requester_from_token(ctx, token.strip())
    except AuthenticationError as exc:
        return render(request, "portal/sign_in.html", status_code=401, errors={"token": str(exc)})
    response = redirect("/portal/")
    value = sign(ctx, REQUESTER_PURPOSE, token.strip(), now=ctx.now().timestamp())
    set_cookie(request, response, REQUESTER_COOKIE, value, max_age=REQUESTER_COOKIE_SECONDS)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
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


@router.post("/releases/{release_id}/destruction")
def attest(
    request: Request,
    actor: Requester,
    release_id: str,
    destroyed_by: FormStr = "",
    destroyed_on: FormStr = "",
    method: FormStr = "",
    statement: FormStr = "",
) -> Response:
    form = {
        "destroyed_by": destroyed_by,
        "destroyed_on": destroyed_on,
        "method": method,
        "statement": statement,
    }
    try:
        day = dt.date.fromisoformat(destroyed_on)
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
            destroyed_by=destroyed_by,
            destroyed_on=day,
            method=method,
            statement=statement,
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
