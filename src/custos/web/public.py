"""The public portal, in English (`/…`) and Spanish (`/es/…`), chosen by the person.

Anyone may read the plain-language policy and the transparency report and report a concern.
A person signs in with the access code from a letter (case number, birth date, code) and
sees every disclosure of their data with its proof, challenges a pending request, opts out
of discretionary sharing and chooses representatives. Nothing personal goes in a URL: the
session is an HttpOnly cookie, and identifiers travel in POST bodies.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from custos.domain import words
from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    CustosError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.rights import PersonPrincipal, PersonScope
from custos.web import _reports, _words
from custos.web._auth import (
    PERSON_COOKIE,
    PERSON_COOKIE_SECONDS,
    REPRESENTATIVE_COOKIE,
    REPRESENTATIVE_COOKIE_SECONDS,
    REPRESENTATIVE_PURPOSE,
    Person,
    Representative,
)
from custos.web._i18n import LANGUAGES, language_of, translator
from custos.web._render import FormList, FormStr, ctx_of, field_errors, redirect, render
from custos.web._security import check_csrf, clear_cookie, set_cookie, sign
from custos.workflow import ledger as ledger_service
from custos.workflow import oversight, rights
from custos.workflow import policy as policy_service
from custos.workflow.context import Context

#: Where challenge problems are shown on the form: the service numbers its documents.
_CHALLENGE_FIELDS = {"documents": "attachment"}


class Page:
    """The public page being answered: its request, its language and the prefix of its URLs.

    The pages are one router mounted once per language (`LANGUAGES`); the mount a URL came
    through names its language, so a route is written once and answers in both.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang = language_of(request.url.path)
        self.base = LANGUAGES[self.lang]
        self._ = translator(self.lang)

    @property
    def ctx(self) -> Context:
        return ctx_of(self.request)

    def to(self, path: str) -> str:
        """This language's URL of `path`."""
        return f"{self.base}{path}"

    def render(self, template: str, *, status_code: int = 200, **data: Any) -> HTMLResponse:
        return render(
            self.request,
            template,
            status_code=status_code,
            lang=self.lang,
            base=self.base,
            **data,
        )

    def errors(
        self, problems: tuple[FieldProblem, ...] | list[FieldProblem], aliases: dict[str, str]
    ) -> dict[str, str]:
        """The service's problems by form field, in this page's language."""
        return {k: self._(v) for k, v in field_errors(problems, aliases).items()}


Here = Annotated[Page, Depends(Page)]

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


@pages.get("/")
def home(page: Here) -> HTMLResponse:
    return page.render("public/home.html")


@pages.get("/policy")
def policy_page(page: Here) -> HTMLResponse:
    model = policy_service.public_policy(page.ctx, lang=page.lang)
    return page.render("public/policy.html", policy=model)


@pages.get("/reports")
def reports(page: Here) -> HTMLResponse:
    ctx = page.ctx
    checkpoint: ledger_service.PublishedCheckpoint | None = None
    with contextlib.suppress(NotFoundError):
        checkpoint = ledger_service.latest_checkpoint(ctx)
    return page.render(
        "public/reports.html",
        reports=oversight.list_reports(ctx),
        files=list(_reports.FILE_LABELS.items()),
        checkpoint=checkpoint,
        withheld=rights.withheld_summary(ctx),
    )


@pages.get("/reports/{report_id}")
def report(page: Here, report_id: str) -> HTMLResponse:
    shown = _reports.shown(page.ctx, report_id)
    return page.render("public/report.html", shown=shown, label=_reports.label)


@pages.get("/reports/{report_id}/{name}")
def report_file(page: Here, report_id: str, name: str) -> Response:
    content, media_type = oversight.report_file(page.ctx, report_id, name)
    return Response(
        content, media_type=media_type, headers=_reports.download_headers(report_id, name)
    )


# --- concerns -------------------------------------------------------------------------------


@pages.get("/concern")
def concern_form(page: Here) -> HTMLResponse:
    return page.render("public/concern.html")


