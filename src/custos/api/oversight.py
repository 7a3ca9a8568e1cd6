"""Oversight API: public transparency reports, the privacy officer's alerts, auditors' reads.

- `/v1/public/reports` — published reports and their files (JSON, HTML, CSV, PDF, signature);
  no authentication: they hold only protected aggregates.
- `/v1/staff/alerts` — alerts raised by the oversight rules (auditors and admins).
- `/v1/audit/…` — everything an auditor reads; each call is logged as `oversight:audit:read`
  before it is answered (auditors only).

Routes parse input, call `custos.workflow` and render; no rules live here.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from custos.api._openapi import media
from custos.api.deps import MAX_INT, Ctx, StaffAuth
from custos.domain.lifecycle import RequestStatus
from custos.workflow import ledger, oversight, requests

router = APIRouter(tags=["oversight"])


class ReportOut(BaseModel):
    id: str
    period: str
    sha256: str
    checkpoint_size: int
    published_at: dt.datetime
    files: list[str]


class AuditEntryOut(BaseModel):
    index: int
    tag: str
    entry: str
    leaf_hash: str
    tree_size: int
    inclusion_proof: list[str]


@router.get("/v1/public/reports", summary="Published transparency reports, newest first")
def list_reports(ctx: Ctx) -> list[ReportOut]:
    return [
        ReportOut(
            id=r.id,
            period=r.period,
            sha256=r.sha256,
            checkpoint_size=r.checkpoint_size,
            published_at=r.published_at,
            files=list(r.files),
        )
        for r in oversight.list_reports(ctx)
    ]


@router.get(
    "/v1/public/reports/{report_id}",
    summary="A report's JSON data file",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
def get_report(report_id: str, ctx: Ctx) -> Response:
    content, media = oversight.report_file(ctx, report_id, "report.json")
    return Response(content, media_type=media)


@router.get(
    "/v1/public/reports/{report_id}/{name}",
    summary="A report file (html, csv, pdf, sig)",
    response_class=Response,
    responses=media("application/json", "text/html", "text/csv", "text/plain", "application/pdf"),
)
def get_report_file(report_id: str, name: str, ctx: Ctx) -> Response:
    content, media = oversight.report_file(ctx, report_id, name)
    return Response(content, media_type=media)


@router.get("/v1/staff/alerts", summary="Oversight alerts, newest first (auditors, admins)")
def list_alerts(
    ctx: Ctx, actor: StaffAuth, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[oversight.AlertView]:
    return oversight.list_alerts(ctx, actor=actor, limit=limit)


@router.get("/v1/audit/requests", summary="Every request (auditors; logged)")
def audit_requests(
    ctx: Ctx,
    actor: StaffAuth,
    status: Annotated[list[RequestStatus] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[requests.QueueItem]:
    oversight.log_audit_read(ctx, actor=actor, what="requests")
    return requests.queue(ctx, actor=actor, statuses=status, limit=limit)


@router.get(
    "/v1/audit/requests/{request_id}",
    summary="A request with its decision explanation (auditors; logged)",
)
def audit_request(request_id: str, ctx: Ctx, actor: StaffAuth) -> requests.StaffRequestView:
    oversight.log_audit_read(ctx, actor=actor, what="request", request_id=request_id)
    return requests.get_for_staff(ctx, actor=actor, request_id=request_id)


@router.get(
    "/v1/audit/requests/{request_id}/events",
    summary="A request's ledger entries (auditors; logged)",
)
def audit_request_events(request_id: str, ctx: Ctx, actor: StaffAuth) -> list[dict[str, object]]:
    oversight.log_audit_read(ctx, actor=actor, what="request_events", request_id=request_id)
    return requests.events_for(ctx, actor=actor, request_id=request_id)


@router.get(
    "/v1/audit/releases/{release_id}/manifest",
    summary="A release's signed manifest (auditors; logged)",
)
def audit_manifest(release_id: str, ctx: Ctx, actor: StaffAuth) -> oversight.ManifestView:
    return oversight.release_manifest(ctx, actor=actor, release_id=release_id)


@router.get(
    "/v1/audit/ledger/entries",
    summary="Ledger entries with inclusion proofs (auditors; logged)",
)
def audit_entries(
    ctx: Ctx,
    actor: StaffAuth,
    start: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    count: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryOut]:
    oversight.log_audit_read(ctx, actor=actor, what="ledger_entries", start=start, count=count)

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return [
        AuditEntryOut(
            index=e.index,
            tag=e.tag,
            entry=e.body.decode(),
            leaf_hash=b64(e.leaf_hash),
            tree_size=e.tree_size,
            inclusion_proof=[b64(p) for p in e.proof],
        )
        for e in ledger.entries(ctx, start, count)
    ]
