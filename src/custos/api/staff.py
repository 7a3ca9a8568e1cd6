"""The staff API: sign-in, requesters and agreements, the review queue, decisions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from custos.api._openapi import UPLOAD
from custos.api._upload import read_limited
from custos.api.deps import Credentials, Ctx, StaffAuth, bearer_token
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.lifecycle import RequestStatus
from custos.domain.passwords import MIN_PASSWORD_LENGTH
from custos.domain.programs import FieldRef, Program
from custos.domain.roles import Role
from custos.workflow import (
    accounts,
    agreements,
    documents,
    requests,
    second_factor,
    staff_sessions,
    tokens,
)
from custos.workflow.intake import LegalProcessInput, Lines, OneLine, RequestInput

router = APIRouter(prefix="/v1/staff", tags=["staff"])


#: `program/field`, as a pack's catalogue names a field.
_FIELD = "^(" + "|".join(p.value for p in Program) + ")/[a-z][a-z0-9_]*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(_In):
    username: Annotated[str, OneLine] = Field(max_length=80)
    password: str = Field(max_length=1000)
    #: The code of the staff member's TOTP second factor; required once one is set up.
    code: str = Field(default="", max_length=10, description="TOTP code, if enrolled")


class SessionOut(BaseModel):
    token: str
    staff_id: str
    username: Annotated[str, OneLine]
    roles: list[Role]


class StaffOut(BaseModel):
    id: str
    username: Annotated[str, OneLine]
    roles: list[Role]


class StaffIn(_In):
    username: Annotated[str, OneLine] = Field(min_length=1, max_length=80)
    display_name: Annotated[str, OneLine] = Field(default="", max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1000)
    roles: list[Role] = Field(min_length=1)


class RequesterIn(_In):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    kind: RequesterKind
    age_recipients: list[str] = Field(min_length=1, max_length=10)
    contact: Annotated[str, OneLine] = Field(default="", max_length=200)


class TokenIn(_In):
    scopes: list[str] | None = None
    lifetime_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    token: str
    token_id: str
    expires_at: dt.datetime
    scopes: list[str]


class AgreementIn(_In):
    requester_id: str
    title: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    parties: list[Annotated[str, OneLine]] = Field(min_length=2)
    programs: list[Program] = Field(min_length=1)
    fields: list[Annotated[str, Field(pattern=_FIELD, max_length=80)]] = Field(default_factory=list)
    purposes: list[Purpose] = Field(min_length=1)
    retention_days: int = Field(ge=1, le=36500)
    valid_from: dt.date
    valid_until: dt.date
    document_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class IntakeIn(_In):
    requester_id: str
    request: RequestInput


class ClassifyIn(_In):
    legal_process: LegalProcessInput | None = None
    note: Annotated[str, Lines] = Field(default="", max_length=2000)


class ApproveIn(_In):
    note: Annotated[str, Lines] = Field(default="", max_length=2000)


class DenyIn(_In):
    reason: Annotated[str, Lines] = Field(min_length=1, max_length=2000)


class Created(BaseModel):
    id: str


class StatusOut(BaseModel):
    id: str
    status: RequestStatus


class Count(BaseModel):
    count: int


# --- session --------------------------------------------------------------------------------


@router.post("/session", summary="Sign in; returns a bearer session token")
def sign_in(body: SignIn, ctx: Ctx) -> SessionOut:
    """With the TOTP code once a second factor is set up. An administrator without one is
    refused (401): a second factor is set up in the staff console, not here."""
    token, staff = staff_sessions.sign_in(
        ctx,
        username=body.username,
        password=body.password,
        code=body.code,
        enrolment_allowed=False,
    )
    return SessionOut(
        token=token, staff_id=staff.id, username=staff.username, roles=sorted(staff.roles)
    )


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
def sign_out(ctx: Ctx, credentials: Credentials) -> None:
    staff_sessions.sign_out(ctx, bearer_token(credentials))


@router.get("/me", summary="Who am I")
def me(actor: StaffAuth) -> StaffOut:
    return StaffOut(id=actor.id, username=actor.username, roles=sorted(actor.roles))


@router.post(
    "/accounts", status_code=status.HTTP_201_CREATED, summary="Create a staff account (admin)"
)
def create_account(body: StaffIn, ctx: Ctx, actor: StaffAuth) -> StaffOut:
    staff = accounts.create_staff(
        ctx,
        actor=actor,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=set(body.roles),
    )
    return StaffOut(id=staff.id, username=staff.username, roles=sorted(staff.roles))


class SecondFactorResetOut(BaseModel):
    id: str
    username: str
    #: Always true: the next sign-in (at the console) enrols a new second factor first.
    must_enrol: bool = True


@router.post(
    "/accounts/{staff_id}/second-factor/reset",
    summary="Reset another staff member's lost second factor (admin); they enrol anew",
)
def reset_second_factor(staff_id: str, ctx: Ctx, actor: StaffAuth) -> SecondFactorResetOut:
    username = second_factor.reset(ctx, actor=actor, staff_id=staff_id)
    return SecondFactorResetOut(id=staff_id, username=username)


# --- requesters, tokens, agreements, documents --------------------------------------------------


@router.post(
    "/requesters", status_code=status.HTTP_201_CREATED, summary="Register a requester agency"
)
def register_requester(body: RequesterIn, ctx: Ctx, actor: StaffAuth) -> accounts.RequesterView:
    return accounts.register_requester(
        ctx,
        actor=actor,
        name=body.name,
        kind=body.kind,
        age_recipients=body.age_recipients,
        contact=body.contact,
    )


@router.get("/requesters", summary="All requester agencies")
def list_requesters(ctx: Ctx, actor: StaffAuth) -> list[accounts.RequesterView]:
    return accounts.list_requesters(ctx, actor=actor)


@router.post(
    "/requesters/{requester_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API token (shown once)",
)
def issue_token(requester_id: str, body: TokenIn, ctx: Ctx, actor: StaffAuth) -> TokenOut:
    issued = tokens.issue_token(
        ctx,
        actor=actor,
        requester_id=requester_id,
        scopes=body.scopes,
        lifetime_days=body.lifetime_days,
    )
    return TokenOut(
        token=issued.token,
        token_id=issued.token_id,
        expires_at=issued.expires_at,
        scopes=list(issued.scopes),
    )


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API token"
)
def revoke_token(token_id: str, ctx: Ctx, actor: StaffAuth) -> None:
    tokens.revoke_token(ctx, actor=actor, token_id=token_id)


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document (raw body)",
    openapi_extra=UPLOAD,
)
async def upload_document(
    request: Request,
    ctx: Ctx,
    actor: StaffAuth,
    content_type: Annotated[str, Header()] = "application/octet-stream",
    x_filename: Annotated[str, Header(max_length=200)] = "document",
) -> dict[str, str]:
    body = await read_limited(request, ctx.settings.max_document_bytes)
    sha = documents.upload(
        ctx, actor=actor, content=body, filename=x_filename, content_type=content_type.split(";")[0]
    )
    return {"sha256": sha}


@router.post(
    "/agreements", status_code=status.HTTP_201_CREATED, summary="Record an agreement (MOU)"
)
def register_agreement(body: AgreementIn, ctx: Ctx, actor: StaffAuth) -> agreements.AgreementView:
    return agreements.register_agreement(
        ctx,
        actor=actor,
        requester_id=body.requester_id,
        title=body.title,
        parties=body.parties,
        programs=body.programs,
        fields=[FieldRef.parse(f) for f in body.fields],
        purposes=body.purposes,
        retention_days=body.retention_days,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        document_sha256=body.document_sha256,
    )


@router.get("/agreements", summary="Agreements, optionally of one requester")
def list_agreements(
    ctx: Ctx, actor: StaffAuth, requester_id: str | None = None
) -> list[agreements.AgreementView]:
    return agreements.list_agreements(ctx, actor=actor, requester_id=requester_id)


# --- requests -------------------------------------------------------------------------------


@router.post(
    "/requests",
    status_code=status.HTTP_201_CREATED,
    summary="Enter a request on a requester's behalf",
)
def enter_request(body: IntakeIn, ctx: Ctx, actor: StaffAuth) -> Created:
    return Created(
        id=requests.submit(ctx, actor=actor, data=body.request, requester_id=body.requester_id)
    )


@router.get("/requests", summary="The queue: requests by status, emergencies first")
def queue(
    ctx: Ctx,
    actor: StaffAuth,
    status_: Annotated[list[RequestStatus] | None, Query(alias="status")] = None,
) -> list[requests.QueueItem]:
    return requests.queue(ctx, actor=actor, statuses=status_)


@router.get("/requests/{request_id}", summary="A request with its decision and approvals")
def get_request(request_id: str, ctx: Ctx, actor: StaffAuth) -> requests.StaffRequestView:
    return requests.get_for_staff(ctx, actor=actor, request_id=request_id)


@router.get("/requests/{request_id}/events", summary="The request's ledger entries")
def request_events(request_id: str, ctx: Ctx, actor: StaffAuth) -> list[dict[str, object]]:
    return requests.events_for(ctx, actor=actor, request_id=request_id)


@router.post("/requests/{request_id}/classify", summary="Confirm or correct the legal process")
def classify(request_id: str, body: ClassifyIn, ctx: Ctx, actor: StaffAuth) -> StatusOut:
    requests.classify(
        ctx, actor=actor, request_id=request_id, legal_process=body.legal_process, note=body.note
    )
    return StatusOut(
        id=request_id, status=requests.get_for_staff(ctx, actor=actor, request_id=request_id).status
    )


@router.post("/requests/{request_id}/approve", summary="Give one of the two approvals")
def approve(request_id: str, body: ApproveIn, ctx: Ctx, actor: StaffAuth) -> StatusOut:
    return StatusOut(
        id=request_id,
        status=requests.approve(ctx, actor=actor, request_id=request_id, note=body.note),
    )


@router.post("/requests/{request_id}/deny", summary="Deny with a reason")
def deny(request_id: str, body: DenyIn, ctx: Ctx, actor: StaffAuth) -> StatusOut:
    requests.deny(ctx, actor=actor, request_id=request_id, reason=body.reason)
    return StatusOut(id=request_id, status=RequestStatus.DENIED)


@router.post("/lapse-sweep", summary="Lapse requests whose legal process expired (admin)")
def lapse_sweep(ctx: Ctx, actor: StaffAuth) -> Count:
    return Count(count=requests.lapse_expired_as(ctx, actor=actor))