@pages.post("/concern")
def report_concern(page: Here, description: FormStr = "", contact: FormStr = "") -> HTMLResponse:
    try:
        ack = rights.report_concern(page.ctx, description=description, contact=contact)
    except InvalidInputError as exc:
        return page.render(
            "public/concern.html",
            status_code=422,
            errors=page.errors(exc.problems, {}),
            form={"description": description, "contact": contact},
        )
    return page.render("public/concern_received.html", acknowledgement=ack)


@pages.post("/concern/status")
def concern_status(page: Here, acknowledgement: FormStr = "") -> HTMLResponse:
    form = {"acknowledgement": acknowledgement}
    try:
        status = rights.concern_status(page.ctx, acknowledgement=acknowledgement)
    except NotFoundError:
        return page.render(
            "public/concern.html",
            status_code=404,
            errors={"acknowledgement": page._("No report has this acknowledgement number.")},
            form=form,
        )
    return page.render("public/concern.html", status=status, form=form)


# --- sign-in ----------------------------------------------------------------------------------


@pages.get("/sign-in")
def sign_in_form(page: Here) -> HTMLResponse:
    return page.render("public/sign_in.html")


@pages.post("/sign-in")
def sign_in(
    page: Here, case_number: FormStr = "", birth_date: FormStr = "", code: FormStr = ""
) -> Response:
    form = {"case_number": case_number, "birth_date": birth_date}
    try:
        opened = rights.AccessCodeSignIn().sign_in(page.ctx, {**form, "code": code})
    except InvalidInputError as exc:
        errors = page.errors(exc.problems, {})
        return page.render("public/sign_in.html", status_code=422, errors=errors, form=form)
    except AuthenticationError as exc:
        return page.render(
            "public/sign_in.html",
            status_code=exc.status,
            errors={"form": page._(_sign_in_message(exc))},
            form=form,
        )
    response = redirect(page.to("/me"))
    set_cookie(page.request, response, PERSON_COOKIE, opened.token, max_age=PERSON_COOKIE_SECONDS)
    return response


@pages.post("/sign-out")
def sign_out(page: Here) -> Response:
    _end_person_session(page)
    # A representative who stops acting for a person goes back to their own page.
    back = "/representative" if page.request.cookies.get(REPRESENTATIVE_COOKIE) else "/"
    response = redirect(page.to(back))
    clear_cookie(page.request, response, PERSON_COOKIE)
    return response


def _end_person_session(page: Page) -> None:
    token = page.request.cookies.get(PERSON_COOKIE)
    if token:
        with contextlib.suppress(AuthenticationError):
            rights.sign_out(page.ctx, token)


# --- the person's own pages -------------------------------------------------------------------


def _me_page(
    page: Page, person: PersonPrincipal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = page.ctx
    return page.render(
        "public/me.html",
        status_code=status_code,
        acc=rights.accounting(ctx, principal=person),
        person=person,
        representative=acting_as(ctx, person),
        can_challenge=PersonScope.CHALLENGE in person.scopes,
        can_opt_out=PersonScope.OPT_OUT in person.scopes,
        field_name=words.field_namer(policy_service.active_pack(ctx).catalogue, page.lang),
        cite=_words.citation,
        **extra,
    )


@pages.get("/me")
def me(page: Here, person: Person, done: str = "") -> HTMLResponse:
    message = {
        "opted_out": page._("You have opted out of discretionary sharing."),
        "opted_in": page._("You have opted back in to discretionary sharing."),
        "challenged": page._(
            "Your challenge was filed. Nothing more is sent about you in that request while it "
            "is open."
        ),
    }.get(done)
    return _me_page(page, person, message=message)


@pages.get("/me/accounting.json")
def accounting_json(page: Here, person: Person) -> Response:
    acc = rights.accounting(page.ctx, principal=person)
    body = json.dumps(rights.accounting_json(acc), indent=2, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-disclosures.json"'},
    )


@pages.get("/me/letter.pdf")
def accounting_letter(page: Here, person: Person) -> Response:
    acc = rights.accounting(page.ctx, principal=person)
    pdf = rights.accounting_letter(page.ctx, acc, pdf=True)
    if not isinstance(pdf, bytes):
        raise TypeError("the accounting letter is not a PDF")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="my-disclosures.pdf"'},
    )


