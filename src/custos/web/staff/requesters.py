"""The staff console's requesting agencies: registering them and their officers, issuing
their API tokens, and recording their data sharing agreements with the signed document."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import Field

from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from custos.domain.principals import StaffPrincipal
from custos.domain.programs import FieldRef, Program
from custos.web._auth import Staff
from custos.web._render import FormData, FormStr, ctx_of, field_errors, redirect, upload
from custos.web.staff._page import page
from custos.workflow import accounts, agreements, officers, tokens
from custos.workflow import policy as policy_service

router = APIRouter(include_in_schema=False)


def _requesters_page(
    request: Request, actor: StaffPrincipal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    return page(
        request,
        "staff/requesters.html",
        actor,
        status_code=status_code,
        requesters=accounts.list_requesters(ctx, actor=actor),
        officers=officers.list_officers(ctx, actor=actor),
        agreements=agreements.list_agreements(ctx, actor=actor),
        kinds=list(RequesterKind),
        programs=list(Program),
        purposes=list(Purpose),
        fields=sorted(str(f) for f in policy_service.active_pack(ctx).catalogue),
        **extra,
    )


@router.get("/requesters")
def requesters_page(request: Request, actor: Staff, registered: str = "") -> HTMLResponse:
    return _requesters_page(request, actor, registered=registered)


@router.post("/requesters")
def register_requester(
    request: Request,
    actor: Staff,
    name: FormStr = "",
    kind: FormStr = "",
    age_recipient: FormStr = "",
    contact: FormStr = "",
) -> Response:
    form = {"name": name, "kind": kind, "age_recipient": age_recipient, "contact": contact}
    try:
        accounts.register_requester(
            ctx_of(request),
            actor=actor,
            name=name,
            kind=RequesterKind(kind) if kind in set(RequesterKind) else RequesterKind.OTHER,
            age_recipients=[age_recipient.strip()] if age_recipient.strip() else [],
            contact=contact,
        )
    except InvalidInputError as exc:
        errors = field_errors(exc.problems, {"age_recipients": "age_recipient"})
        return _requesters_page(request, actor, status_code=422, errors=errors, form=form)
    except PermissionDeniedError as exc:
        return _requesters_page(request, actor, status_code=403, errors={"form": str(exc)})
    return redirect("/staff/requesters")


@router.post("/requesters/{requester_id}/tokens")
def issue_token(request: Request, actor: Staff, requester_id: str) -> Response:
    try:
        issued = tokens.issue_token(ctx_of(request), actor=actor, requester_id=requester_id)
    except (PermissionDeniedError, ConflictError) as exc:
        return _requesters_page(request, actor, status_code=exc.status, errors={"form": str(exc)})
    return _requesters_page(request, actor, issued=issued, issued_for=requester_id)


# --- officers -------------------------------------------------------------------------------

#: Where officer problems are shown on the officer form.
_OFFICER_FIELDS = {
    "username": "officer_username",
    "display_name": "officer_name",
    "email": "officer_email",
    "password": "officer_password",  # nosec B105  (a form field name, not a secret)
}


def qr_svg(uri: str) -> Markup:
    """The `otpauth://` URI as an inline SVG QR code, for a phone's authenticator app to scan.

    Made here, not in the template, so nothing but segno's own output is marked safe."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None
    )
    label = "QR code of the sign-in secret, for an authenticator app"
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S704  # nosec B704  (segno's SVG of a URI we made)


class OfficerForm(FormData):
    """The officer registration form."""

    officer_requester: str = ""
    officer_name: str = ""
    officer_username: str = ""
    officer_email: str = ""


@router.post("/officers")
def register_officer(
    request: Request, actor: Staff, officer: Annotated[OfficerForm, Form()]
) -> Response:
    """Register an officer; the page then shows their password and TOTP secret once."""
    form = officer.echo()
    try:
        made = officers.register(
            ctx_of(request),
            actor=actor,
            requester_id=officer.officer_requester,
            username=officer.officer_username,
            display_name=officer.officer_name,
            email=officer.officer_email,
        )
    except InvalidInputError as exc:
        errors = field_errors(exc.problems, _OFFICER_FIELDS)
        return _requesters_page(request, actor, status_code=422, errors=errors, form=form)
    except (PermissionDeniedError, ConflictError, NotFoundError) as exc:
        errors = {"officer": str(exc)}
        return _requesters_page(request, actor, status_code=exc.status, errors=errors, form=form)
    return _requesters_page(request, actor, officer=made, qr=qr_svg(made.otpauth_uri))


