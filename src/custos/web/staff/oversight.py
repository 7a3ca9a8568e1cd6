"""The staff console's oversight: alerts, the policy pack in force and how it differs from
another, and transparency reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.errors import InvalidInputError, NotFoundError
from custos.domain.principals import StaffPrincipal
from custos.web import _reports
from custos.web._auth import Staff
from custos.web._render import FormStr, ctx_of, field_errors, redirect
from custos.web.staff._page import page
from custos.workflow import oversight, rights
from custos.workflow import policy as policy_service

router = APIRouter(include_in_schema=False)

# --- alerts ---------------------------------------------------------------------------------


@router.get("/alerts")
def alerts_page(request: Request, actor: Staff, raised: int | None = None) -> HTMLResponse:
    alerts = oversight.list_alerts(ctx_of(request), actor=actor)
    return page(request, "staff/alerts.html", actor, alerts=alerts, raised=raised)


@router.post("/alerts/check")
def check_alerts(request: Request, actor: Staff) -> Response:
    found = oversight.check_alerts_as(ctx_of(request), actor=actor)
    return redirect(f"/staff/alerts?raised={len(found)}")


# --- policy and reports -----------------------------------------------------------------------


@router.get("/policy")
def policy_page(request: Request, actor: Staff, compare: str = "") -> HTMLResponse:
    ctx = ctx_of(request)
    summary = policy_service.pack_summary(ctx, actor=actor)
    others = [n for n in policy_service.pack_names(ctx) if n != summary.name]
    diff = None
    if compare in others:
        diff = policy_service.diff_with(ctx, actor=actor, other=compare)
    return page(
        request,
        "staff/policy.html",
        actor,
        summary=summary,
        others=others,
        compare=compare,
        diff=diff,
    )


def _reports_page(
    request: Request, actor: StaffPrincipal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    listed = oversight.list_reports(ctx)
    return page(
        request,
        "staff/reports.html",
        actor,
        status_code=status_code,
        reports=listed,
        latest=_reports.shown(ctx, listed[0].id) if listed else None,
        label=_reports.label,
        base="",
        h=3,
        withheld=rights.withheld_summary(ctx),
        **extra,
    )


@router.get("/reports")
def reports_page(request: Request, actor: Staff, published: str = "") -> HTMLResponse:
    return _reports_page(request, actor, published=published)


@router.post("/reports")
def publish_report(
    request: Request, actor: Staff, period: FormStr = "", epsilon: FormStr = ""
) -> Response:
    form = {"period": period, "epsilon": epsilon}
    noise: float | None = None
    if epsilon.strip():
        try:
            noise = float(epsilon)
        except ValueError:
            errors = {"epsilon": "a positive number, or empty for exact counts"}
            return _reports_page(request, actor, status_code=422, errors=errors, form=form)
    try:
        published = oversight.transparency_report_as(
            ctx_of(request), actor=actor, period=period, epsilon=noise
        )
    except InvalidInputError as exc:
        errors = field_errors(exc.problems) if exc.problems else {"epsilon": str(exc)}
        return _reports_page(request, actor, status_code=422, errors=errors, form=form)
    except NotFoundError as exc:
        return _reports_page(request, actor, status_code=409, errors={"form": str(exc)}, form=form)
    return redirect(f"/staff/reports?published={published.id}")