@pages.post("/me/opt-out")
def opt_out(page: Here, person: Person, choice: FormStr = "") -> Response:
    opted_out = choice == "out"
    rights.set_opt_out(page.ctx, principal=person, opted_out=opted_out)
    return redirect(page.to("/me?done=" + ("opted_out" if opted_out else "opted_in")))


@pages.post("/me/language")
def letter_language(page: Here, person: Person, language: FormStr = "") -> Response:
    if language in LANGUAGES:
        rights.set_language(page.ctx, principal=person, language=language)
        return redirect(LANGUAGES[language] + "/me")
    return redirect(page.to("/me"))


@pages.post("/me/challenge")
def challenge_form(
    page: Here, person: Person, request_id: FormStr = "", release_id: FormStr = ""
) -> HTMLResponse:
    """The form for a pending request (request id) or a disclosure made (release id)."""
    rep, form = acting_as(page.ctx, person), {"request_id": request_id, "release_id": release_id}
    return page.render("public/challenge.html", form=form, representative=rep)


def _attachments(attachment: UploadFile | None) -> list[rights.ChallengeDocument]:
    if attachment is None or not attachment.filename:
        return []
    return [
        rights.ChallengeDocument(
            filename=attachment.filename,
            content_type=(attachment.content_type or "application/pdf").split(";")[0],
            # One byte over the limit is enough for the service to refuse it.
            content=attachment.file.read(rights.MAX_CHALLENGE_DOCUMENT_BYTES + 1),
        )
    ]


