"""FastAPI dependencies: the context and who is calling.

Requesters authenticate with their API token, staff with a session token from
`POST /v1/staff/session`; both as `Authorization: Bearer …`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from custos.domain.errors import AuthenticationError
from custos.domain.principals import RequesterPrincipal, StaffPrincipal
from custos.workflow import staff_sessions, tokens
from custos.workflow.context import Context

_bearer = HTTPBearer(auto_error=False)

#: The largest integer any parameter takes: far below what a SQL BIGINT holds (2^63 - 1), and
#: exact in a JSON number (2^53 - 1), so a huge value is a 422, never an overflow.
MAX_INT = 2**53 - 1


async def get_ctx(request: Request) -> Context:
    # Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a hand-off
    # and back on every request for what is an attribute read (issue 18).
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(get_ctx)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("an Authorization: Bearer token is required")
    return credentials.credentials


def current_requester(ctx: Ctx, credentials: Credentials) -> RequesterPrincipal:
    return tokens.requester_from_token(ctx, bearer_token(credentials))


def current_staff(ctx: Ctx, credentials: Credentials) -> StaffPrincipal:
    return staff_sessions.staff_from_session(ctx, bearer_token(credentials))


async def request_bearer_token(request: Request) -> str:
    """The bearer token of a request, read by the same `HTTPBearer` as every other route, not
    yet checked.

    For the one endpoint that takes no dependencies (the submit, issue 18): solving even an
    async dependency costs a fifth of a millisecond a request. Its workflow checks the token
    in its own transaction; `custos.api._openapi` documents the operation as authenticated.
    """
    return bearer_token(await _bearer(request))


RequesterAuth = Annotated[RequesterPrincipal, Depends(current_requester)]
StaffAuth = Annotated[StaffPrincipal, Depends(current_staff)]
