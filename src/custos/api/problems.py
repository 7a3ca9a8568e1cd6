"""Errors to RFC 9457 problem documents.

Domain errors become `application/problem+json` with a stable `type` per error kind. Only the
error's own message reaches the client: never a stack trace, never personal data. Validation
errors list every bad field in `errors`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from custos.domain.errors import CustosError, InvalidInputError

PROBLEM_BASE = "https://custos.dev/problems/"
_log = logging.getLogger("custos.api")


PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One bad field: where it is (`subjects[0].birth_date`) and what is wrong with it."""

    path: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error answer of the API carries it."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of error, stable across versions.")
    title: str = Field(description="What went wrong, in words for people.")
    status: int = Field(ge=400, le=599, description="The HTTP status, repeated.")
    detail: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Every bad field of the input, all of them in one answer."
    )


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str = "",
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:  # noqa: PLR2004
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers or None
    )


def routes(app: FastAPI) -> list[Route]:
    """Every route of the app, those of included routers too, as they were declared."""
    return [
        c.original_route
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, Route)
    ]


def allowed_methods(request: Request) -> str:
    """The methods of the resource the request named (RFC 9110 section 10.2.1).

    Of the routes whose path matches, those with the fewest parameters name the resource:
    `/v1/staff/releases/purge` is the purge operation, not a release called "purge".
    """
    scope = {**request.scope, "method": "GET"}
    matching = [
        r for r in routes(request.app) if r.methods and r.matches(scope)[0] is not Match.NONE
    ]
    if not matching:
        return ""
    fewest = min(r.path_format.count("{") for r in matching)
    methods: set[str] = set()
    for route in matching:
        if route.path_format.count("{") == fewest:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


def _loc(loc: tuple[int | str, ...]) -> str:
    parts = [p for p in loc if p not in {"body", "query", "path"}]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(CustosError)
    async def _custos(_: Request, exc: CustosError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidInputError) and exc.problems:
            extra["errors"] = [{"path": p.path, "message": p.message} for p in exc.problems]
        return problem(exc.status, exc.kind, str(exc), **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"path": _loc(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        return problem(422, "invalid-input", "the request body is invalid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # noqa: PLR2004  (FastAPI could not read the body)
            return problem(
                422,
                "invalid-input",
                "the request body is invalid",
                errors=[{"path": "body", "message": "the body cannot be read as JSON"}],
            )
        kind = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
            exc.status_code, "http"
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # noqa: PLR2004
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return problem(exc.status_code, kind, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal", "an internal error occurred; it has been logged")
