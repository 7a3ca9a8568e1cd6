"""Rendering pages: one Jinja2 environment, the CSRF token and language in every page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict

from custos.domain.errors import FieldProblem, InvalidInputError
from custos.domain.legal import LegalProcessKind
from custos.domain.permissions import Action, allowed
from custos.domain.principals import StaffPrincipal
from custos.domain.programs import Program
from custos.web import _i18n
from custos.web._security import CSRF_COOKIE, csrf_seed, csrf_token, set_cookie
from custos.workflow import documents
from custos.workflow.context import Context

TEMPLATES_DIR = Path(__file__).parent / "templates"

#: A form field as the routers declare it: one value, or every value of a repeated field.
FormStr = Annotated[str, Form()]
FormList = Annotated[list[str] | None, Form()]


class FormData(BaseModel):
    """A page's form as one route parameter (`Annotated[SomeForm, Form()]`).

    Every field is optional text (a repeated field a list, an upload an `UploadFile`), so a
    half-filled form is still read and the service says what is missing; `echo` fills the
    page in again when it comes back with errors. Other form fields (the CSRF token) are
    ignored.
    """

    model_config = ConfigDict(extra="ignore")

    def echo(self) -> dict[str, Any]:
        """The submitted values by field name, uploads left out (a browser cannot refill them)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return {
            name: list(value) if isinstance(value, list) else value
            for name, value in values.items()
            if not isinstance(value, UploadFile) and value is not None
        }


def upload(
    request: Request, actor: Any, document: UploadFile | None, errors: dict[str, str]
) -> str | None:
    """Store a form's uploaded document (`documents.upload`); its SHA-256, or None when none
    was sent or it was refused (then why, under `errors["document"]`). Reads one byte past the
    limit, which is enough for the service to refuse an oversized file."""
    if document is None or not document.filename:
        return None
    ctx = ctx_of(request)
    content = document.file.read(ctx.settings.max_document_bytes + 1)
    try:
        return documents.upload(
            ctx,
            actor=actor,
            content=content,
            filename=document.filename,
            content_type=(document.content_type or "application/octet-stream").split(";")[0],
        )
    except InvalidInputError as exc:
        errors["document"] = str(exc)
        return None


_templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
_env = _templates.env
_env.autoescape = True
_env.trim_blocks = True
_env.lstrip_blocks = True


def _label(value: object) -> str:
    """`civil_immigration_enforcement` → `civil immigration enforcement`."""
    return str(getattr(value, "value", value)).replace("_", " ")


def _date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _can(actor: StaffPrincipal | None, action: str) -> bool:
    """`can(me, "request:approve")` in a template: whether to show the button. The service
    checks again (`permissions.require`); an unknown action name is an error, not a no."""
    return actor is not None and allowed(actor, Action(action))


_env.filters["label"] = _label
_env.filters["when"] = _date
_env.filters["period"] = _i18n.period_in_words
_env.globals["can"] = _can
#: Choices of the legal reviewer's classification form (`staff/_scope_form.html`).
_env.globals["legal_process_kinds"] = [k.value for k in LegalProcessKind]
_env.globals["program_names"] = [p.value for p in Program]


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    lang: str = "en",
    **data: Any,
) -> HTMLResponse:
    """Render a page with its CSRF token, language and translator."""
    ctx = ctx_of(request)
    seed, fresh = csrf_seed(request)
    page: dict[str, Any] = {
        "request": request,
        "csrf_token": csrf_token(ctx, seed),
        "lang": lang,
        "_": _i18n.translator(lang),
        "errors": {},
        "form": {},
        "agency": ctx.settings,
        **data,
    }
    response = _templates.TemplateResponse(request, template, page, status_code=status_code)
    if fresh:
        set_cookie(request, response, CSRF_COOKIE, seed, max_age=12 * 3600)
    return response


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def field_errors(
    problems: tuple[FieldProblem, ...] | list[FieldProblem], aliases: dict[str, str] | None = None
) -> dict[str, str]:
    """Problems keyed by form field: `legal_process.expires_on` → `expires_on`, `fields[2]` →
    `fields`; `aliases` renames what the form calls differently. Unknown paths go to `form`."""
    names = aliases or {}
    out: dict[str, str] = {}
    for p in problems:
        path = p.path
        key = names.get(path) or names.get(path.split("[")[0])
        if key is None:
            key = path.split(".")[-1].split("[")[0] or "form"
        out.setdefault(key, p.message)
    return out
