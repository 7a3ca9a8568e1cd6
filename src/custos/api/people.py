"""The people's API: a person (or their representative) learns, challenges and opts out;
the public reports concerns; staff issue access codes, resolve challenges and send notices.

People authenticate with a session from `POST /v1/people/session` (case number, date of
birth and the access code from their letter) or, where the deployment installed one, from
the state's OpenID Connect provider (`install_oidc`). Representatives use the token they were
registered with to open a session for a person who consented. Every `/v1/me` route reads
only the signed-in person's own data; ids of anything else read as missing (404).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from custos.api._openapi import media
from custos.api.deps import Credentials, Ctx, StaffAuth, bearer_token
from custos.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from custos.rights import PersonPrincipal, PersonScope
from custos.workflow import rights
from custos.workflow.intake import Lines, OneLine

router = APIRouter(tags=["people"])

Format = Literal["json", "html", "pdf"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def current_person(ctx: Ctx, credentials: Credentials) -> PersonPrincipal:
    return rights.person_from_session(ctx, bearer_token(credentials))


def current_representative(ctx: Ctx, credentials: Credentials) -> str:
    return rights.representative_from_token(ctx, bearer_token(credentials))


PersonAuth = Annotated[PersonPrincipal, Depends(current_person)]
RepresentativeAuth = Annotated[str, Depends(current_representative)]


# --- sign-in ----------------------------------------------------------------------------------


class CodeSignIn(_In):
    case_number: str = Field(min_length=1, max_length=40)
    birth_date: dt.date
    code: str = Field(min_length=1, max_length=40)


class OidcSignInIn(_In):
    id_token: str = Field(min_length=1, max_length=20_000)
    nonce: str = Field(min_length=1, max_length=200)


class ActFor(_In):
    consent_id: str = Field(max_length=40)


class PersonSessionOut(BaseModel):
    token: str
    expires_at: dt.datetime
    actor: str
    scopes: list[PersonScope]


def _session_out(opened: rights.OpenedSession) -> PersonSessionOut:
    return PersonSessionOut(
        token=opened.token,
        expires_at=opened.expires_at,
        actor=opened.principal.actor,
        scopes=sorted(opened.principal.scopes),
    )


@router.post("/v1/people/session", summary="Sign in with case number, birth date and code")
def sign_in(body: CodeSignIn, ctx: Ctx) -> PersonSessionOut:
    credentials = {
        "case_number": body.case_number,
        "birth_date": body.birth_date.isoformat(),
        "code": body.code,
    }
    return _session_out(rights.AccessCodeSignIn().sign_in(ctx, credentials))


def install_oidc(app: FastAPI, sign_in: rights.OidcSignIn) -> None:
    """Let people sign in through the state's OpenID Connect provider on this app."""
    app.state.person_oidc = sign_in


@router.post("/v1/people/session/oidc", summary="Sign in with the state identity provider")
def sign_in_oidc(body: OidcSignInIn, ctx: Ctx, request: Request) -> PersonSessionOut:
    provider: rights.OidcSignIn | None = getattr(request.app.state, "person_oidc", None)
    if provider is None:
        raise NotFoundError("sign-in through an identity provider is not configured")
    return _session_out(provider.sign_in(ctx, {"id_token": body.id_token, "nonce": body.nonce}))


