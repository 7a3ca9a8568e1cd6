"""The staff API for requesting agencies' officers: register, list, suspend, reinstate.

Officers sign in to the portal's pages only; the API is for machines, which keep using the
agency's API token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from custos.api.deps import Ctx, StaffAuth
from custos.domain.passwords import MIN_PASSWORD_LENGTH
from custos.workflow import officers
from custos.workflow.intake import OneLine

router = APIRouter(prefix="/v1/staff", tags=["staff"])


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, OneLine] = Field(min_length=1, max_length=80)
    display_name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    email: Annotated[str, OneLine] = Field(default="", max_length=200)
    #: Omit it to have a random one made and returned once.
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1000)


class OfficerOut(BaseModel):
    id: str
    requester_id: str
    requester_name: str
    username: str
    display_name: str
    email: str
    status: officers.OfficerStatus
    created_at: dt.datetime

    @classmethod
    def of(cls, view: officers.OfficerView) -> OfficerOut:
        return cls(**view.__dict__)


class RegisteredOut(BaseModel):
    """The new officer, with the secrets to hand them: shown this once."""

    officer: OfficerOut
    password: str
    totp_secret: str
    otpauth_uri: str


@router.post(
    "/requesters/{requester_id}/officers",
    status_code=status.HTTP_201_CREATED,
    summary="Register an agency's officer; returns their password and TOTP secret once",
)
def register_officer(
    requester_id: str, body: OfficerIn, ctx: Ctx, actor: StaffAuth
) -> RegisteredOut:
    made = officers.register(
        ctx,
        actor=actor,
        requester_id=requester_id,
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        password=body.password,
    )
    return RegisteredOut(
        officer=OfficerOut.of(made.officer),
        password=made.password,
        totp_secret=made.totp_secret,
        otpauth_uri=made.otpauth_uri,
    )


@router.get("/officers", summary="Requesting agencies' officers, optionally of one agency")
def list_officers(ctx: Ctx, actor: StaffAuth, requester_id: str | None = None) -> list[OfficerOut]:
    return [
        OfficerOut.of(v)
        for v in officers.list_officers(ctx, actor=actor, requester_id=requester_id)
    ]


#: The changes of an officer's standing: each a POST to `/officers/{id}/<change>`.
_CHANGES: dict[str, tuple[Callable[..., officers.OfficerView], str]] = {
    "suspend": (officers.suspend, "Suspend an officer; their sessions end"),
    "reinstate": (officers.reinstate, "Reinstate a suspended officer"),
}


def _change_route(change: str) -> None:
    """One endpoint per change, the same shape each: the officer as they now stand."""
    action, summary = _CHANGES[change]

    def endpoint(officer_id: str, ctx: Ctx, actor: StaffAuth) -> OfficerOut:
        return OfficerOut.of(action(ctx, actor=actor, officer_id=officer_id))

    router.add_api_route(
        f"/officers/{{officer_id}}/{change}",
        endpoint,
        methods=["POST"],
        summary=summary,
        name=f"{change}_officer",
        response_model=OfficerOut,
    )


for _change in _CHANGES:
    _change_route(_change)
