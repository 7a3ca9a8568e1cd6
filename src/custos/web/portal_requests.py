"""The requester portal's requests: the new-request form, its check-your-answers step, and a
request's page.

The form follows the GOV.UK patterns: questions grouped with plain labels (fields by program,
from the pack's catalogue), a hint of what the chosen purpose could be given (from the pack
in force, `workflow.policy.purpose_hints`), one error summary naming every problem with a
link to its field, and a check-your-answers page whose "Change" buttons bring the answers
back. Everything works without JavaScript; htmx only refreshes the purpose hint in place.
The answers travel in the pages' own forms (POST, never in a URL: they name a person).

A request's page says whom it is about and what was asked, as the requester gave it, and
never whether anyone matched.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.disclosure import Purpose
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError
from custos.domain.legal import LegalProcessKind
from custos.domain.principals import RequesterPrincipal
from custos.domain.words import PROGRAMS, field_namer
from custos.web import _request_form as rf
from custos.web._auth import Requester
from custos.web._render import FormStr, ctx_of, field_errors, redirect, render, upload
from custos.web._security import check_csrf
from custos.workflow import accounts, releases, requests
from custos.workflow import policy as policy_service

router = APIRouter(prefix="/portal", dependencies=[Depends(check_csrf)], include_in_schema=False)

RequestFormData = Annotated[rf.RequestForm, Form()]


def _page(request: Request, template: str, actor: RequesterPrincipal, **data: Any) -> HTMLResponse:
    name = accounts.requester_view(ctx_of(request), actor.id).name
    return render(request, template, me=actor, agency=name, **data)


# --- what a purpose could be given ------------------------------------------------------------


def _processes_in_words(kinds: frozenset[LegalProcessKind]) -> str:
    """`{court_order, judicial_warrant}` → "only with a court order or judicial warrant"."""
    if kinds == frozenset(LegalProcessKind):
        return "with or without a legal process"
    if kinds == frozenset(LegalProcessKind) - {LegalProcessKind.NONE}:
        return "with any legal process"
    chosen = [k.value.replace("_", " ") for k in LegalProcessKind if k in kinds]
    return "only with a " + " or ".join(chosen)


def _heading(text: str) -> str:
    """A program's plain name as a heading: "housing assistance" → "Housing assistance"."""
    return text[:1].upper() + text[1:]


def _hint(request: Request, actor: RequesterPrincipal, purpose: str) -> dict[str, Any] | None:
    """What the chosen purpose could be given, by program, for the template (None: no
    purpose chosen yet)."""
    if purpose not in {p.value for p in Purpose}:
        return None
    ctx = ctx_of(request)
    catalogue = policy_service.active_pack(ctx).catalogue
    allowed = policy_service.purpose_hint(ctx, actor=actor, purpose=Purpose(purpose))
    groups: list[dict[str, Any]] = []
    for program, specs in rf.by_program(catalogue):
        items = [
            {"label": spec.label, "when": _processes_in_words(allowed[spec.ref])}
            for spec in specs
            if spec.ref in allowed
        ]
        if items:
            groups.append({"program": _heading(PROGRAMS["en"][program.value]), "entries": items})
    return {"purpose": Purpose(purpose), "groups": groups, "allowed": {str(r) for r in allowed}}


@router.get("/requests/new/hint")
def purpose_hint(request: Request, actor: Requester, purpose: str = "") -> HTMLResponse:
    """The hint panel alone, for htmx to swap in when the purpose changes."""
    return render(request, "portal/_purpose_hint.html", hint=_hint(request, actor, purpose))


# --- the form ---------------------------------------------------------------------------------


def _form_page(
    request: Request,
    actor: RequesterPrincipal,
    form: dict[str, Any],
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    focus: str = "",
) -> HTMLResponse:
    catalogue = policy_service.active_pack(ctx_of(request)).catalogue
    groups = [
        {
            "program": program.value,
            "label": _heading(PROGRAMS["en"][program.value]),
            "fields": specs,
        }
        for program, specs in rf.by_program(catalogue)
    ]
    problems = errors or {}
    return _page(
        request,
        "portal/new_request.html",
        actor,
        status_code=status_code,
        groups=groups,
        purposes=list(Purpose),
        kinds=list(LegalProcessKind),
        errors=problems,
        summary=rf.summary(problems),
        form={"fields": [], **form},
        hint=_hint(request, actor, str(form.get("purpose", ""))),
        focus=focus if focus in rf.ORDER else "",
    )


@router.get("/requests/new")
def new_request(request: Request, actor: Requester, purpose: str = "") -> HTMLResponse:
    return _form_page(request, actor, {"purpose": purpose})