@router.delete("/v1/people/session", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
def sign_out(ctx: Ctx, credentials: Credentials) -> None:
    rights.sign_out(ctx, bearer_token(credentials))


@router.get("/v1/people/representatives", summary="Representatives a person may consent to")
def representatives(ctx: Ctx) -> list[rights.RepresentativeView]:
    return rights.list_representatives(ctx)


@router.get("/v1/people/representative/consents", summary="The people a representative may act for")
def representative_consents(ctx: Ctx, rep: RepresentativeAuth) -> list[rights.ConsentView]:
    return rights.representative_consents(ctx, representative_id=rep)


@router.post(
    "/v1/people/representative/session", summary="A representative acts for a consenting person"
)
def act_for(body: ActFor, ctx: Ctx, rep: RepresentativeAuth) -> PersonSessionOut:
    return _session_out(rights.act_for(ctx, representative_id=rep, consent_id=body.consent_id))


# --- the person's own data ------------------------------------------------------------------


def _accounting_response(ctx: Ctx, acc: rights.Accounting, fmt: Format) -> Any:
    if fmt == "json":
        return rights.accounting_json(acc)
    letter = rights.accounting_letter(ctx, acc, pdf=fmt == "pdf")
    if isinstance(letter, bytes):
        return Response(
            letter,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="disclosures.pdf"'},
        )
    return Response(letter, media_type="text/html; charset=utf-8")


@router.get(
    "/v1/me/disclosures",
    summary="Every disclosure of my data, with proofs; also as a printable letter",
    response_model=None,
    responses=media("application/json", "text/html", "application/pdf"),
)
def my_disclosures(ctx: Ctx, person: PersonAuth, format: Format = "json") -> Any:  # noqa: A002
    return _accounting_response(ctx, rights.accounting(ctx, principal=person), format)


class DocumentIn(_In):
    filename: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    content_type: Annotated[str, OneLine] = Field(default="application/pdf", max_length=100)
    content_base64: str = Field(min_length=1, max_length=8 * 1024 * 1024)


class ChallengeIn(_In):
    """A pending request (`request_id`) or a disclosure already made (`release_id`, as the
    person's accounting shows it); one of the two."""

    request_id: str | None = Field(default=None, max_length=40)
    release_id: str | None = Field(default=None, max_length=40)
    reason: Annotated[str, Lines] = Field(min_length=1, max_length=rights.MAX_REASON_CHARS)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=5)


