"""Policy routes: the public policy page, and explanations of decisions for staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from custos.api.deps import Ctx, StaffAuth
from custos.workflow import policy as policy_service

router = APIRouter(tags=["policy"])

Lang = Annotated[str, Query(pattern="^(en|es)$", description="en or es")]


@router.get("/v1/public/policy", summary="The policy in force, in plain language (JSON)")
def public_policy(ctx: Ctx, lang: Lang = "en") -> dict[str, Any]:
    page: dict[str, Any] = policy_service.public_policy(ctx, lang=lang)
    return page


@router.get(
    "/v1/public/policy.html",
    summary="The policy in force, in plain language (HTML)",
    response_class=HTMLResponse,
)
def public_policy_html(ctx: Ctx, lang: Lang = "en") -> HTMLResponse:
    return HTMLResponse(policy_service.public_policy(ctx, lang=lang, fmt="html"))


@router.get(
    "/v1/staff/requests/{request_id}/explanation",
    summary="Per person × field: decision, rules, citations and obligations",
)
def explanation(ctx: Ctx, actor: StaffAuth, request_id: str) -> dict[str, Any]:
    return policy_service.explain_request(ctx, actor=actor, request_id=request_id).to_dict()
