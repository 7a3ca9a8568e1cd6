"""The staff console's work for people: access codes, letters (notices), challenges to a
disclosure, and concerns reported by the public."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from custos.domain.errors import ConflictError, InvalidInputError
from custos.domain.principals import StaffPrincipal
from custos.web._auth import Staff
from custos.web._render import FormStr, ctx_of, field_errors, redirect
from custos.web.staff._page import page, safe_filename
from custos.workflow import rights

router = APIRouter(include_in_schema=False)


@router.get("/people")
def people_page(request: Request, actor: Staff) -> HTMLResponse:
    return page(request, "staff/people.html", actor, found=None)


@router.post("/people/find")
def find_people(request: Request, actor: Staff, case_number: FormStr = "") -> HTMLResponse:
    if not case_number.strip():
        return page(
            request,
            "staff/people.html",
            actor,
            status_code=422,
            found=None,
            errors={"case_number": "required"},
        )
    found = rights.find_person(ctx_of(request), actor=actor, case_number=case_number)
    return page(request, "staff/people.html", actor, found=found, form={"case_number": case_number})


@router.post("/people/access-code")
def issue_code(
    request: Request, actor: Staff, person_id: FormStr = "", language: FormStr = "en"
) -> HTMLResponse:
    issued = rights.issue_access_code(
        ctx_of(request),
        actor=actor,
        person_id=person_id,
        language=language if language in {"en", "es"} else None,
    )
    return page(request, "staff/access_code.html", actor, issued=issued)


# --- notices, challenges, concerns ------------------------------------------------------------


@router.get("/notices")
def notices_page(request: Request, actor: Staff, swept: int | None = None) -> HTMLResponse:
    notices = rights.notice_queue(ctx_of(request), actor=actor)
    return page(request, "staff/notices.html", actor, notices=notices, swept=swept)


@router.post("/notices/sweep")
def sweep_notices(request: Request, actor: Staff) -> Response:
    count = rights.sweep_notices_as(ctx_of(request), actor=actor)
    return redirect(f"/staff/notices?swept={count}")


@router.get("/notices/{notice_id}/letter.pdf")
def notice_letter(request: Request, actor: Staff, notice_id: str) -> Response:
    pdf = rights.render_notice(ctx_of(request), actor=actor, notice_id=notice_id, pdf=True)
    if not isinstance(pdf, bytes):
        raise TypeError("the letter is not a PDF")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{safe_filename(notice_id)}.pdf"'},
    )


@router.post("/notices/{notice_id}/sent")
def notice_sent(request: Request, actor: Staff, notice_id: str) -> Response:
    rights.mark_notice_sent(ctx_of(request), actor=actor, notice_id=notice_id)
    return redirect("/staff/notices")


def _challenges_page(
    request: Request, actor: StaffPrincipal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    return page(
        request,
        "staff/challenges.html",
        actor,
        status_code=status_code,
        open_challenges=rights.challenge_queue(ctx, actor=actor),
        resolved=rights.challenge_queue(ctx, actor=actor, status=None),
        **extra,
    )


@router.get("/challenges")
def challenges_page(request: Request, actor: Staff) -> HTMLResponse:
    return _challenges_page(request, actor)


@router.post("/challenges/{challenge_id}/resolve")
def resolve_challenge(
    request: Request,
    actor: Staff,
    challenge_id: str,
    outcome: FormStr = "",
    reason: FormStr = "",
) -> Response:
    errors: dict[str, str] = {}
    if outcome not in set(rights.ChallengeOutcome):
        errors["outcome"] = "choose upheld or rejected"
    else:
        try:
            rights.resolve_challenge(
                ctx_of(request),
                actor=actor,
                challenge_id=challenge_id,
                outcome=rights.ChallengeOutcome(outcome),
                reason=reason,
            )
        except InvalidInputError as exc:
            errors = field_errors(exc.problems)
        except ConflictError as exc:
            errors = {"outcome": str(exc)}
    if errors:
        return _challenges_page(
            request,
            actor,
            status_code=422,
            errors={f"{challenge_id}:{k}": v for k, v in errors.items()},
            form={"reason": reason, "challenge": challenge_id},
        )
    return redirect("/staff/challenges")


def _concerns_page(
    request: Request, actor: StaffPrincipal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    return page(
        request,
        "staff/concerns.html",
        actor,
        status_code=status_code,
        concerns=rights.concern_queue(ctx, actor=actor, status=None),
        priorities=list(rights.ConcernPriority),
        **extra,
    )


@router.get("/concerns")
def concerns_page(request: Request, actor: Staff) -> HTMLResponse:
    return _concerns_page(request, actor)


@router.post("/concerns/{concern_id}/triage")
def triage_concern(
    request: Request,
    actor: Staff,
    concern_id: str,
    priority: FormStr = "normal",
    note: FormStr = "",
    close: FormStr = "",
) -> Response:
    try:
        rights.triage_concern(
            ctx_of(request),
            actor=actor,
            concern_id=concern_id,
            priority=rights.ConcernPriority(priority)
            if priority in set(rights.ConcernPriority)
            else rights.ConcernPriority.NORMAL,
            note=note,
            close=bool(close),
        )
    except (InvalidInputError, ConflictError) as exc:
        return _concerns_page(
            request,
            actor,
            status_code=exc.status,
            errors={f"{concern_id}:note": str(exc)},
        )
    return redirect("/staff/concerns")
