"""The ledger API under `/v1/ledger`: public checkpoint, proofs and leaf hashes; auditors' entries.

Routes parse input, call one `custos.workflow.ledger` service and render; no rules live here.
Hashes travel as standard base64, as in checkpoints.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from custos.api.deps import MAX_INT, Ctx, StaffAuth
from custos.domain.errors import InvalidInputError, NotFoundError
from custos.domain.permissions import Action, require
from custos.workflow import ledger

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

_NOTE = "text/plain; charset=utf-8"
#: A cosigned checkpoint is a few hundred bytes; anything much larger is refused.
_MAX_NOTE_BYTES = 64 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ProofOut(BaseModel):
    first: int
    second: int
    proof: list[str]


class LeavesOut(BaseModel):
    start: int
    leaf_hashes: list[str]


class EntryOut(BaseModel):
    index: int
    tag: str
    #: The entry's exact RFC 8785 bytes, as text.
    entry: str
    leaf_hash: str
    tree_size: int
    inclusion_proof: list[str]


class CheckpointOut(BaseModel):
    size: int
    root: str


#: A tree size or an entry's index: never negative, and far below what SQL integers hold.
Size = Annotated[int, Query(ge=0, le=MAX_INT)]


@router.get(
    "/checkpoint",
    summary="Latest checkpoint (C2SP signed note, with cosignatures)",
    response_class=PlainTextResponse,
)
def get_checkpoint(ctx: Ctx) -> PlainTextResponse:
    return PlainTextResponse(ledger.latest_checkpoint(ctx).note, media_type=_NOTE)


@router.post(
    "/checkpoint",
    summary="Publish a checkpoint now (auditors, admins)",
    status_code=status.HTTP_201_CREATED,
)
def post_checkpoint(ctx: Ctx, actor: StaffAuth) -> CheckpointOut:
    require(actor, Action.CHECKPOINT_PUBLISH)
    published = ledger.publish_checkpoint(ctx)
    return CheckpointOut(size=published.size, root=_b64(published.root))


@router.get("/proofs/consistency", summary="Consistency proof between two tree sizes")
def get_consistency(ctx: Ctx, first: Size, second: Size) -> ProofOut:
    proof = ledger.consistency(ctx, first, second)
    return ProofOut(first=first, second=second, proof=[_b64(p) for p in proof])


@router.get("/leaves", summary="Leaf hashes (no entry content)")
def get_leaves(
    ctx: Ctx,
    start: Size = 0,
    count: Annotated[int, Query(ge=1, le=ledger.MAX_PAGE)] = 100,
) -> LeavesOut:
    return LeavesOut(
        start=start, leaf_hashes=[_b64(h) for h in ledger.leaf_hashes(ctx, start, count)]
    )


@router.post(
    "/cosignatures",
    summary="A witness hands in its cosignature",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string", "maxLength": _MAX_NOTE_BYTES}}},
        }
    },
)
async def post_cosignature(ctx: Ctx, request: Request) -> Response:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_NOTE_BYTES:
            raise InvalidInputError("cosigned checkpoint too large")
    ledger.add_cosignature(ctx, body.decode("utf-8", errors="replace"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _entry_out(e: ledger.ProvenEntry) -> EntryOut:
    return EntryOut(
        index=e.index,
        tag=e.tag,
        entry=e.body.decode("utf-8"),
        leaf_hash=_b64(e.leaf_hash),
        tree_size=e.tree_size,
        inclusion_proof=[_b64(p) for p in e.proof],
    )


@router.get("/entries", summary="Full entries with inclusion proofs (auditors)")
def get_entries(
    ctx: Ctx,
    actor: StaffAuth,
    start: Size = 0,
    count: Annotated[int, Query(ge=1, le=ledger.MAX_PAGE)] = 100,
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> list[EntryOut]:
    require(actor, Action.AUDIT_READ)
    return [_entry_out(e) for e in ledger.entries(ctx, start, count, tree_size)]


@router.get("/entries/{index}", summary="One entry with its inclusion proof (auditors)")
def get_entry(
    ctx: Ctx,
    actor: StaffAuth,
    index: Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)],
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> EntryOut:
    require(actor, Action.AUDIT_READ)
    found = ledger.entries(ctx, index, 1, tree_size) if index >= 0 else []
    if not found:
        raise NotFoundError("no such entry in that tree")
    return _entry_out(found[0])
