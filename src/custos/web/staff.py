"""The staff console: queues, the request page with its decision, approvals and denials,
requesters and agreements, people's access codes, notices, challenges, concerns, alerts,
policy and transparency reports."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from custos.domain.decisions import Outcome
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    CustosError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from custos.domain.lifecycle import RequestStatus
from custos.domain.programs import FieldRef, Program
from custos.domain.roles import Role
from custos.web import _reports
from custos.web._auth import STAFF_COOKIE, STAFF_COOKIE_SECONDS, Staff
from custos.web._render import (
    FormList,
    FormStr,
    ctx_of,
    field_errors,
    redirect,
    render,
    upload,
)
from custos.web._security import check_csrf, clear_cookie, set_cookie
from custos.workflow import accounts, documents, oversight, releases, requests, rights
from custos.workflow import policy as policy_service

router = APIRouter(prefix="/staff", dependencies=[Depends(check_csrf)], include_in_schema=False)


#: The queue tabs: (key, title, statuses, keep only this outcome or None).
QUEUES: tuple[tuple[str, str, tuple[RequestStatus, ...]], ...] = (
    ("new", "New", (RequestStatus.RECEIVED, RequestStatus.DECIDED, RequestStatus.IN_REVIEW)),
    ("review", "Needs review", (RequestStatus.IN_REVIEW,)),
    ("approved", "Approved", (RequestStatus.APPROVED,)),
    ("on_hold", "On hold", (RequestStatus.ON_HOLD,)),
    ("released", "Released", (RequestStatus.RELEASED, RequestStatus.DELIVERED)),
    (
        "closed",
        "Closed",
        (
            RequestStatus.DENIED,
            RequestStatus.WITHDRAWN,
            RequestStatus.LAPSED,
            RequestStatus.DESTROYED,
        ),
    ),
)


def _page(request: Request, template: str, actor: Any, **data: Any) -> HTMLResponse:
    return render(request, template, me=actor, Role=Role, **data)


# --- sign-in --------------------------------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(request: Request) -> HTMLResponse:
    return render(request, "staff/sign_in.html")


@router.post("/sign-in")
def sign_in(  # nosec B107 - empty form fields by default, not a password
    request: Request, username: FormStr = "", password: FormStr = ""
) -> Response:
    try:
        token, _ = accounts.sign_in(ctx_of(request), username=username, password=password)
    except AuthenticationError as exc:
        return render(
            request,
            "staff/sign_in.html",
            status_code=401,
            errors={"form": str(exc)},
            form={"username": username},
        )
    response = redirect("/staff/queue")
    set_cookie(request, response, STAFF_COOKIE, token, max_age=STAFF_COOKIE_SECONDS)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        with contextlib.suppress(AuthenticationError):
            accounts.sign_out(ctx_of(request), token)
    response = redirect("/staff/sign-in")
    clear_cookie(request, response, STAFF_COOKIE)
    return response


# --- queues and requests --------------------------------------------------------------------


@router.get("")
@router.get("/")
def home() -> Response:
    return redirect("/staff/queue")


@router.get("/queue")
def queue(request: Request, actor: Staff, tab: str = "new") -> HTMLResponse:
    tabs = {key: (title, statuses) for key, title, statuses in QUEUES}
    chosen = tab if tab in tabs or tab == "retention" else "new"
    items: list[requests.QueueItem] = []
    retention: list[releases.RetentionItem] = []
    if chosen == "retention":
        retention = [
            i for i in releases.retention_view(ctx_of(request), actor=actor) if i.days_left < 0
        ]
    else:
        items = requests.queue(ctx_of(request), actor=actor, statuses=tabs[chosen][1])
        if chosen == "review":
            items = [i for i in items if i.outcome is Outcome.NEEDS_REVIEW]
        elif chosen == "new":
            items = [i for i in items if i.outcome is not Outcome.NEEDS_REVIEW]
    template = (
        "staff/_queue_table.html" if request.headers.get("HX-Request") else "staff/queue.html"
    )
    return _page(
        request,
        template,
        actor,
        tabs=[(k, t) for k, t, _ in QUEUES] + [("retention", "Overdue retention")],
        tab=chosen,
        items=items,
        retention=retention,
    )


def _request_page(
    request: Request, actor: Any, request_id: str, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    view = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
    explanation = None
    if view.pack_name is not None and actor.roles & {
        Role.LEGAL_REVIEWER,
        Role.APPROVER,
        Role.AUDITOR,
        Role.ADMIN,
    }:
        try:
            explanation = policy_service.explain_request(ctx, actor=actor, request_id=request_id)
        except CustosError:
            explanation = None
    document = None
    sha = (view.classified_process or view.legal_process).get("document_sha256")
    if sha:
        try:
            document = documents.describe_for_staff(ctx, actor=actor, sha256=sha)
        except CustosError:
            document = None
    current = [a for a in view.approvals if a.decision_version == view.decision_version]
    events = requests.events_for(ctx, actor=actor, request_id=request_id)
    return _page(
        request,
        "staff/request.html",
        actor,
        status_code=status_code,
        r=view,
        explanation=explanation,
        document=document,
        current_approvals=current,
        events=events,
        **extra,
    )


@router.get("/requests/{request_id}")
def request_page(request: Request, actor: Staff, request_id: str) -> HTMLResponse:
    return _request_page(request, actor, request_id)


@router.get("/requests/{request_id}/document")
def request_document(request: Request, actor: Staff, request_id: str) -> Response:
    ctx = ctx_of(request)
    view = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
    sha = (view.classified_process or view.legal_process).get("document_sha256") or ""
    name, content_type, content = documents.read_for_staff(ctx, actor=actor, sha256=sha)
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{_safe(name)}"'},
    )


def _safe(filename: str) -> str:
    return "".join(c for c in filename if c.isalnum() or c in "._-") or "document"


def _act(request: Request, actor: Any, request_id: str, action: Any) -> Response:
    """Run one review action; on a refusal, show the request page with the reason."""
    try:
        action()
    except (ConflictError, PermissionDeniedError, InvalidInputError) as exc:
        errors = (
            field_errors(exc.problems)
            if isinstance(exc, InvalidInputError) and exc.problems
            else {"action": str(exc)}
        )
        return _request_page(request, actor, request_id, status_code=exc.status, errors=errors)
    return redirect(f"/staff/requests/{request_id}")


@router.post("/requests/{request_id}/classify")
def classify(request: Request, actor: Staff, request_id: str, note: FormStr = "") -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: requests.classify(ctx_of(request), actor=actor, request_id=request_id, note=note),
    )


@router.post("/requests/{request_id}/approve")
def approve(request: Request, actor: Staff, request_id: str, note: FormStr = "") -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: requests.approve(ctx_of(request), actor=actor, request_id=request_id, note=note),
    )


@router.post("/requests/{request_id}/deny")
def deny(request: Request, actor: Staff, request_id: str, reason: FormStr = "") -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: requests.deny(ctx_of(request), actor=actor, request_id=request_id, reason=reason),
    )


@router.post("/requests/{request_id}/release")
def build_release(request: Request, actor: Staff, request_id: str) -> Response:
    return _act(
        request,
        actor,
        request_id,
        lambda: releases.build(ctx_of(request), actor=actor, request_id=request_id),
    )


# --- requesters and agreements --------------------------------------------------------------


def _requesters_page(
    request: Request, actor: Any, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    return _page(
        request,
        "staff/requesters.html",
        actor,
        status_code=status_code,
        requesters=accounts.list_requesters(ctx, actor=actor),
        agreements=accounts.list_agreements(ctx, actor=actor),
        kinds=list(RequesterKind),
        programs=list(Program),
        purposes=list(Purpose),
        fields=sorted(str(f) for f in policy_service.active_pack(ctx).catalogue),
        **extra,
    )


@router.get("/requesters")
def requesters_page(request: Request, actor: Staff, registered: str = "") -> HTMLResponse:
    return _requesters_page(request, actor, registered=registered)


@router.post("/requesters")
def register_requester(
    request: Request,
    actor: Staff,
    name: FormStr = "",
    kind: FormStr = "",
    age_recipient: FormStr = "",
    contact: FormStr = "",
) -> Response:
    form = {"name": name, "kind": kind, "age_recipient": age_recipient, "contact": contact}
    try:
        accounts.register_requester(
            ctx_of(request),
            actor=actor,
            name=name,
            kind=RequesterKind(kind) if kind in set(RequesterKind) else RequesterKind.OTHER,
            age_recipients=[age_recipient.strip()] if age_recipient.strip() else [],
            contact=contact,
        )
    except InvalidInputError as exc:
        errors = field_errors(exc.problems, {"age_recipients": "age_recipient"})
        return _requesters_page(request, actor, status_code=422, errors=errors, form=form)
    except PermissionDeniedError as exc:
        return _requesters_page(request, actor, status_code=403, errors={"form": str(exc)})
    return redirect("/staff/requesters")


@router.post("/requesters/{requester_id}/tokens")
def issue_token(request: Request, actor: Staff, requester_id: str) -> Response:
    try:
        issued = accounts.issue_token(ctx_of(request), actor=actor, requester_id=requester_id)
    except (PermissionDeniedError, ConflictError) as exc:
        return _requesters_page(request, actor, status_code=exc.status, errors={"form": str(exc)})
    return _requesters_page(request, actor, issued=issued, issued_for=requester_id)


#: Where agreement problems are shown on the form.
_AGREEMENT_FIELDS = {"document_sha256": "document", "request": "agreement"}


def _day(value: str, name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "a date, YYYY-MM-DD"
        return None


def _upload(
    request: Request, actor: Any, document: UploadFile | None, errors: dict[str, str]
) -> str:
    """The uploaded agreement's SHA-256, or "" (none sent, or refused: said in `errors`)."""
    try:
        return upload(request, actor, document, errors) or ""
    except PermissionDeniedError as exc:
        errors["agreement"] = str(exc)
        return ""