@router.post("/officers/{officer_id}/second-factor/reset")
def reset_officer_second_factor(request: Request, actor: Staff, officer_id: str) -> Response:
    """Replace an officer's lost second factor; the page shows the new secret once."""
    try:
        made = officers.reset_second_factor(ctx_of(request), actor=actor, officer_id=officer_id)
    except (PermissionDeniedError, NotFoundError) as exc:
        return _requesters_page(
            request, actor, status_code=exc.status, errors={"officer": str(exc)}
        )
    return _requesters_page(request, actor, reset=made, qr=qr_svg(made.otpauth_uri))


@router.post("/officers/{officer_id}/{change}")
def change_officer(request: Request, actor: Staff, officer_id: str, change: str) -> Response:
    """Suspend (their sessions end at once) or reinstate an officer."""
    action = {"suspend": officers.suspend, "reinstate": officers.reinstate}.get(change)
    if action is None:
        raise NotFoundError("no such change")
    try:
        action(ctx_of(request), actor=actor, officer_id=officer_id)
    except (PermissionDeniedError, NotFoundError) as exc:
        return _requesters_page(
            request, actor, status_code=exc.status, errors={"officer": str(exc)}
        )
    return redirect("/staff/requesters#h-officers")


#: Where agreement problems are shown on the form.
_AGREEMENT_FIELDS = {"document_sha256": "document", "request": "agreement"}


class AgreementForm(FormData):
    """The agreement form: its terms, and the signed agreement itself."""

    document: UploadFile | None = None
    requester_id: str = ""
    title: str = ""
    parties: str = ""
    programs: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    purposes: list[str] = Field(default_factory=list)
    retention_days: str = ""
    valid_from: str = ""
    valid_until: str = ""


def _day(value: str, name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "a date, YYYY-MM-DD"
        return None


def _terms(form: AgreementForm, errors: dict[str, str]) -> dict[str, Any] | None:
    """The agreement's terms as `agreements.register_agreement` takes them; None, with the
    reasons in `errors`, when the form does not read."""
    start = _day(form.valid_from, "valid_from", errors)
    end = _day(form.valid_until, "valid_until", errors)
    if not form.retention_days.strip().isdigit():
        errors["retention_days"] = "a whole number of days"
    refs: list[FieldRef] = []
    for f in form.fields:
        try:
            refs.append(FieldRef.parse(f))
        except ValueError:
            errors["fields"] = f"not a field: {f}"
    if start is None or end is None or errors:
        return None
    return {
        "parties": [p.strip() for p in form.parties.split(",") if p.strip()],
        "programs": [Program(p) for p in form.programs if p in set(Program)],
        "fields": refs,
        "purposes": [Purpose(p) for p in form.purposes if p in set(Purpose)],
        "retention_days": int(form.retention_days),
        "valid_from": start,
        "valid_until": end,
    }


def _upload(
    request: Request, actor: StaffPrincipal, document: UploadFile | None, errors: dict[str, str]
) -> str:
    """The uploaded agreement's SHA-256, or "" (none sent, or refused: said in `errors`)."""
    try:
        return upload(request, actor, document, errors) or ""
    except PermissionDeniedError as exc:
        errors["agreement"] = str(exc)
        return ""


@router.post("/agreements")
def register_agreement(
    request: Request, actor: Staff, form: Annotated[AgreementForm, Form()]
) -> Response:
    """Upload the signed agreement (`documents.upload`), then record it with its hash."""
    errors: dict[str, str] = {}
    terms = _terms(form, errors)
    sha = _upload(request, actor, form.document, errors)
    status = 422
    if terms is not None and not errors:
        try:
            agreements.register_agreement(
                ctx_of(request),
                actor=actor,
                requester_id=form.requester_id,
                title=form.title,
                document_sha256=sha,
                **terms,
            )
        except InvalidInputError as exc:
            problems = exc.problems or [FieldProblem(path="request", message=str(exc))]
            errors = field_errors(problems, _AGREEMENT_FIELDS)
        except NotFoundError as exc:
            errors = {"requester_id": str(exc)}
        except PermissionDeniedError as exc:
            errors, status = {"agreement": str(exc)}, 403
        else:
            return redirect("/staff/requesters?registered=agreement")
    return _requesters_page(request, actor, status_code=status, errors=errors, form=form.echo())
