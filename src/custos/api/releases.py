"""The release API: requesters download, acknowledge and attest; staff build and follow.

Requesters (`/v1/releases/…`) see only their own releases; another's reads as missing.
Staff (`/v1/staff/releases/…`) build releases, watch retention, and issue recall and
correction notices. Views hold no rules: each route makes one call into
`custos.workflow.releases`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from custos.api._openapi import media
from custos.api.deps import Ctx, RequesterAuth, StaffAuth
from custos.release import PayloadFormat
from custos.workflow import releases
from custos.workflow.intake import Lines, OneLine

router = APIRouter(tags=["releases"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceiptIn(_In):
    #: SHA-256 (hex) of the decrypted payload: proves what the recipient got.
    payload_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class AttestationIn(_In):
    destroyed_by: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    destroyed_on: dt.date
    method: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    statement: Annotated[str, Lines] = Field(min_length=1, max_length=5000)


class BuildIn(_In):
    request_id: str = Field(max_length=40)
    format: PayloadFormat | None = None


class RecallIn(_In):
    reason: Annotated[str, Lines] = Field(min_length=1, max_length=5000)
    destroy_by: dt.date


class CorrectionIn(_In):
    reason: Annotated[str, Lines] = Field(min_length=1, max_length=5000)


class PurgeIn(_In):
    #: Default: the `CUSTOS_PURGE_GRACE_DAYS` setting.
    grace_days: int | None = Field(default=None, ge=0, le=3650)


def _stream(pkg: releases.Package) -> StreamingResponse:
    return StreamingResponse(
        pkg.chunks,
        media_type="application/x-tar",
        headers={
            "Content-Disposition": f'attachment; filename="{pkg.filename}"',
            "Content-Length": str(pkg.size),
        },
    )


# --- requesters --------------------------------------------------------------------------------


@router.get("/v1/releases", summary="Your releases, newest first")
def list_releases(ctx: Ctx, actor: RequesterAuth) -> list[releases.ReleaseView]:
    return releases.list_for_requester(ctx, actor=actor)


@router.get("/v1/releases/{release_id}", summary="One of your releases, with its signed manifest")
def get_release(release_id: str, ctx: Ctx, actor: RequesterAuth) -> releases.ReleaseView:
    return releases.get_for_requester(ctx, actor=actor, release_id=release_id)


@router.get(
    "/v1/releases/{release_id}/package",
    summary="Download the release package (tar: manifest, signature, age ciphertext); logged",
    response_class=StreamingResponse,
    responses=media("application/x-tar"),
)
def download_release(release_id: str, ctx: Ctx, actor: RequesterAuth) -> StreamingResponse:
    return _stream(releases.download(ctx, actor=actor, release_id=release_id))


@router.post("/v1/releases/{release_id}/receipt", summary="Acknowledge receipt")
def acknowledge(
    release_id: str, body: ReceiptIn, ctx: Ctx, actor: RequesterAuth
) -> releases.ReleaseView:
    return releases.acknowledge_receipt(
        ctx, actor=actor, release_id=release_id, payload_sha256=body.payload_sha256
    )


@router.post(
    "/v1/releases/{release_id}/destruction",
    status_code=status.HTTP_201_CREATED,
    summary="Attest that the release was destroyed",
)
def attest(
    release_id: str, body: AttestationIn, ctx: Ctx, actor: RequesterAuth
) -> releases.ReleaseView:
    return releases.attest_destruction(
        ctx,
        actor=actor,
        release_id=release_id,
        destroyed_by=body.destroyed_by,
        destroyed_on=body.destroyed_on,
        method=body.method,
        statement=body.statement,
    )


@router.get("/v1/releases/{release_id}/notices", summary="Recall and correction notices")
def notices(release_id: str, ctx: Ctx, actor: RequesterAuth) -> list[releases.NoticeView]:
    return releases.notices_for_requester(ctx, actor=actor, release_id=release_id)


@router.get(
    "/v1/releases/{release_id}/notices/{notice_id}/package",
    summary="Download a correction's package; logged",
    response_class=StreamingResponse,
    responses=media("application/x-tar"),
)
def download_correction(
    release_id: str, notice_id: str, ctx: Ctx, actor: RequesterAuth
) -> StreamingResponse:
    return _stream(
        releases.download_correction(ctx, actor=actor, release_id=release_id, notice_id=notice_id)
    )


# --- staff -------------------------------------------------------------------------------------


@router.post(
    "/v1/staff/releases",
    status_code=status.HTTP_201_CREATED,
    summary="Build the release of an approved request",
)
def build(body: BuildIn, ctx: Ctx, actor: StaffAuth) -> releases.ReleaseView:
    return releases.build(ctx, actor=actor, request_id=body.request_id, fmt=body.format)


@router.get("/v1/staff/releases/retention", summary="Releases by destruction deadline")
def retention(
    ctx: Ctx, actor: StaffAuth, include_destroyed: bool = False
) -> list[releases.RetentionItem]:
    return releases.retention_view(ctx, actor=actor, include_destroyed=include_destroyed)


@router.post(
    "/v1/staff/releases/retention/sweep", summary="Mark releases past their deadline overdue"
)
def sweep(ctx: Ctx, actor: StaffAuth) -> list[str]:
    return releases.sweep_retention_as(ctx, actor=actor)


@router.get("/v1/staff/releases/{release_id}", summary="One release")
def get_staff(release_id: str, ctx: Ctx, actor: StaffAuth) -> releases.ReleaseView:
    return releases.get(ctx, actor=actor, release_id=release_id)


@router.post(
    "/v1/staff/releases/{release_id}/recall",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a recall notice",
)
def recall(release_id: str, body: RecallIn, ctx: Ctx, actor: StaffAuth) -> releases.NoticeView:
    return releases.recall(
        ctx, actor=actor, release_id=release_id, reason=body.reason, destroy_by=body.destroy_by
    )


@router.post(
    "/v1/staff/releases/{release_id}/correction",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a correction notice with the corrected rows",
)
def correction(
    release_id: str, body: CorrectionIn, ctx: Ctx, actor: StaffAuth
) -> releases.NoticeView:
    return releases.correct(ctx, actor=actor, release_id=release_id, reason=body.reason)


@router.post("/v1/staff/releases/purge", summary="Purge delivered ciphertext after the grace")
def purge(body: PurgeIn, ctx: Ctx, actor: StaffAuth) -> releases.PurgeSummary:
    return releases.purge_as(ctx, actor=actor, grace_days=body.grace_days)