def _with_upload(
    request: Request, actor: RequesterPrincipal, form: rf.RequestForm
) -> tuple[rf.RequestForm, dict[str, str]]:
    """Store a newly chosen document (it replaces one uploaded before); its refusal, if any."""
    errors: dict[str, str] = {}
    sha = upload(request, actor, form.document, errors)
    update: dict[str, Any] = {"document": None}
    if sha is not None and form.document is not None:
        update |= {"document_sha256": sha, "document_name": form.document.filename or ""}
    return form.model_copy(update=update), errors


@router.post("/requests/new")
def refresh(request: Request, actor: Requester, form: RequestFormData) -> HTMLResponse:
    """Without JavaScript, "Show what this purpose allows" comes here: the same form, the
    answers kept, the hint for the purpose now chosen."""
    form, errors = _with_upload(request, actor, form)
    return _form_page(request, actor, form.echo(), errors=errors, focus="purpose")


@router.post("/requests/check")
def check_answers(request: Request, actor: Requester, form: RequestFormData) -> HTMLResponse:
    """Check every answer; the form again with every problem, or the check-your-answers page."""
    form, upload_errors = _with_upload(request, actor, form)
    catalogue = policy_service.active_pack(ctx_of(request)).catalogue
    data, errors = rf.check(form, catalogue, actor.id)
    errors = {**errors, **upload_errors}
    if data is None or errors:
        return _form_page(request, actor, form.echo(), status_code=422, errors=errors)
    name = field_namer(catalogue, "en")
    return _page(
        request,
        "portal/check_request.html",
        actor,
        form=form.echo(),
        field_names=[name(f) for f in form.fields],
        anchor=rf.anchor,
    )


@router.post("/requests/edit")
def change(
    request: Request, actor: Requester, form: RequestFormData, change: FormStr = ""
) -> HTMLResponse:
    """A "Change" button of the check page: the form with the answers, at that question."""
    form, errors = _with_upload(request, actor, form)
    return _form_page(request, actor, form.echo(), errors=errors, focus=change)


@router.post("/requests")
def submit(request: Request, actor: Requester, form: RequestFormData) -> Response:
    form, upload_errors = _with_upload(request, actor, form)
    ctx = ctx_of(request)
    data, errors = rf.check(form, policy_service.active_pack(ctx).catalogue, actor.id)
    errors = {**errors, **upload_errors}
    if data is None or errors:
        return _form_page(request, actor, form.echo(), status_code=422, errors=errors)
    try:
        request_id = requests.submit(ctx, actor=actor, data=data)
    except InvalidInputError as exc:
        problems = exc.problems or (FieldProblem(path="form", message=str(exc)),)
        errors = field_errors(problems, rf.ALIASES)
        return _form_page(request, actor, form.echo(), status_code=422, errors=errors)
    except ConflictError as exc:
        errors = {"form": str(exc)}
        return _form_page(request, actor, form.echo(), status_code=409, errors=errors)
    return redirect(f"/portal/requests/{request_id}")


# --- a request --------------------------------------------------------------------------------


def _subject_words(identifier: dict[str, str]) -> str:
    """One named person as the requester gave them; an SSN shows only its last four digits."""
    if "case_number" in identifier:
        return f"Case number {identifier['case_number']}"
    if "ssn" in identifier:
        return f"Social Security number ending {identifier['ssn'][-4:]}"
    return f"{identifier.get('full_name', '')}, born {identifier.get('birth_date', '')}"


def _bulk_words(bulk: dict[str, Any]) -> str:
    programs = ", ".join(PROGRAMS["en"].get(p, p) for p in bulk.get("programs", []))
    counties = ", ".join(bulk.get("counties", [])) or "every county"
    return f"Everyone in {programs}; {counties}"


@router.get("/requests/{request_id}")
def request_page(request: Request, actor: Requester, request_id: str) -> HTMLResponse:
    ctx = ctx_of(request)
    view = requests.get_for_requester(ctx, actor=actor, request_id=request_id)
    asked = requests.asked_by_requester(ctx, actor=actor, request_id=request_id)
    mine = [r for r in releases.list_for_requester(ctx, actor=actor) if r.request_id == view.id]
    name = field_namer(policy_service.active_pack(ctx).catalogue, "en")
    whom = (
        [_bulk_words(asked.bulk)]
        if asked.bulk is not None
        else [_subject_words(s) for s in asked.subjects]
    )
    return _page(
        request,
        "portal/request.html",
        actor,
        r=view,
        asked=asked,
        whom=whom,
        field_names=[name(f) for f in view.fields],
        releases=mine,
    )


@router.post("/requests/{request_id}/withdraw")
def withdraw(request: Request, actor: Requester, request_id: str) -> Response:
    requests.withdraw(ctx_of(request), actor=actor, request_id=request_id)
    return redirect(f"/portal/requests/{request_id}")


__all__ = ["router"]
