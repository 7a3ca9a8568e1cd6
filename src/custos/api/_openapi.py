"""The OpenAPI document says what the server really answers: every error status, as problem+json.

FastAPI lists only an operation's success and its own 422. Every error of Custos is an
RFC 9457 problem document (`custos.api.problems`), so each operation here gets, from what the
route depends on and takes:

| status | documented on |
|---|---|
| 401 | operations that read a bearer token (with `WWW-Authenticate: Bearer`), and sign-ins |
| 403 | operations that need a staff role, a token scope or a person's scope |
| 404 | operations with a path parameter or a caller, and the few lookups in `_ALSO_404` |
| 409 | operations that change state (not GET), and `_ALSO_409` |
| 413 | operations that take a body (`CUSTOS_MAX_JSON_BYTES`, or an upload's own limit) |
| 422 | operations that take any input or have a caller (`errors[]` lists every bad field) |
| 429 | the sign-in operations in `_THROTTLED` |

The schemathesis test (`tests/integration/api/test_openapi_conformance.py`) checks that no
answer carries a status or a media type this document does not list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from custos.api.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem, routes

_REF: Final = "#/components/schemas/Problem"
_TITLES: Final = {
    401: "No valid bearer token (a missing, expired or revoked token or session)",
    403: "The caller may not do this (a role, token scope or consent is missing)",
    404: "No such thing, or not the caller's (the two read the same)",
    409: "Not possible in the current state (an illegal transition, a duplicate)",
    413: "The request body is larger than the limit, refused before it was parsed",
    422: "The input is invalid; `errors` lists every bad field",
    429: "Too many failed sign-ins; try again later",
}
#: GET lookups without a path parameter that still answer 404.
_ALSO_404: Final = frozenset(
    {("GET", "/v1/ledger/checkpoint"), ("POST", "/v1/people/session/oidc")}
)
#: GET operations that can conflict with the state (none yet).
_ALSO_409: Final[frozenset[tuple[str, str]]] = frozenset()
#: Operations that read their bearer token themselves rather than through `HTTPBearer` (the
#: submit, whose dependencies cost more than its routing: issue 18).
AUTHENTICATED_BY_HAND: Final = frozenset({("POST", "/v1/requests")})
#: Sign-in operations, throttled per account or case number.
_THROTTLED: Final = frozenset(
    {
        ("POST", "/v1/people/session"),
        ("POST", "/v1/people/session/oidc"),
        ("POST", "/v1/staff/session"),
    }
)
#: Operations that read their raw body themselves (their own size limit applies).
RAW_BODY: Final = frozenset(
    {
        ("POST", "/v1/documents"),
        ("POST", "/v1/staff/documents"),
        ("POST", "/v1/ledger/cosignatures"),
    }
)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def statuses(route: APIRoute, method: str) -> list[int]:
    """The error statuses one operation can answer with (see the table above)."""
    calls = list(_calls(route.dependant))
    authenticated = (method, route.path) in AUTHENTICATED_BY_HAND or any(
        isinstance(c, HTTPBearer) for c in calls
    )
    has_input = bool(
        route.dependant.path_params
        or route.dependant.query_params
        or route.dependant.header_params
        or route.body_field is not None
    )
    has_body = route.body_field is not None or (method, route.path) in RAW_BODY
    key = (method, route.path)
    found = {
        401: authenticated or key in _THROTTLED,
        403: authenticated and key not in _THROTTLED,
        404: bool(route.dependant.path_params) or authenticated or key in _ALSO_404 | RAW_BODY,
        409: method != "GET" or key in _ALSO_409,
        413: has_body,
        422: has_input or authenticated or key in RAW_BODY,
        429: key in _THROTTLED,
    }
    # A route may name more in its own decorator (the tlog checkpoint's 404 before the first).
    declared = set(route.responses)
    return [status for status, on in found.items() if on or status in declared]


def _response(status: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": _TITLES[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF}}},
    }
    if status == 401:  # noqa: PLR2004
        out["headers"] = {
            "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
        }
    return out


def document(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem schema and every operation's error answers to `schema`, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (FieldError, Problem):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    components["Problem"].pop("$defs", None)
    for route in routes(app):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in statuses(route, method):
                responses[str(status)] = _response(status)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    """Make `app.openapi()` (and `/openapi.json`) return the completed document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            app.openapi_schema = document(app, schema)
        return app.openapi_schema

    # FastAPI's documented way to complete its document is to replace this method.
    app.openapi = openapi  # type: ignore[method-assign]


#: `openapi_extra=` for a route that reads a raw upload (a legal document) itself.
UPLOAD: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            t: {"schema": {"type": "string", "format": "binary"}}
            for t in ("application/pdf", "application/octet-stream")
        },
    },
}


def media(*types: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose success is one of these media types (not JSON)."""

    def schema(media_type: str) -> dict[str, str]:
        if media_type == "application/json":
            return {"type": "object"}
        if media_type.startswith("text/"):
            return {"type": "string"}
        return {"type": "string", "format": "binary"}

    return {200: {"content": {t: {"schema": schema(t)} for t in types}}}