@router.post("/agreements")
def register_agreement(
    request: Request,
    actor: Staff,
    document: Annotated[UploadFile | None, File()] = None,
    requester_id: FormStr = "",
    title: FormStr = "",
    parties: FormStr = "",
    programs: FormList = None,
    fields: FormList = None,
    purposes: FormList = None,
    retention_days: FormStr = "",
    valid_from: FormStr = "",
    valid_until: FormStr = "",
) -> Response:
    """Upload the signed agreement (`documents.upload`), then record it with its hash."""
    ctx = ctx_of(request)
    form: dict[str, Any] = {
        "requester_id": requester_id,
        "title": title,
        "parties": parties,
        "programs": programs or [],
        "fields": fields or [],
        "purposes": purposes or [],
        "retention_days": retention_days,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    errors: dict[str, str] = {}
    start = _day(valid_from, "valid_from", errors)
    end = _day(valid_until, "valid_until", errors)
    if not retention_days.strip().isdigit():
        errors["retention_days"] = "a whole number of days"
    refs: list[FieldRef] = []
    for f in fields or []:
        try:
            refs.append(FieldRef.parse(f))
        except ValueError:
            errors["fields"] = f"not a field: {f}"
    sha = _upload(request, actor, document, errors)
    if start is None or end is None or errors:
        return _requesters_page(request, actor, status_code=422, errors=errors, form=form)
    try:
        accounts.register_agreement(
            ctx,
            actor=actor,
            requester_id=requester_id,
            title=title,
            parties=[p.strip() for p in parties.split(",") if p.strip()],
            programs=[Program(p) for p in programs or [] if p in set(Program)],
            fields=refs,
            purposes=[Purpose(p) for p in purposes or [] if p in set(Purpose)],
            retention_days=int(retention_days),
            valid_from=start,
            valid_until=end,
            document_sha256=sha,
        )
    except InvalidInputError as exc:
        errors = field_errors(
            exc.problems or [FieldProblem(path="request", message=str(exc))], _AGREEMENT_FIELDS
        )
        return _requesters_page(request, actor, status_code=422, errors=errors, form=form)
    except NotFoundError as exc:
        errors = {"requester_id": str(exc)}
        return _requesters_page(request, actor, status_code=422, errors=errors, form=form)
    except PermissionDeniedError as exc:
        errors = {"agreement": str(exc)}
        return _requesters_page(request, actor, status_code=403, errors=errors, form=form)
    return redirect("/staff/requesters?registered=agreement")


# --- people: access codes ---------------------------------------------------------------------


@router.get("/people")
def people_page(request: Request, actor: Staff) -> HTMLResponse:
    return _page(request, "staff/people.html", actor, found=None)


@router.post("/people/find")
def find_people(request: Request, actor: Staff, case_number: FormStr = "") -> HTMLResponse:
    if not case_number.strip():
        return _page(
            request,
            "staff/people.html",
            actor,
            status_code=422,
            found=None,
            errors={"case_number": "required"},
        )
    found = rights.find_person(ctx_of(request), actor=actor, case_number=case_number)
    return _page(
        request, "staff/people.html", actor, found=found, form={"case_number": case_number}
    )


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
    return _page(request, "staff/access_code.html", actor, issued=issued)


# --- notices, challenges, concerns ------------------------------------------------------------


@router.get("/notices")
def notices_page(request: Request, actor: Staff, swept: int | None = None) -> HTMLResponse:
    notices = rights.notice_queue(ctx_of(request), actor=actor)
    return _page(request, "staff/notices.html", actor, notices=notices, swept=swept)


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
        headers={"Content-Disposition": f'inline; filename="{_safe(notice_id)}.pdf"'},
    )