def _attachments(docs: list[DocumentIn]) -> list[rights.ChallengeDocument]:
    out = []
    for i, d in enumerate(docs):
        try:
            content = base64.b64decode(d.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInputError(
                "the challenge is invalid",
                [FieldProblem(path=f"documents[{i}].content_base64", message="not base64")],
            ) from None
        out.append(
            rights.ChallengeDocument(
                filename=d.filename, content_type=d.content_type, content=content
            )
        )
    return out


@router.post(
    "/v1/me/challenges",
    status_code=status.HTTP_201_CREATED,
    summary="Challenge a pending request or a disclosure already made",
)
def file_challenge(body: ChallengeIn, ctx: Ctx, person: PersonAuth) -> rights.ChallengeView:
    return rights.file_challenge(
        ctx,
        principal=person,
        request_id=body.request_id,
        release_id=body.release_id,
        reason=body.reason,
        attachments=_attachments(body.documents),
    )


@router.get("/v1/me/challenges/{challenge_id}", summary="One of my challenges")
def my_challenge(challenge_id: str, ctx: Ctx, person: PersonAuth) -> rights.ChallengeView:
    return rights.get_challenge(ctx, principal=person, challenge_id=challenge_id)


class OptOutIn(_In):
    opted_out: bool


class OptOutOut(BaseModel):
    opted_out: bool
    changed: bool


@router.put("/v1/me/opt-out", summary="Opt out of discretionary sharing, or back in")
def opt_out(body: OptOutIn, ctx: Ctx, person: PersonAuth) -> OptOutOut:
    changed = rights.set_opt_out(ctx, principal=person, opted_out=body.opted_out)
    return OptOutOut(opted_out=body.opted_out, changed=changed)


class LanguageIn(_In):
    language: Literal["en", "es"]


@router.put(
    "/v1/me/language", status_code=status.HTTP_204_NO_CONTENT, summary="Language of my letters"
)
def language(body: LanguageIn, ctx: Ctx, person: PersonAuth) -> None:
    rights.set_language(ctx, principal=person, language=body.language)


class ConsentIn(_In):
    representative_id: str = Field(max_length=40)
    scopes: list[PersonScope] = Field(min_length=1)
    days: int = Field(ge=1, le=rights.MAX_CONSENT_DAYS)


@router.get("/v1/me/consents", summary="Representatives I have let act for me")
def my_consents(ctx: Ctx, person: PersonAuth) -> list[rights.ConsentView]:
    return rights.list_consents(ctx, principal=person)


@router.post(
    "/v1/me/consents", status_code=status.HTTP_201_CREATED, summary="Let a representative act"
)
def grant_consent(body: ConsentIn, ctx: Ctx, person: PersonAuth) -> rights.ConsentView:
    return rights.grant_consent(
        ctx,
        principal=person,
        representative_id=body.representative_id,
        scopes=body.scopes,
        days=body.days,
    )


@router.delete(
    "/v1/me/consents/{consent_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a representative's consent",
)
def revoke_consent(consent_id: str, ctx: Ctx, person: PersonAuth) -> None:
    rights.revoke_consent(ctx, principal=person, consent_id=consent_id)


# --- public concerns ------------------------------------------------------------------------


class ConcernIn(_In):
    description: Annotated[str, Lines] = Field(min_length=1, max_length=rights.MAX_CONCERN_CHARS)
    contact: Annotated[str, OneLine] = Field(default="", max_length=200)


class ConcernAck(BaseModel):
    acknowledgement: str
    status: str


@router.post(
    "/v1/public/concerns",
    status_code=status.HTTP_201_CREATED,
    summary="Report suspected unauthorized sharing (no sign-in)",
)
def report_concern(body: ConcernIn, ctx: Ctx) -> ConcernAck:
    ack = rights.report_concern(ctx, description=body.description, contact=body.contact)
    return ConcernAck(acknowledgement=ack, status="received")


@router.get("/v1/public/concerns/{acknowledgement}", summary="Status of a report")
def concern_status(acknowledgement: str, ctx: Ctx) -> ConcernAck:
    return ConcernAck(
        acknowledgement=acknowledgement,
        status=rights.concern_status(ctx, acknowledgement=acknowledgement),
    )


# --- staff ----------------------------------------------------------------------------------


class CodeIn(_In):
    language: Literal["en", "es"] | None = None


class CodeOut(BaseModel):
    code: str
    expires_at: dt.datetime
    notice_id: str
    letter_html: str


class FindPeopleIn(_In):
    case_number: str = Field(min_length=1, max_length=40)


@router.post(
    "/v1/staff/people/search",
    summary="Find people by DCN or household case number (in the body: never in a URL)",
)
def find_people(body: FindPeopleIn, ctx: Ctx, actor: StaffAuth) -> list[str]:
    return rights.find_person(ctx, actor=actor, case_number=body.case_number)


@router.post(
    "/v1/staff/people/{person_id}/access-codes",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a one-time access code (shown once, with its letter)",
)
def issue_code(person_id: str, body: CodeIn, ctx: Ctx, actor: StaffAuth) -> CodeOut:
    issued = rights.issue_access_code(ctx, actor=actor, person_id=person_id, language=body.language)
    return CodeOut(
        code=issued.code,
        expires_at=issued.expires_at,
        notice_id=issued.notice_id,
        letter_html=issued.letter_html,
    )


@router.get(
    "/v1/staff/people/{person_id}/disclosures",
    summary="A person's accounting, printed for them by staff",
    response_model=None,
    responses=media("application/json", "text/html", "application/pdf"),
)
def person_disclosures(
    person_id: str,
    ctx: Ctx,
    actor: StaffAuth,
    format: Format = "json",  # noqa: A002
) -> Any:
    return _accounting_response(
        ctx, rights.accounting_for_staff(ctx, actor=actor, person_id=person_id), format
    )


class RepresentativeIn(_In):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    organization: Annotated[str, OneLine] = Field(min_length=1, max_length=200)


@router.post(
    "/v1/staff/people/representatives",
    status_code=status.HTTP_201_CREATED,
    summary="Register a representative (token shown once)",
)
def register_representative(
    body: RepresentativeIn, ctx: Ctx, actor: StaffAuth
) -> rights.RegisteredRepresentative:
    return rights.register_representative(
        ctx, actor=actor, name=body.name, organization=body.organization
    )


@router.get("/v1/staff/challenges", summary="Challenges awaiting a legal reviewer")
def challenge_queue(
    ctx: Ctx,
    actor: StaffAuth,
    state: Annotated[Literal["open", "upheld", "rejected"] | None, Query(alias="status")] = "open",
) -> list[rights.ChallengeView]:
    return rights.challenge_queue(ctx, actor=actor, status=state)


class ResolveIn(_In):
    outcome: rights.ChallengeOutcome
    reason: Annotated[str, Lines] = Field(min_length=1, max_length=5000)


@router.post("/v1/staff/challenges/{challenge_id}/resolve", summary="Uphold or reject")
def resolve_challenge(
    challenge_id: str, body: ResolveIn, ctx: Ctx, actor: StaffAuth
) -> rights.ChallengeView:
    return rights.resolve_challenge(
        ctx, actor=actor, challenge_id=challenge_id, outcome=body.outcome, reason=body.reason
    )


@router.get("/v1/staff/notices", summary="The notice queue")
def notice_queue(
    ctx: Ctx,
    actor: StaffAuth,
    state: Annotated[Literal["queued", "sent"] | None, Query(alias="status")] = "queued",
) -> list[rights.NoticeView]:
    return rights.notice_queue(ctx, actor=actor, status=state)


class SweepOut(BaseModel):
    queued: int


@router.post("/v1/staff/notices/sweep", summary="Queue the letters that are due")
def sweep(ctx: Ctx, actor: StaffAuth) -> SweepOut:
    return SweepOut(queued=rights.sweep_notices_as(ctx, actor=actor))


@router.get(
    "/v1/staff/notices/{notice_id}",
    summary="A letter, for printing",
    response_class=Response,
    responses=media("text/html", "application/pdf"),
)
def notice_letter(
    notice_id: str,
    ctx: Ctx,
    actor: StaffAuth,
    format: Literal["html", "pdf"] = "html",  # noqa: A002
) -> Response:
    letter = rights.render_notice(ctx, actor=actor, notice_id=notice_id, pdf=format == "pdf")
    if isinstance(letter, bytes):
        return Response(letter, media_type="application/pdf")
    return Response(letter, media_type="text/html; charset=utf-8")


@router.post("/v1/staff/notices/{notice_id}/sent", summary="Mark a letter as sent")
def notice_sent(notice_id: str, ctx: Ctx, actor: StaffAuth) -> rights.NoticeView:
    return rights.mark_notice_sent(ctx, actor=actor, notice_id=notice_id)


@router.get("/v1/staff/concerns", summary="The privacy officer's triage queue")
def concern_queue(
    ctx: Ctx,
    actor: StaffAuth,
    state: Annotated[
        Literal["received", "triaged", "closed"] | None, Query(alias="status")
    ] = "received",
) -> list[rights.ConcernView]:
    return rights.concern_queue(ctx, actor=actor, status=state)


class TriageIn(_In):
    priority: rights.ConcernPriority
    note: Annotated[str, Lines] = Field(min_length=1, max_length=5000)
    close: bool = False


@router.post("/v1/staff/concerns/{concern_id}/triage", summary="Triage a reported concern")
def triage(concern_id: str, body: TriageIn, ctx: Ctx, actor: StaffAuth) -> rights.ConcernView:
    return rights.triage_concern(
        ctx,
        actor=actor,
        concern_id=concern_id,
        priority=body.priority,
        note=body.note,
        close=body.close,
    )
