"""The legal reviewer's classification form on the request page: the kind of legal process
and what the document names (programs, fields, period, people), to confirm or correct.

The form is read as text, turned into the same `LegalProcessInput` the API takes, and handed
to `requests.classify`, which confirms when nothing changed and otherwise re-decides. Every
problem comes back on the request page, listed in a summary above the form and next to its
field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    PermissionDeniedError,
)
from custos.web._auth import Staff
from custos.web._render import FormData, ctx_of, redirect
from custos.web.staff.queue import show_request
from custos.workflow import requests
from custos.workflow.intake import LegalProcessInput

router = APIRouter(include_in_schema=False)

#: Where each problem's path lands on the form (its field's name).
_FORM_NAMES = {
    "kind": "kind",
    "programs": "programs",
    "fields": "fields",
    "people": "people",
    "period_from": "period_from",
    "period_until": "period_until",
}


class ScopeForm(FormData):
    """The classification form as sent: every field optional text, read by `_process`."""

    kind: str | None = None
    programs: list[str] | None = None
    fields: list[str] | None = None
    #: Positions of the request's subjects the document names.
    people: list[str] | None = None
    period_from: str | None = None
    period_until: str | None = None
    note: str | None = None


def _people(view: requests.StaffRequestView, positions: list[str]) -> list[dict[str, str]]:
    """The identifiers, as the request gave them, of the subjects ticked on the form."""
    by_position = {str(s.position): s.identifier for s in view.subjects if s.identifier}
    return [by_position[p] for p in positions if p in by_position]


def _process(view: requests.StaffRequestView, form: ScopeForm) -> LegalProcessInput:
    """The classification the form asks for; raises InvalidInputError naming each bad field."""
    current = dict(view.classified_process or view.legal_process)
    scope: dict[str, Any] = {
        "programs": form.programs or [],
        "fields": form.fields or [],
        "people": _people(view, form.people or []),
        "period_from": form.period_from or None,
        "period_until": form.period_until or None,
    }
    recorded = any(scope.values())
    data = current | {"kind": form.kind or current["kind"], "scope": scope if recorded else None}
    try:
        return LegalProcessInput.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        raise InvalidInputError("the classification is invalid", problems) from None


def _problem(error: Any) -> FieldProblem:
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    name = next((_FORM_NAMES[part] for part in reversed(loc) if part in _FORM_NAMES), "scope")
    message = str(error["msg"])
    if "date" in message:
        message = "enter a date as YYYY-MM-DD"
    elif message.startswith("Input should be "):
        message = "choose one of the options"
    return FieldProblem(path=name, message=message)


def _errors(problems: list[FieldProblem]) -> dict[str, str]:
    """Problems keyed by form field: `legal_process.scope.people[0]` → `people`."""
    out: dict[str, str] = {}
    for p in problems:
        parts = p.path.replace("[", ".").split(".")
        name = next((_FORM_NAMES[part] for part in reversed(parts) if part in _FORM_NAMES), None)
        out.setdefault(name or "scope", p.message)
    return out


@router.post("/requests/{request_id}/scope")
def classify_with_scope(
    request: Request, actor: Staff, request_id: str, form: Annotated[ScopeForm, Form()]
) -> Response:
    """Confirm or correct the classification, recording what the document names."""
    ctx = ctx_of(request)
    try:
        view = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
        corrected = _process(view, form)
        requests.classify(
            ctx,
            actor=actor,
            request_id=request_id,
            legal_process=corrected,
            note=(form.note or "").strip(),
        )
    except InvalidInputError as exc:
        return show_request(
            request,
            actor,
            request_id,
            status_code=exc.status,
            scope_errors=_errors(exc.problems) if exc.problems else {"scope": str(exc)},
            scope_form=form.echo(),
        )
    except (ConflictError, PermissionDeniedError) as exc:
        # Shown at the top of the page: the form itself is gone once the request moved on.
        return show_request(
            request, actor, request_id, status_code=exc.status, errors={"action": str(exc)}
        )
    return redirect(f"/staff/requests/{request_id}")
