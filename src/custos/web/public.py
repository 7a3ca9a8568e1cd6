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

from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    CustosError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.rights import PersonPrincipal, PersonScope
from custos.web import _reports
from custos.web._auth import (
    PERSON_COOKIE,
    PERSON_COOKIE_SECONDS,
    REPRESENTATIVE_COOKIE,
    REPRESENTATIVE_COOKIE_SECONDS,
    REPRESENTATIVE_PURPOSE,
    Person,
    Representative,
)
from custos.web._i18n import translator
from custos.web._render import FormList, FormStr, ctx_of, field_errors, redirect, render
from custos.web._security import check_csrf, clear_cookie, set_cookie, sign
from custos.workflow import ledger as ledger_service
from custos.workflow import oversight, rights
from custos.workflow import policy as policy_service
from custos.workflow.context import Context

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


LANGUAGES = {"en": "", "es": "/es"}
#: Where challenge problems are shown on the form: the service numbers its documents.
_CHALLENGE_FIELDS = {"documents": "attachment"}


def _routes(lang: str, prefix: str) -> None:  # noqa: C901, PLR0915 - one closure per page
    """Register every public page under `prefix` for `lang`."""
    _ = translator(lang)

    def page(request: Request, template: str, **data: Any) -> HTMLResponse:
        return render(request, template, lang=lang, base=prefix, **data)

    def to(path: str) -> str:
        return f"{prefix}{path}"

    @router.get(prefix + "/" if prefix else "/")
    def home(request: Request) -> HTMLResponse:
        return page(request, "public/home.html")

    if prefix:

        @router.get(prefix)
        def home_bare() -> Response:
            return redirect(prefix + "/")

    @router.get(to("/policy"))
    def policy_page(request: Request) -> HTMLResponse:
        model = policy_service.public_policy(ctx_of(request), lang=lang)
        return page(request, "public/policy.html", policy=model)

    @router.get(to("/reports"))
    def reports(request: Request) -> HTMLResponse:
        ctx = ctx_of(request)
        try:
            checkpoint: ledger_service.PublishedCheckpoint | None = (
                ledger_service.latest_checkpoint(ctx)
            )
        except NotFoundError:
            checkpoint = None
        return page(
            request,
            "public/reports.html",
            reports=oversight.list_reports(ctx),
            files=list(_reports.FILE_LABELS.items()),
            checkpoint=checkpoint,
            withheld=rights.withheld_summary(ctx),
        )

    @router.get(to("/reports/{report_id}"))
    def report(request: Request, report_id: str) -> HTMLResponse:
        shown = _reports.shown(ctx_of(request), report_id)
        return page(request, "public/report.html", shown=shown, label=_reports.label)

    @router.get(to("/reports/{report_id}/{name}"))
    def report_file(request: Request, report_id: str, name: str) -> Response:
        content, media_type = oversight.report_file(ctx_of(request), report_id, name)
        return Response(
            content, media_type=media_type, headers=_reports.download_headers(report_id, name)
        )

    # --- concerns -------------------------------------------------------------------------

    @router.get(to("/concern"))
    def concern_form(request: Request) -> HTMLResponse:
        return page(request, "public/concern.html")

    @router.post(to("/concern"))
    def report_concern(
        request: Request, description: FormStr = "", contact: FormStr = ""
    ) -> HTMLResponse:
        try:
            ack = rights.report_concern(ctx_of(request), description=description, contact=contact)
        except InvalidInputError as exc:
            return page(
                request,
                "public/concern.html",
                status_code=422,
                errors={k: _(v) for k, v in field_errors(exc.problems).items()},
                form={"description": description, "contact": contact},
            )
        return page(request, "public/concern_received.html", acknowledgement=ack)

    @router.post(to("/concern/status"))
    def concern_status(request: Request, acknowledgement: FormStr = "") -> HTMLResponse:
        try:
            status = rights.concern_status(ctx_of(request), acknowledgement=acknowledgement)
        except NotFoundError:
            return page(
                request,
                "public/concern.html",
                status_code=404,
                errors={"acknowledgement": _("No report has this acknowledgement number.")},
                form={"acknowledgement": acknowledgement},
            )
        return page(
            request,
            "public/concern.html",
            status=status,
            form={"acknowledgement": acknowledgement},
        )

    # --- sign-in ----------------------------------------------------------------------------

    @router.get(to("/sign-in"))
    def sign_in_form(request: Request) -> HTMLResponse:
        return page(request, "public/sign_in.html")

    @router.post(to("/sign-in"))
    def sign_in(
        request: Request,
        case_number: FormStr = "",
        birth_date: FormStr = "",
        code: FormStr = "",
    ) -> Response:
        form = {"case_number": case_number, "birth_date": birth_date}
        try:
            opened = rights.AccessCodeSignIn().sign_in(
                ctx_of(request),
                {"case_number": case_number, "birth_date": birth_date, "code": code},
            )
        except InvalidInputError as exc:
            errors = {k: _(v) for k, v in field_errors(exc.problems).items()}
            return page(request, "public/sign_in.html", status_code=422, errors=errors, form=form)
        except AuthenticationError as exc:
            return page(
                request,
                "public/sign_in.html",
                status_code=exc.status,
                errors={"form": _(_sign_in_message(exc))},
                form=form,
            )
        response = redirect(to("/me"))
        set_cookie(request, response, PERSON_COOKIE, opened.token, max_age=PERSON_COOKIE_SECONDS)
        return response

    @router.post(to("/sign-out"))
    def sign_out(request: Request) -> Response:
        token = request.cookies.get(PERSON_COOKIE)
        if token:
            with contextlib.suppress(AuthenticationError):
                rights.sign_out(ctx_of(request), token)
        # A representative who stops acting for a person goes back to their own page.
        back = "/representative" if request.cookies.get(REPRESENTATIVE_COOKIE) else "/"
        response = redirect(to(back))
        clear_cookie(request, response, PERSON_COOKIE)
        return response

    # --- the person's own pages -------------------------------------------------------------

    def me_page(
        request: Request, person: PersonPrincipal, *, status_code: int = 200, **extra: Any
    ) -> HTMLResponse:
        ctx = ctx_of(request)
        acc = rights.accounting(ctx, principal=person)
        return page(
            request,
            "public/me.html",
            status_code=status_code,
            acc=acc,
            person=person,
            representative=acting_as(ctx, person),
            can_challenge=PersonScope.CHALLENGE in person.scopes,
            can_opt_out=PersonScope.OPT_OUT in person.scopes,
            **extra,
        )

    @router.get(to("/me"))
    def me(request: Request, person: Person, done: str = "") -> HTMLResponse:
        message = {
            "opted_out": _("You have opted out of discretionary sharing."),
            "opted_in": _("You have opted back in to discretionary sharing."),
            "challenged": _(
                "Your challenge was filed. Nothing more is sent about you in that request while it "
                "is open."
            ),
        }.get(done)
        return me_page(request, person, message=message)

    @router.get(to("/me/accounting.json"))
    def accounting_json(request: Request, person: Person) -> Response:
        acc = rights.accounting(ctx_of(request), principal=person)
        body = json.dumps(rights.accounting_json(acc), indent=2, ensure_ascii=False)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="my-disclosures.json"'},
        )

    @router.get(to("/me/letter.pdf"))
    def accounting_letter(request: Request, person: Person) -> Response:
        acc = rights.accounting(ctx_of(request), principal=person)
        pdf = rights.accounting_letter(acc, pdf=True)
        if not isinstance(pdf, bytes):
            raise TypeError("the accounting letter is not a PDF")
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="my-disclosures.pdf"'},
        )

    @router.post(to("/me/opt-out"))
    def opt_out(request: Request, person: Person, choice: FormStr = "") -> Response:
        opted_out = choice == "out"
        rights.set_opt_out(ctx_of(request), principal=person, opted_out=opted_out)
        return redirect(to("/me?done=" + ("opted_out" if opted_out else "opted_in")))

    @router.post(to("/me/language"))
    def letter_language(request: Request, person: Person, language: FormStr = "") -> Response:
        if language in LANGUAGES:
            rights.set_language(ctx_of(request), principal=person, language=language)
            return redirect(LANGUAGES[language] + "/me")
        return redirect(to("/me"))

    @router.post(to("/me/challenge"))
    def challenge_form(request: Request, person: Person, request_id: FormStr = "") -> HTMLResponse:
        return page(
            request,
            "public/challenge.html",
            form={"request_id": request_id},
            representative=acting_as(ctx_of(request), person),
        )

    @router.post(to("/me/challenges"))
    def file_challenge(
        request: Request,
        person: Person,
        request_id: FormStr = "",
        reason: FormStr = "",
        attachment: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        form = {"request_id": request_id, "reason": reason}
        attachments = []
        if attachment is not None and attachment.filename:
            attachments.append(
                rights.ChallengeDocument(
                    filename=attachment.filename,
                    content_type=(attachment.content_type or "application/pdf").split(";")[0],
                    # One byte over the limit is enough for the service to refuse it.
                    content=attachment.file.read(rights.MAX_CHALLENGE_DOCUMENT_BYTES + 1),
                )
            )
        try:
            rights.file_challenge(
                ctx_of(request),
                principal=person,
                request_id=request_id,
                reason=reason,
                attachments=attachments,
            )
        except InvalidInputError as exc:
            problems = exc.problems or [FieldProblem(path="attachment", message=str(exc))]
            errors = {k: _(v) for k, v in field_errors(problems, _CHALLENGE_FIELDS).items()}
            return page(
                request,
                "public/challenge.html",
                status_code=422,
                errors=errors,
                form=form,
                representative=acting_as(ctx_of(request), person),
            )
        except (ConflictError, NotFoundError) as exc:
            return page(
                request,
                "public/challenge.html",
                status_code=exc.status,
                errors={"reason": _(str(exc))},
                form=form,
                representative=acting_as(ctx_of(request), person),
            )
        return redirect(to("/me?done=challenged"))

    # --- representatives --------------------------------------------------------------------

    def reps_page(
        request: Request, person: PersonPrincipal, *, status_code: int = 200, **extra: Any
    ) -> HTMLResponse:
        ctx = ctx_of(request)
        return page(
            request,
            "public/representatives.html",
            status_code=status_code,
            consents=rights.list_consents(ctx, principal=person),
            representatives=rights.list_representatives(ctx),
            scopes=list(PersonScope),
            max_days=rights.MAX_CONSENT_DAYS,
            **extra,
        )

    @router.get(to("/me/representatives"))
    def representatives(request: Request, person: Person) -> HTMLResponse:
        return reps_page(request, person)

    @router.post(to("/me/representatives"))
    def grant(
        request: Request,
        person: Person,
        representative_id: FormStr = "",
        scopes: FormList = None,
        days: FormStr = "90",
    ) -> Response:
        form: dict[str, Any] = {"representative_id": representative_id, "days": days}
        try:
            rights.grant_consent(
                ctx_of(request),
                principal=person,
                representative_id=representative_id,
                scopes=[PersonScope(s) for s in scopes or [] if s in set(PersonScope)],
                days=int(days) if days.strip().isdigit() else 0,
            )
        except InvalidInputError as exc:
            errors = {k: _(v) for k, v in field_errors(exc.problems).items()}
            return reps_page(request, person, status_code=422, errors=errors, form=form)
        except NotFoundError as exc:
            return reps_page(
                request,
                person,
                status_code=404,
                errors={"representative_id": _(str(exc))},
                form=form,
            )
        return redirect(to("/me/representatives"))

    @router.post(to("/me/representatives/revoke"))
    def revoke(request: Request, person: Person, consent_id: FormStr = "") -> Response:
        rights.revoke_consent(ctx_of(request), principal=person, consent_id=consent_id)
        return redirect(to("/me/representatives"))

    # --- a representative's own pages -------------------------------------------------------

    @router.get(to("/representative/sign-in"))
    def representative_sign_in_form(request: Request) -> HTMLResponse:
        return page(request, "public/representative_sign_in.html")

    @router.post(to("/representative/sign-in"))
    def representative_sign_in(request: Request, token: FormStr = "") -> Response:  # nosec B107
        ctx = ctx_of(request)
        try:
            rights.representative_from_token(ctx, token.strip())
        except AuthenticationError:
            return page(
                request,
                "public/representative_sign_in.html",
                status_code=401,
                errors={"token": _("This token is not valid.")},
            )
        response = redirect(to("/representative"))
        value = sign(ctx, REPRESENTATIVE_PURPOSE, token.strip(), now=ctx.now().timestamp())
        set_cookie(
            request, response, REPRESENTATIVE_COOKIE, value, max_age=REPRESENTATIVE_COOKIE_SECONDS
        )
        return response

    @router.post(to("/representative/sign-out"))
    def representative_sign_out(request: Request) -> Response:
        token = request.cookies.get(PERSON_COOKIE)
        if token:
            with contextlib.suppress(AuthenticationError):
                rights.sign_out(ctx_of(request), token)
        response = redirect(to("/"))
        clear_cookie(request, response, PERSON_COOKIE)
        clear_cookie(request, response, REPRESENTATIVE_COOKIE)
        return response

    @router.get(to("/representative"))
    @router.get(to("/representative/"))
    def representative_home(request: Request, rep: Representative) -> HTMLResponse:
        ctx = ctx_of(request)
        return page(
            request,
            "public/representative.html",
            representative=_representative(ctx, rep),
            consents=rights.representative_consents(ctx, representative_id=rep),
        )

    @router.post(to("/representative/act"))
    def act_for(request: Request, rep: Representative, consent_id: FormStr = "") -> Response:
        opened = rights.act_for(ctx_of(request), representative_id=rep, consent_id=consent_id)
        response = redirect(to("/me"))
        set_cookie(request, response, PERSON_COOKIE, opened.token, max_age=PERSON_COOKIE_SECONDS)
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


for _lang, _prefix in LANGUAGES.items():
    _routes(_lang, _prefix)

#: Checked by tests: every public page's translator is complete.
translators: dict[str, Callable[[str], str]] = {k: translator(k) for k in LANGUAGES}
