"""A tour of every page, over a world with something on each: used by the accessibility sweep
(`test_pages.py`) and by `make screenshots` (`python -m tests.e2e.screenshots`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from custos.rights import PersonScope
from custos.workflow import documents, oversight, releases, requests, rights, tokens
from custos.workflow.intake import RequestInput
from tests.e2e.conftest import Live
from tests.integration.conftest import (
    PASSWORD,
    add_snap_office,
    fleeing_felon,
    officer_code,
    program_administration,
    totp_code,
)

PERSON = "snap_fleeing_felon"


@dataclass
class Seeded:
    request: str = ""
    pending: str = ""
    release: str = ""
    code: str = ""
    report: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _submit(live: Live, content: bytes) -> str:
    ctx = live.ctx
    police = tokens.requester_from_token(ctx, live.world.tokens["police"])
    sha = documents.upload(
        ctx, actor=police, content=content, filename="warrant.pdf", content_type="application/pdf"
    )
    p = live.world.person(PERSON)
    body = fleeing_felon(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    return requests.submit(ctx, actor=police, data=RequestInput.model_validate(body))


def _submit_program_administration(live: Live) -> str:
    ctx = live.ctx
    add_snap_office(live.world)
    office = tokens.requester_from_token(ctx, live.world.tokens["snap_office"])
    sha = documents.upload(
        ctx,
        actor=office,
        content=b"%PDF-1.4 E&T enrolment request\n",
        filename="request.pdf",
        content_type="application/pdf",
    )
    p = live.world.person(PERSON)
    body = program_administration(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    return requests.submit(ctx, actor=office, data=RequestInput.model_validate(body))


def seed(live: Live) -> Seeded:
    """A released request, a pending one challenged by the person, a concern, letters, a
    representative, an access code for the person and a published transparency report."""
    ctx, staff = live.ctx, live.world.staff
    out = Seeded()
    out.request = _submit(live, b"%PDF-1.4 first warrant\n")
    requests.classify(ctx, actor=staff["counsel"], request_id=out.request)
    requests.approve(ctx, actor=staff["approver1"], request_id=out.request)
    requests.approve(ctx, actor=staff["approver2"], request_id=out.request)
    out.release = releases.build(ctx, actor=staff["approver1"], request_id=out.request).id
    live.publish_checkpoint()
    # The person is told before this one (discretionary: a state SNAP office administering
    # its own program), so they can challenge it; the fleeing-felon one is compelled and told
    # after (7 U.S.C. 2020(e)(8)(E)).
    out.pending = _submit_program_administration(live)
    rep = rights.register_representative(
        ctx, actor=staff["admin"], name="Ana Torres", organization="Legal Services of Missouri"
    )
    out.extra["representative_token"] = rep.token
    rights.report_concern(
        ctx, description="A caseworker read my neighbour's file aloud.", contact="by phone"
    )
    person_id = live.world.person(PERSON).person_id
    opened = rights.issue_access_code(ctx, actor=staff["intake"], person_id=person_id)
    session = rights.AccessCodeSignIn().sign_in(
        ctx,
        {
            "case_number": live.world.person(PERSON).dcn,
            "birth_date": str(live.world.person(PERSON).birth_date),
            "code": opened.code,
        },
    )
    rights.file_challenge(
        ctx,
        principal=session.principal,
        request_id=out.pending,
        reason="The warrant was withdrawn last week.",
    )
    rights.grant_consent(
        ctx,
        principal=session.principal,
        representative_id=rep.representative.id,
        scopes=list(PersonScope),
        days=30,
    )
    rights.sweep_notices_as(ctx, actor=staff["intake"])
    out.code = rights.issue_access_code(ctx, actor=staff["intake"], person_id=person_id).code
    out.report = oversight.transparency_report(ctx, period="2026", pdf=False).id
    return out


def sign_in(page: Any, live: Live, who: str, seeded: Seeded) -> None:
    """Sign `page`'s browser context in as `who`: a staff username, `requester`, `person` or
    `representative`."""
    if who == "requester":
        portal_sign_in(page, live)
    elif who == "person":
        p = live.world.person(PERSON)
        page.goto(f"{live.url}/sign-in")
        page.get_by_label("Case number").fill(p.dcn)
        page.get_by_label("Date of birth").fill(str(p.birth_date))
        page.get_by_label("Access code").fill(seeded.code)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live.url}/me")
    elif who == "representative":
        page.goto(f"{live.url}/representative/sign-in")
        page.get_by_label("Representative token").fill(seeded.extra["representative_token"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live.url}/representative")
    elif who:
        page.goto(f"{live.url}/staff/sign-in")
        page.get_by_label("Username").fill(who)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Code from your authenticator app").fill(totp_code(live.ctx, who))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live.url}/staff/queue")


def portal_sign_in(page: Any, live: Live, key: str = "police") -> None:
    """Sign in to the portal as the agency's officer: username, password, and the code their
    authenticator app shows (computed from the secret by the server's clock, moved on one
    30-second step first, since a code is accepted only once)."""
    live.clock.advance(seconds=30)
    officer = live.world.officers[key].officer
    page.goto(f"{live.url}/portal/sign-in")
    page.get_by_label("Username").fill(officer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(officer_code(live.world, key))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/portal/")


def _register_officer(page: Any) -> None:
    page.get_by_label("Agency", exact=True).select_option(label="Columbia Police Department")
    page.get_by_label("Full name").fill("Lee Nguyen")
    page.get_by_label("Username", exact=True).fill("l.nguyen")
    page.get_by_label("Work email (optional)").fill("l.nguyen@example.org")
    page.get_by_role("button", name="Register the officer").click()
    page.wait_for_load_state()


def _empty_submit(button: str) -> Callable[[Any], None]:
    def act(page: Any) -> None:
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()

    return act


def _fill_and_submit(values: dict[str, str], button: str) -> Callable[[Any], None]:
    def act(page: Any) -> None:
        for label, value in values.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()

    return act


def fill_request_form(
    page: Any, pdf: bytes, *, full_name: str = "Maria Example", birth_date: str = "1980-01-01"
) -> None:
    """Answer the requester's new-request form as the police officer of the story would."""
    # By id: "Full name" and "Date of birth" also label the fields one may ask for.
    page.locator("#f-full_name").fill(full_name)
    page.locator("#f-birth_date").fill(birth_date)
    page.get_by_label("Purpose", exact=True).select_option("fleeing_felon")
    page.locator("#purpose-hint h2").wait_for()
    page.get_by_label("Describe the purpose").fill(
        "Felony warrant 26-CR-0113; locating is my duty."
    )
    page.get_by_label("The person is fleeing a felony charge").check()
    page.get_by_label("Locating the person is my official duty").check()
    page.get_by_label("The request is a proper exercise of that duty").check()
    for ref in ("snap/address", "snap/ssn", "snap/photo", "snap/benefit_amount"):
        page.locator(f"input[name=fields][value='{ref}']").check()
    page.get_by_label("Kind").select_option("written_request")
    page.get_by_label("Issued by").fill("Columbia Police Department")
    page.get_by_label("Signed by").fill("Det. R. Alvarez")
    page.get_by_label("Issued on").fill("2026-02-27")
    page.get_by_label("The signed document (PDF)").set_input_files(
        {"name": "written-request.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )


def _check_answers(page: Any) -> None:
    fill_request_form(page, b"%PDF-1.4 tour\n")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def _choose_purpose(page: Any) -> None:
    page.get_by_label("Purpose", exact=True).select_option("fleeing_felon")
    page.locator("#purpose-hint h2").wait_for()
    page.locator("#f-purpose").evaluate("e => e.scrollIntoView({block: 'start'})")


def _act_for(page: Any) -> None:
    page.get_by_role("button", name="Act for this person").first.click()
    page.wait_for_load_state()


@dataclass(frozen=True)
class Stop:
    """One page of the tour: its name (the screenshot's file name), who is signed in, the
    path (formatted with the seeded ids) and an optional action after loading."""

    name: str
    who: str
    path: str
    action: Callable[[Any], None] | None = None
    screenshot: bool = False


TOUR: tuple[Stop, ...] = (
    Stop("public-home", "", "/", screenshot=True),
    Stop("public-home-es", "", "/es/", screenshot=True),
    Stop("public-policy", "", "/policy", screenshot=True),
    Stop("public-policy-es", "", "/es/policy"),
    Stop("public-reports", "", "/reports", screenshot=True),
    Stop("public-report", "", "/reports/{report}", screenshot=True),
    Stop("public-report-es", "", "/es/reports/{report}"),
    Stop("public-concern", "", "/concern", screenshot=True),
    Stop("public-concern-errors", "", "/es/concern", _empty_submit("Enviar la denuncia")),
    Stop("public-sign-in", "", "/sign-in", screenshot=True),
    Stop("public-sign-in-errors", "", "/sign-in", _empty_submit("Sign in")),
    Stop("public-not-found", "", "/es/no-such-page"),
    Stop("person-disclosures", "person", "/me", screenshot=True),
    Stop("person-disclosures-es", "person", "/es/me", screenshot=True),
    Stop("person-representatives", "person", "/me/representatives"),
    Stop("person-representatives-es", "person", "/es/me/representatives"),
    Stop("representative-sign-in", "", "/representative/sign-in"),
    Stop(
        "representative-sign-in-errors",
        "",
        "/es/representative/sign-in",
        _fill_and_submit({"Código de representante": "rep_x.nope"}, "Iniciar sesión"),
    ),
    Stop("representative-home", "representative", "/representative"),
    Stop("representative-acting", "representative", "/representative", _act_for),
    Stop("representative-acting-es", "representative", "/es/me"),
    Stop("portal-sign-in", "", "/portal/sign-in", screenshot=True),
    Stop(
        "portal-sign-in-errors",
        "",
        "/portal/sign-in",
        _fill_and_submit(
            {
                "Username": "police-officer",
                "Password": "not the password",
                "Code from your authenticator app": "000000",
            },
            "Sign in",
        ),
    ),
    Stop("portal-home", "requester", "/portal/", screenshot=True),
    Stop("portal-new-request", "requester", "/portal/requests/new", screenshot=True),
    Stop(
        "portal-new-request-hint",
        "requester",
        "/portal/requests/new",
        _choose_purpose,
        screenshot=True,
    ),
    Stop(
        "portal-new-request-errors",
        "requester",
        "/portal/requests/new",
        _empty_submit("Continue"),
        screenshot=True,
    ),
    Stop(
        "portal-check-answers", "requester", "/portal/requests/new", _check_answers, screenshot=True
    ),
    Stop("portal-request", "requester", "/portal/requests/{request}", screenshot=True),
    Stop("portal-release", "requester", "/portal/releases/{release}", screenshot=True),
    Stop("staff-sign-in", "", "/staff/sign-in"),
    Stop("staff-queue", "counsel", "/staff/queue?tab=on_hold", screenshot=True),
    Stop("staff-queue-released", "counsel", "/staff/queue?tab=released"),
    Stop("staff-queue-retention", "counsel", "/staff/queue?tab=retention"),
    Stop("staff-request", "counsel", "/staff/requests/{request}", screenshot=True),
    Stop("staff-request-held", "counsel", "/staff/requests/{pending}"),
    Stop("staff-queue-search", "counsel", "/staff/queue?q=columbia&sort=due", screenshot=True),
    Stop("staff-confirm-deny", "counsel", "/staff/requests/{pending}/deny", screenshot=True),
    Stop("staff-challenges", "counsel", "/staff/challenges", screenshot=True),
    Stop("staff-policy", "counsel", "/staff/policy", screenshot=True),
    Stop("staff-reports", "counsel", "/staff/reports"),
    Stop(
        "staff-reports-errors",
        "auditor",
        "/staff/reports",
        _fill_and_submit({"Period": "last spring"}, "Publish the report"),
    ),
    Stop("staff-requesters", "admin", "/staff/requesters", screenshot=True),
    Stop("staff-second-factor", "intake", "/staff/second-factor", screenshot=True),
    Stop(
        "staff-officer-registered",
        "admin",
        "/staff/requesters",
        _register_officer,
        screenshot=True,
    ),
    Stop(
        "staff-agreement-errors",
        "admin",
        "/staff/requesters",
        _fill_and_submit(
            {
                "Title": "County MOU",
                "Retention (days)": "30",
                "Valid from": "2026-01-01",
                "Valid until": "2026-12-31",
            },
            "Register the agreement",
        ),
    ),
    Stop("staff-people", "admin", "/staff/people"),
    Stop("staff-notices", "admin", "/staff/notices", screenshot=True),
    Stop("staff-concerns", "auditor", "/staff/concerns", screenshot=True),
    Stop("staff-alerts", "auditor", "/staff/alerts"),
    Stop("staff-forbidden", "auditor", "/staff/notices"),
)


#: A desktop browser window, and a phone's (an iPhone 12–14 in CSS pixels).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def is_public(stop: Stop) -> bool:
    """Pages for the public, people and their representatives (not staff, not requesters)."""
    return not stop.path.startswith(("/staff", "/portal"))


def walk(
    browser: Any,
    live: Live,
    seeded: Seeded,
    visit: Callable[[Any, Stop], None],
    *,
    viewport: dict[str, int] = DESKTOP,
    stops: tuple[Stop, ...] = TOUR,
) -> None:
    """Visit every stop, one browser context per visitor, and call `visit` on each page."""
    contexts: dict[str, Any] = {}
    try:
        for stop in stops:
            if stop.who not in contexts:
                contexts[stop.who] = browser.new_context(viewport=viewport)
                page = contexts[stop.who].new_page()
                sign_in(page, live, stop.who, seeded)
            page = contexts[stop.who].pages[0]
            page.goto(live.url + stop.path.format(**vars(seeded)))
            if stop.action is not None:
                stop.action(page)
            visit(page, stop)
    finally:
        for c in contexts.values():
            c.close()
