"""The requester portal: an agency submits a request with its legal document, follows it,
downloads releases, acknowledges receipt and attests destruction.

Each officer signs in as themselves with a password and a TOTP code; the session lives on
the server (`custos.workflow.portal_sessions`) and the cookie holds only its random token.
The agency's API token is for machine clients and does not open these pages.
What the pages show is what the requester API shows: never a match, a person or a challenge.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import Field, ValidationError

from custos.domain.disclosure import Purpose
from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    FieldProblem,
    InvalidInputError,
)
from custos.domain.legal import LegalProcessKind
from custos.domain.principals import RequesterPrincipal
from custos.web._auth import REQUESTER_COOKIE, REQUESTER_COOKIE_SECONDS, Requester
from custos.web._render import (
    FormData,
    FormStr,
    ctx_of,
    field_errors,
    redirect,
    render,
    upload,
)
from custos.web._security import check_csrf, clear_cookie, set_cookie
from custos.workflow import accounts, portal_sessions, releases, requests
from custos.workflow import policy as policy_service
from custos.workflow.intake import RequestInput

router = APIRouter(prefix="/portal", dependencies=[Depends(check_csrf)], include_in_schema=False)


#: Where request problems are shown on the form.
_ALIASES = {
    "legal_process.document_sha256": "document",
    "legal_process.kind": "kind",
    "subjects": "subject",
    "request": "form",
    "purpose_text": "purpose_text",
}


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


def _new_form(
    request: Request,
    actor: RequesterPrincipal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    catalogue = policy_service.active_pack(ctx_of(request)).catalogue
    return _page(
        request,
        "portal/new_request.html",
        actor,
        status_code=status_code,
        fields=sorted(str(f) for f in catalogue),
        purposes=list(Purpose),
        kinds=list(LegalProcessKind),
        errors=errors or {},
        form=form or {"fields": []},
    )


@router.get("/requests/new")
def new_request(request: Request, actor: Requester) -> HTMLResponse:
    return _new_form(request, actor)


def _optional(value: str) -> str | None:
    return value.strip() or None


class RequestForm(FormData):
    """The request form: who and what is asked for, why, under which legal process."""

    document: UploadFile | None = None
    purpose: str = ""
    purpose_text: str = ""
    kind: str = ""
    issuer: str = ""
    docket_number: str = ""
    signer: str = ""
    issued_on: str = ""
    expires_on: str = ""
    full_name: str = ""
    birth_date: str = ""
    case_number: str = ""
    ssn: str = ""
    fields: list[str] = Field(default_factory=list)
    fleeing_or_violating: str = ""
    locating_is_official_duty: str = ""
    proper_exercise_of_duty: str = ""
    emergency_statement: str = ""

    def request_input(self, document_sha256: str | None) -> dict[str, Any]:
        """The form as the requester API's request body (`RequestInput`) has it."""
        subject = {
            "full_name": _optional(self.full_name),
            "birth_date": _optional(self.birth_date),
            "case_number": _optional(self.case_number),
            "ssn": _optional(self.ssn),
        }
        return {
            "subjects": [subject] if any(subject.values()) else [],
            "fields": self.fields,
            "purpose": self.purpose,
            "purpose_text": self.purpose_text,
            "legal_process": {
                "kind": self.kind,
                "issuer": self.issuer,
                "docket_number": self.docket_number,
                "signer": self.signer,
                "issued_on": _optional(self.issued_on),
                "expires_on": _optional(self.expires_on),
                "document_sha256": document_sha256,
            },
            "statements": {
                "fleeing_or_violating": bool(self.fleeing_or_violating),
                "locating_is_official_duty": bool(self.locating_is_official_duty),
                "proper_exercise_of_duty": bool(self.proper_exercise_of_duty),
            },
            "emergency_statement": _optional(self.emergency_statement),
        }


@router.post("/requests")
def submit(request: Request, actor: Requester, form: Annotated[RequestForm, Form()]) -> Response:
    errors: dict[str, str] = {}
    sha = upload(request, actor, form.document, errors)
    try:
        data = RequestInput.model_validate(form.request_input(sha))
    except ValidationError as exc:
        errors = {**field_errors(_problems(exc), _ALIASES), **errors}
        return _new_form(request, actor, status_code=422, errors=errors, form=form.echo())
    if errors:
        return _new_form(request, actor, status_code=422, errors=errors, form=form.echo())
    try:
        request_id = requests.submit(ctx_of(request), actor=actor, data=data)
    except InvalidInputError as exc:
        problems = exc.problems or [FieldProblem(path="form", message=str(exc))]
        errors = field_errors(problems, _ALIASES)
        return _new_form(request, actor, status_code=422, errors=errors, form=form.echo())
    except ConflictError as exc:
        errors = {"form": str(exc)}
        return _new_form(request, actor, status_code=409, errors=errors, form=form.echo())
    return redirect(f"/portal/requests/{request_id}")


def _problems(exc: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            path=".".join(str(p) for p in e["loc"] if not isinstance(p, int)),
            message=_plain(e["msg"]),
        )
        for e in exc.errors()
    ]


def _plain(message: str) -> str:
    """Pydantic's wording, made a little friendlier for a form."""
    if message.startswith("Input should be "):
        return "choose one of the options" if "'" in message else message
    if "at least 1 character" in message:
        return "required"
    return message


@router.get("/requests/{request_id}")
def request_page(request: Request, actor: Requester, request_id: str) -> HTMLResponse:
    ctx = ctx_of(request)
    view = requests.get_for_requester(ctx, actor=actor, request_id=request_id)
    mine = [r for r in releases.list_for_requester(ctx, actor=actor) if r.request_id == view.id]
    return _page(request, "portal/request.html", actor, r=view, releases=mine)


@router.post("/requests/{request_id}/withdraw")
def withdraw(request: Request, actor: Requester, request_id: str) -> Response:
    requests.withdraw(ctx_of(request), actor=actor, request_id=request_id)
    return redirect(f"/portal/requests/{request_id}")


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