@pages.post("/me/challenges")
def file_challenge(
    page: Here,
    person: Person,
    request_id: FormStr = "",
    release_id: FormStr = "",
    reason: FormStr = "",
    attachment: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        rights.file_challenge(
            page.ctx,
            principal=person,
            request_id=request_id,
            release_id=release_id,
            reason=reason,
            attachments=_attachments(attachment),
        )
    except InvalidInputError as exc:
        problems = exc.problems or [FieldProblem(path="attachment", message=str(exc))]
        errors = page.errors(problems, _CHALLENGE_FIELDS)
        status = 422
    except (ConflictError, NotFoundError) as exc:
        errors, status = {"reason": page._(str(exc))}, exc.status
    else:
        return redirect(page.to("/me?done=challenged"))
    form = {"request_id": request_id, "release_id": release_id, "reason": reason}
    rep = acting_as(page.ctx, person)
    return page.render(
        "public/challenge.html", status_code=status, errors=errors, form=form, representative=rep
    )


# --- representatives --------------------------------------------------------------------------


def _reps_page(
    page: Page, person: PersonPrincipal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = page.ctx
    return page.render(
        "public/representatives.html",
        status_code=status_code,
        consents=rights.list_consents(ctx, principal=person),
        representatives=rights.list_representatives(ctx),
        scopes=list(PersonScope),
        max_days=rights.MAX_CONSENT_DAYS,
        **extra,
    )


@pages.get("/me/representatives")
def representatives(page: Here, person: Person) -> HTMLResponse:
    return _reps_page(page, person)


@pages.post("/me/representatives")
def grant(
    page: Here,
    person: Person,
    representative_id: FormStr = "",
    scopes: FormList = None,
    days: FormStr = "90",
) -> Response:
    form: dict[str, Any] = {"representative_id": representative_id, "days": days}
    try:
        rights.grant_consent(
            page.ctx,
            principal=person,
            representative_id=representative_id,
            scopes=[PersonScope(s) for s in scopes or [] if s in set(PersonScope)],
            days=int(days) if days.strip().isdigit() else 0,
        )
    except InvalidInputError as exc:
        errors = page.errors(exc.problems, {})
        return _reps_page(page, person, status_code=422, errors=errors, form=form)
    except NotFoundError as exc:
        errors = {"representative_id": page._(str(exc))}
        return _reps_page(page, person, status_code=404, errors=errors, form=form)
    return redirect(page.to("/me/representatives"))


@pages.post("/me/representatives/revoke")
def revoke(page: Here, person: Person, consent_id: FormStr = "") -> Response:
    rights.revoke_consent(page.ctx, principal=person, consent_id=consent_id)
    return redirect(page.to("/me/representatives"))


# --- a representative's own pages -------------------------------------------------------------


@pages.get("/representative/sign-in")
def representative_sign_in_form(page: Here) -> HTMLResponse:
    return page.render("public/representative_sign_in.html")


@pages.post("/representative/sign-in")
def representative_sign_in(page: Here, token: FormStr = "") -> Response:  # nosec B107
    ctx = page.ctx
    try:
        rights.representative_from_token(ctx, token.strip())
    except AuthenticationError:
        return page.render(
            "public/representative_sign_in.html",
            status_code=401,
            errors={"token": page._("This token is not valid.")},
        )
    response = redirect(page.to("/representative"))
    value = sign(ctx, REPRESENTATIVE_PURPOSE, token.strip(), now=ctx.now().timestamp())
    set_cookie(
        page.request,
        response,
        REPRESENTATIVE_COOKIE,
        value,
        max_age=REPRESENTATIVE_COOKIE_SECONDS,
    )
    return response


@pages.post("/representative/sign-out")
def representative_sign_out(page: Here) -> Response:
    _end_person_session(page)
    response = redirect(page.to("/"))
    clear_cookie(page.request, response, PERSON_COOKIE)
    clear_cookie(page.request, response, REPRESENTATIVE_COOKIE)
    return response


@pages.get("/representative")
@pages.get("/representative/")
def representative_home(page: Here, rep: Representative) -> HTMLResponse:
    ctx = page.ctx
    return page.render(
        "public/representative.html",
        representative=_representative(ctx, rep),
        consents=rights.representative_consents(ctx, representative_id=rep),
    )


@pages.post("/representative/act")
def act_for(page: Here, rep: Representative, consent_id: FormStr = "") -> Response:
    opened = rights.act_for(page.ctx, representative_id=rep, consent_id=consent_id)
    response = redirect(page.to("/me"))
    set_cookie(page.request, response, PERSON_COOKIE, opened.token, max_age=PERSON_COOKIE_SECONDS)
    return response


def _representative(ctx: Context, representative_id: str) -> rights.RepresentativeView | None:
    return next((r for r in rights.list_representatives(ctx) if r.id == representative_id), None)


def acting_as(ctx: Context, person: PersonPrincipal) -> rights.RepresentativeView | None:
    """The representative acting in this session, to name them on every page; None for the
    person themself."""
    if person.representative_id is None:
        return None
    return _representative(ctx, person.representative_id)


def _sign_in_message(exc: CustosError) -> str:
    if isinstance(exc, rights.SignInLockedError):
        return (
            "Too many sign-in attempts for this case number. Try again later or ask the agency "
            "for a new letter."
        )
    return "The case number, date of birth and access code do not match."


def _to_home(prefix: str) -> Callable[[], Response]:
    """The route of a language's bare prefix (`/es`): its home page is `/es/`."""

    def home_bare() -> Response:
        return redirect(prefix + "/")

    return home_bare


#: What `create_app` includes: the pages once per language, under that language's prefix.
router = APIRouter(include_in_schema=False)
for _prefix in LANGUAGES.values():
    router.include_router(pages, prefix=_prefix)
    if _prefix:
        router.add_api_route(_prefix, _to_home(_prefix), methods=["GET"])

#: Checked by tests: every public page's translator is complete.
translators: dict[str, Callable[[str], str]] = {k: translator(k) for k in LANGUAGES}

__all__ = ["LANGUAGES", "Page", "acting_as", "router", "translators"]
