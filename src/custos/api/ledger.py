"""The ledger API: `/v1/ledger` (checkpoint, proofs, leaf hashes; auditors' entries) and the
log as C2SP tlog-tiles under the path of `CUSTOS_LEDGER_URL` (`tiles_router`).

Routes parse input, call one `custos.workflow.ledger` service and render; no rules live here,
and who may read what is decided in the services. Hashes travel as standard base64.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from custos.api.deps import MAX_INT, Credentials, Ctx, StaffAuth, current_staff
from custos.domain.errors import InvalidInputError, NotFoundError
from custos.ledger import TilePathError, TileRef, parse_tile_path
from custos.workflow import ledger

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

_NOTE = "text/plain; charset=utf-8"
_OCTETS = "application/octet-stream"
#: tlog-tiles: the checkpoint is mutable, cached a few seconds at most; tiles never change.
CHECKPOINT_CACHE = "public, max-age=5"
TILE_CACHE = "public, max-age=31536000, immutable"
#: A cosigned checkpoint is a few hundred bytes; anything much larger is refused.
_MAX_NOTE_BYTES = 64 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ProofOut(BaseModel):
    first: int
    second: int
    proof: list[str]


class InclusionOut(BaseModel):
    index: int = Field(ge=0, le=MAX_INT)
    tree_size: int = Field(ge=1, le=MAX_INT)
    leaf_hash: str
    inclusion_proof: list[str]


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


def _checkpoint_response(ctx: Ctx) -> PlainTextResponse:
    return PlainTextResponse(
        ledger.latest_checkpoint(ctx).note,
        media_type=_NOTE,
        headers={"Cache-Control": CHECKPOINT_CACHE},
    )


@router.get(
    "/checkpoint",
    summary="Latest checkpoint (C2SP signed note, with cosignatures)",
    response_class=PlainTextResponse,
)
def get_checkpoint(ctx: Ctx) -> PlainTextResponse:
    return _checkpoint_response(ctx)


@router.post(
    "/checkpoint",
    summary="Publish a checkpoint now and submit it to the witnesses (auditors, admins)",
    status_code=status.HTTP_201_CREATED,
)
def post_checkpoint(ctx: Ctx, actor: StaffAuth) -> CheckpointOut:
    published = ledger.publish_checkpoint_as(ctx, actor=actor)
    return CheckpointOut(size=published.size, root=_b64(published.root))


@router.get("/proofs/consistency", summary="Consistency proof between two tree sizes")
def get_consistency(ctx: Ctx, first: Size, second: Size) -> ProofOut:
    proof = ledger.consistency(ctx, first, second)
    return ProofOut(first=first, second=second, proof=[_b64(p) for p in proof])


@router.get(
    "/proofs/inclusion",
    summary="Inclusion proof of one entry, by index or by leaf hash (no entry content)",
)
def get_inclusion(
    ctx: Ctx,
    index: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
    leaf_hash: Annotated[str | None, Query(description="base64 (standard or URL-safe)")] = None,
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> InclusionOut:
    wanted = None
    if leaf_hash is not None:
        try:
            # Standard or URL-safe base64; an unescaped '+' arrives as a space.
            text = leaf_hash.replace(" ", "+").replace("-", "+").replace("_", "/")
            wanted = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInputError("the leaf hash is not base64") from None
    found = ledger.inclusion(ctx, index=index, leaf_hash=wanted, tree_size=tree_size)
    return InclusionOut(
        index=found.index,
        tree_size=found.tree_size,
        leaf_hash=_b64(found.leaf_hash),
        inclusion_proof=[_b64(p) for p in found.proof],
    )


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
    summary="A witness hands in its cosignature (the older pull protocol)",
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
    found = ledger.entries_as(ctx, actor=actor, start=start, count=count, tree_size=tree_size)
    return [_entry_out(e) for e in found]


@router.get("/entries/{index}", summary="One entry with its inclusion proof (auditors)")
def get_entry(
    ctx: Ctx,
    actor: StaffAuth,
    index: Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)],
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> EntryOut:
    return _entry_out(ledger.entry_as(ctx, actor=actor, index=index, tree_size=tree_size))


def include(app: FastAPI, path: str) -> None:
    """Add `/v1/ledger` and the C2SP log under `path` to the app."""
    app.include_router(router)
    app.include_router(tiles_router(path))


def tiles_router(path: str) -> APIRouter:
    """The log as C2SP tlog-tiles under `path` (the path of `CUSTOS_LEDGER_URL`).

    `checkpoint` and hash tiles are public; entry bundles need an auditor's session.
    """
    tiles = APIRouter(prefix=path, tags=["ledger (C2SP tlog-tiles)"])

    @tiles.get(
        "/checkpoint",
        summary="Latest checkpoint (C2SP tlog-tiles)",
        response_class=PlainTextResponse,
        responses={404: {"description": "No checkpoint has been published yet"}},
    )
    def checkpoint(ctx: Ctx) -> PlainTextResponse:
        return _checkpoint_response(ctx)

    @tiles.get(
        "/tile/entries/{rest:path}",
        summary="Entry bundle (auditors)",
        response_class=Response,
        responses={200: {"content": {_OCTETS: {}}}},
    )
    def entry_bundle(ctx: Ctx, credentials: Credentials, rest: str) -> Response:
        actor = current_staff(ctx, credentials)
        ref = _tile_ref(f"tile/entries/{rest}")
        blob = ledger.entry_bundle_as(ctx, actor=actor, ref=ref)
        return Response(blob, media_type=_OCTETS, headers={"Cache-Control": "private, no-store"})

    @tiles.get(
        "/tile/{rest:path}",
        summary="Hash tile (C2SP tlog-tiles)",
        response_class=Response,
        responses={200: {"content": {_OCTETS: {}}}},
    )
    def hash_tile(ctx: Ctx, rest: str) -> Response:
        blob = ledger.hash_tile(ctx, _tile_ref(f"tile/{rest}"))
        return Response(blob, media_type=_OCTETS, headers={"Cache-Control": TILE_CACHE})

    return tiles


def _tile_ref(path: str) -> TileRef:
    try:
        return parse_tile_path(path)
    except TilePathError:
        raise NotFoundError("no such tile") from None
