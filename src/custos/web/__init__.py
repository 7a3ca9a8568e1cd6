"""The web pages: staff console, requester portal and public portal, over `custos.workflow`.

Routes parse a form, make one workflow call and render the result; rules live in the workflow.
`create_app` includes the three routers and calls `install` once, which adds the static files,
the security headers and HTML error pages (the JSON API keeps its problem documents).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from custos.domain.errors import AuthenticationError, CustosError
from custos.web import portal, portal_requests, public, staff
from custos.web._i18n import LANGUAGES, language_of
from custos.web._render import redirect, render
from custos.web._security import SecurityHeaders, is_web_path
from custos.workflow.staff_sessions import SecondFactorEnrolmentRequiredError

STATIC_DIR = Path(__file__).parent / "static"
#: Where a staff member sets up their second factor.
SECOND_FACTOR_PAGE = "/staff/second-factor"
_log = logging.getLogger("custos.web")

_TITLES = {
    400: "The form could not be read",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    409: "That cannot be done now",
    413: "The file is too large",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong",
}
_TITLES_ES = {
    400: "No se pudo leer el formulario",
    401: "Inicie sesión",
    403: "No permitido",
    404: "Página no encontrada",
    405: "No permitido",
    409: "Eso no se puede hacer ahora",
    413: "El archivo es demasiado grande",
    422: "Revise el formulario",
    429: "Demasiados intentos",
    500: "Algo salió mal",
}

_HTTP_MESSAGES = {
    404: "The page you asked for does not exist. Check the address, or start again from the "
    "home page.",
    405: "This method is not allowed here.",
}


def sign_in_page(path: str) -> str:
    """Where an unauthenticated visitor of `path` signs in."""
    if path.startswith("/staff"):
        return "/staff/sign-in"
    if path.startswith("/portal"):
        return "/portal/sign-in"
    base = LANGUAGES[language_of(path)]
    if path.removeprefix(base).startswith("/representative"):
        return f"{base}/representative/sign-in"
    return f"{base}/sign-in"


def _layout(path: str) -> str:
    if path.startswith("/staff"):
        return "staff/base.html"
    if path.startswith("/portal"):
        return "portal/base.html"
    return "public/base.html"


def error_page(request: Request, status: int, message: str) -> Response:
    lang = language_of(request.url.path)
    titles = _TITLES_ES if lang == "es" else _TITLES
    return render(
        request,
        "error.html",
        status_code=status,
        lang=lang,
        title=titles.get(status, titles[500]),
        message=message,
        status=status,
        layout=_layout(request.url.path),
        base=LANGUAGES[lang],
        home=sign_in_page(request.url.path).removesuffix("sign-in") or "/",
    )


HtmlHandler = Callable[[Request, Exception], Response]


def _wrap(app: FastAPI, exc_class: type[Exception], html: HtmlHandler) -> None:
    """Serve `html` for web pages and keep the API's own handler for the API."""
    api: Callable[..., Any] | None = app.exception_handlers.get(exc_class)

    async def handler(request: Request, exc: Exception) -> Response:
        if is_web_path(request.url.path) or api is None:
            return html(request, exc)
        result = api(request, exc)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, Response):
            raise TypeError("an exception handler returned no response")
        return result

    app.exception_handlers[exc_class] = handler


def _custos_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, CustosError):
        return _unexpected(request, exc)
    # An administrator without a second factor is sent to set one up before anything else.
    if isinstance(exc, SecondFactorEnrolmentRequiredError) and request.method == "GET":
        return redirect(SECOND_FACTOR_PAGE)
    # An absent or dead session goes to sign-in; a locked sign-in (429) is shown.
    if isinstance(exc, AuthenticationError) and exc.status == 401 and request.method == "GET":  # noqa: PLR2004
        return redirect(sign_in_page(request.url.path))
    return error_page(request, exc.status, str(exc))


def _validation_error(request: Request, exc: Exception) -> Response:
    _ = exc
    return error_page(request, 400, "Some of the form was missing or not in the expected format.")


def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        return _unexpected(request, exc)
    # Starlette's own details ("Not Found") are HTTP reason phrases: say it in words instead.
    message = str(exc.detail)
    if message == HTTPStatus(exc.status_code).phrase:
        message = _HTTP_MESSAGES.get(exc.status_code, message)
    return error_page(request, exc.status_code, message)


def _unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("unexpected error on a page", exc_info=exc)
    return error_page(request, 500, "An internal error occurred; it has been logged.")


def install(app: FastAPI) -> None:
    """Static files, security headers and HTML error pages for the web routes."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders)
    _wrap(app, CustosError, _custos_error)
    _wrap(app, RequestValidationError, _validation_error)
    _wrap(app, StarletteHTTPException, _http_error)
    _wrap(app, Exception, _unexpected)


__all__ = ["install", "portal", "portal_requests", "public", "staff"]
