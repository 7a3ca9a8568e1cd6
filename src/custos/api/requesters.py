"""The requester API: outside agencies submit and follow their own requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from pydantic import BaseModel

from custos.api._lanes import run_write
from custos.api._openapi import UPLOAD
from custos.api._upload import read_limited
from custos.api.deps import Ctx, RequesterAuth, request_bearer_token
from custos.workflow import documents, requests
from custos.workflow.context import Context
from custos.workflow.intake import RequestInput

router = APIRouter(prefix="/v1", tags=["requesters"])


class Created(BaseModel):
    id: str


#: A request naming at most this many people is small work (`_lanes.run_write`): about 3 ms
#: for one person on SQLite, where the matching and the decisions grow with each name.
SMALL_SUBMIT_SUBJECTS = 5


class DocumentStored(BaseModel):
    sha256: str


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a legal document (raw body); cite its SHA-256 in a request",
    openapi_extra=UPLOAD,
)
async def upload_document(
    request: Request,
    ctx: Ctx,
    actor: RequesterAuth,
    content_type: Annotated[str, Header()] = "application/octet-stream",
    x_filename: Annotated[str, Header(max_length=200)] = "document",
) -> DocumentStored:
    body = await read_limited(request, ctx.settings.max_document_bytes)
    sha = documents.upload(
        ctx, actor=actor, content=body, filename=x_filename, content_type=content_type.split(";")[0]
    )
    return DocumentStored(sha256=sha)


@router.post(
    "/requests",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a disclosure request",
    openapi_extra={"security": [{"HTTPBearer": []}]},
)
async def submit_request(request: Request, body: RequestInput) -> Created:
    # The hot path (issue 18), with no dependencies to solve: the token is read from the
    # header here and checked in the submit's own transaction, and the whole unit of work
    # makes one trip to a worker thread (on SQLite, one submit at a time, and a request for a
    # few named people on the event loop itself: `_lanes`). A token that fails is refused
    # (401) before anything is stored; a body that is not a valid request is refused (422)
    # before the token is read.
    token = await request_bearer_token(request)
    ctx: Context = request.app.state.ctx
    small = body.bulk is None and len(body.subjects) <= SMALL_SUBMIT_SUBJECTS
    submitted = await run_write(
        ctx, requests.submit_with_token, small=small, token=token, data=body
    )
    return Created(id=submitted)


@router.get("/requests", summary="Your requests, newest first")
def list_requests(ctx: Ctx, actor: RequesterAuth) -> list[requests.RequesterRequestView]:
    return requests.list_for_requester(ctx, actor=actor)


@router.get("/requests/{request_id}", summary="One of your requests")
def get_request(request_id: str, ctx: Ctx, actor: RequesterAuth) -> requests.RequesterRequestView:
    return requests.get_for_requester(ctx, actor=actor, request_id=request_id)


@router.post(
    "/requests/{request_id}/withdraw",
    summary="Withdraw one of your requests",
)
def withdraw_request(
    request_id: str, ctx: Ctx, actor: RequesterAuth
) -> requests.RequesterRequestView:
    requests.withdraw(ctx, actor=actor, request_id=request_id)
    return requests.get_for_requester(ctx, actor=actor, request_id=request_id)
