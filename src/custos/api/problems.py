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
from starlette.exceptions import HTTPException as StarletteHTTPException

from custos.domain.errors import CustosError, InvalidInputError

PROBLEM_BASE = "https://custos.dev/problems/"
_log = logging.getLogger("custos.api")


def problem(status: int, kind: str, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None  # noqa: PLR2004
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
            exc.status_code, "http"
        )
        return problem(exc.status_code, kind, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal", "an internal error occurred; it has been logged")