@router.post("/notices/{notice_id}/sent")
def notice_sent(request: Request, actor: Staff, notice_id: str) -> Response:
    rights.mark_notice_sent(ctx_of(request), actor=actor, notice_id=notice_id)
    return redirect("/staff/notices")


def _challenges_page(
    request: Request, actor: Any, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    return _page(
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
    request: Request, actor: Any, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    return _page(
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


# --- alerts ---------------------------------------------------------------------------------


@router.get("/alerts")
def alerts_page(request: Request, actor: Staff, raised: int | None = None) -> HTMLResponse:
    alerts = oversight.list_alerts(ctx_of(request), actor=actor)
    return _page(request, "staff/alerts.html", actor, alerts=alerts, raised=raised)


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
    return _page(
        request,
        "staff/policy.html",
        actor,
        summary=summary,
        others=others,
        compare=compare,
        diff=diff,
    )


def _reports_page(
    request: Request, actor: Any, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = ctx_of(request)
    listed = oversight.list_reports(ctx)
    return _page(
        request,
        "staff/reports.html",
        actor,
        status_code=status_code,
        reports=listed,
        latest=_reports.shown(ctx, listed[0].id) if listed else None,
        label=_reports.label,
        base="",
        h=3,
        can_publish=bool(actor.roles & set(oversight.OVERSIGHT_ROLES)),
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
