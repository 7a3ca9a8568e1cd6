"""The whole story in a real browser, in English and in Spanish.

A police officer signs in with password and TOTP code and submits a fleeing-felon request
with its PDF; a legal reviewer confirms
the legal process and two different approvers approve; the release is built; the requester
downloads it, decrypts it and acknowledges receipt. The person signs in with the code from
their letter, sees the disclosure with its proof, opts out, and challenges a second, pending
request; a legal reviewer resolves the challenge and the person sees the decision. Every page
on the way is checked with axe-core.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pyrage
import pytest
from playwright.sync_api import expect

from custos.workflow import documents, requests, tokens
from custos.workflow.intake import RequestInput
from tests.e2e.conftest import Live, check_a11y
from tests.e2e.tour import fill_request_form, portal_sign_in
from tests.integration.conftest import (
    PASSWORD,
    add_snap_office,
    program_administration,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def staff_page(context: Any, live: Live, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{live.url}/staff/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/staff/queue")
    return page


def confirm(page: Any, link: str, button: str) -> None:
    """Open an action's confirmation page from the request page and confirm it."""
    page.get_by_role("link", name=link).click()
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def submit_in_portal(page: Any, live: Live) -> str:
    """The officer sends an empty form first (every problem listed, focus on the list), then
    answers, checks the answers, changes one, and sends the request."""
    person = live.world.person("snap_fleeing_felon")
    page.goto(f"{live.url}/portal/requests/new")
    check_a11y(page)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_count(6)
    check_a11y(page)
    summary.get_by_role("link", name="Choose the purpose of the request").click()
    expect(page).to_have_url(re.compile(r"#f-purpose$"))
    fill_request_form(
        page,
        PDF,
        full_name=f"{person.first_name} {person.last_name}",
        birth_date=str(person.birth_date),
    )
    expect(page.locator("#purpose-hint")).to_contain_text("Home address")
    check_a11y(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending the request"
    )
    check_a11y(page)
    page.get_by_role("button", name="Change description of the purpose").click()
    purpose_text = page.get_by_label("Describe the purpose")
    expect(purpose_text).to_be_focused()
    expect(purpose_text).to_have_value("Felony warrant 26-CR-0113; locating is my duty.")
    expect(page.locator("input[value='snap/photo']")).to_be_checked()
    purpose_text.fill("Felony warrant 26-CR-0113 (Boone County); locating is my duty.")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("(Boone County)")
    expect(page.locator("main")).to_contain_text("written-request.pdf")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r".*/portal/requests/req_[^/]+$"))
    expect(page.locator("#request-status")).to_have_text("pending")
    expect(page.locator("#request-subjects")).to_contain_text(str(person.birth_date))
    check_a11y(page)
    return str(page.url.rsplit("/", 1)[1])


def second_request(live: Live) -> str:
    """Another request about the same person, pending with a notice-before obligation: a state
    SNAP office's program-administration request (discretionary, so the family is told first;
    a fleeing-felon disclosure is compelled and told after)."""
    ctx = live.ctx
    add_snap_office(live.world)
    office = tokens.requester_from_token(ctx, live.world.tokens["snap_office"])
    sha = documents.upload(
        ctx,
        actor=office,
        content=b"%PDF-1.4 written request\n",
        filename="second.pdf",
        content_type="application/pdf",
    )
    person = live.world.person("snap_fleeing_felon")
    body = program_administration(sha, {"case_number": person.dcn})
    return requests.submit(ctx, actor=office, data=RequestInput.model_validate(body))


def payload_sha256(package: bytes, live: Live) -> str:
    """What the recipient does: open the tar, decrypt the payload with its age key, hash it."""
    with tarfile.open(fileobj=io.BytesIO(package)) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("payload."))
        sealed = tar.extractfile(member)
        assert sealed is not None
        plain = pyrage.decrypt(sealed.read(), [live.world.identities["police"]])
    return hashlib.sha256(plain).hexdigest()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_request_release_and_the_persons_rights(  # noqa: PLR0915 - one story, told in order
    browser: Any, live: Live, tmp_path: Path, lang: str
) -> None:
    requester = browser.new_context(accept_downloads=True)
    staff = {name: browser.new_context() for name in ("counsel", "approver1", "approver2")}
    intake = browser.new_context()
    person_ctx = browser.new_context(accept_downloads=True)
    try:
        # 1. The requesting officer signs in (password and TOTP) and submits with the PDF.
        portal = requester.new_page()
        portal.goto(f"{live.url}/portal/sign-in")
        check_a11y(portal)
        portal_sign_in(portal, live)
        request_id = submit_in_portal(portal, live)

        # 2. The legal reviewer confirms the legal process; two approvers approve.
        counsel = staff_page(staff["counsel"], live, "counsel")
        check_a11y(counsel)
        counsel.get_by_role("link", name=request_id).click()
        check_a11y(counsel)
        expect(counsel.get_by_role("link", name="written-request.pdf")).to_be_visible()
        counsel.get_by_role("button", name="Confirm the legal process").click()
        expect(counsel.locator("#h-legal + dl")).to_contain_text("reviewed by")

        first = staff_page(staff["approver1"], live, "approver1")
        first.goto(f"{live.url}/staff/requests/{request_id}")
        confirm(first, "Approve…", "Confirm the approval")
        expect(first.get_by_role("heading", name="Approvals: 1 of 2")).to_be_visible()
        # The same person cannot give the second approval.
        confirm(first, "Approve…", "Confirm the approval")
        expect(first.get_by_role("alert")).to_contain_text("a second person must")
        check_a11y(first)

        second = staff_page(staff["approver2"], live, "approver2")
        second.goto(f"{live.url}/staff/requests/{request_id}")
        confirm(second, "Approve…", "Confirm the approval")
        expect(second.locator(".status")).to_contain_text("approved")
        confirm(second, "Build the release…", "Confirm: build the release")
        expect(second.locator(".status")).to_contain_text("released")

        # 3. The requester downloads, decrypts, and acknowledges receipt.
        portal.goto(f"{live.url}/portal/")
        check_a11y(portal)
        portal.locator("a[href^='/portal/releases/']").first.click()
        check_a11y(portal)
        with portal.expect_download() as download:
            portal.get_by_role("link", name=re.compile("Download the package")).click()
        package = Path(download.value.path()).read_bytes()
        # The digest the portal shows is the one the decrypted payload has.
        digest = portal.locator("#payload-digest").inner_text().strip()
        assert digest == payload_sha256(package, live)
        portal.reload()  # the download is counted: the confirm button appears
        portal.get_by_role("button", name="Confirm receipt").click()
        expect(portal.locator("#release-status")).to_have_text("delivered")
        live.publish_checkpoint()

        # 4. A second request about the same person waits, noticed before disclosure.
        pending_id = second_request(live)

        # 5. Intake issues the person an access code letter.
        clerk = staff_page(intake, live, "intake")
        person = live.world.person("snap_fleeing_felon")
        clerk.goto(f"{live.url}/staff/people")
        check_a11y(clerk)
        clerk.get_by_label("Case number or DCN").fill(person.dcn)
        clerk.get_by_role("button", name="Find").click()
        clerk.get_by_label("Letter language").first.select_option(lang)
        clerk.get_by_role("button", name="Issue an access code").first.click()
        expect(clerk.locator("#access-code")).to_be_visible()
        code = clerk.locator("#access-code").inner_text()
        check_a11y(clerk)

        # 6. The person chooses their language, signs in and sees the disclosure with a proof.
        me = person_ctx.new_page()
        me.goto(f"{live.url}/")
        check_a11y(me)
        if lang == "es":
            me.get_by_role("link", name="Español").click()
            me.wait_for_url(f"{live.url}/es/")
            check_a11y(me)
        base = f"{live.url}/es" if lang == "es" else live.url
        t = _words(lang)
        me.get_by_role("link", name=t["see"]).click()
        check_a11y(me)
        me.get_by_label(t["case"]).fill(person.dcn)
        me.get_by_label(t["birth"]).fill(str(person.birth_date))
        me.get_by_label(t["code"]).fill(code)
        me.get_by_role("button", name=t["sign_in"]).click()
        me.wait_for_url(f"{base}/me")
        expect(me.locator("table").first).to_be_visible()
        check_a11y(me)
        expect(me.get_by_role("heading", level=1)).to_have_text(t["mine"])
        shared = me.locator("table").first.inner_text()
        assert "Columbia Police Department" in shared
        # Fields in plain words from the catalogue, never machine codes like `snap/address`.
        assert t["address"] in shared
        assert t["amount"] not in shared
        assert "snap/" not in shared
        with me.expect_download() as download:
            me.get_by_role("link", name=t["proofs"]).click()
        doc = json.loads(Path(download.value.path()).read_text())
        [disclosure] = doc["disclosures"]
        assert disclosure["proof"] is not None
        assert doc["proof"]["checkpoint"]

        # 7. They challenge the pending request; it goes on hold.
        me.get_by_role("button", name=t["challenge"]).click()
        check_a11y(me)
        me.get_by_role("button", name=t["file"]).click()  # empty: the error is by the field
        expect(me.locator("#reason-error")).to_be_visible()
        check_a11y(me)
        me.get_by_label(t["reason"]).fill("The warrant was withdrawn last week.")
        me.get_by_role("button", name=t["file"]).click()
        me.wait_for_url(re.compile(r".*/me\?done=challenged$"))
        expect(me.locator("#h-pending ~ article")).to_contain_text(t["on_hold"])

        # 8. They opt out of discretionary sharing. (After the challenge: an opt-out takes
        # effect at once, so it would already have cancelled this discretionary disclosure.)
        me.get_by_role("button", name=t["opt_out"]).click()
        expect(me.get_by_role("status").first).to_have_text(t["opted_out"])
        expect(me.locator("#opt-out-status")).to_have_text(t["is_out"])

        # 9. The legal reviewer resolves the challenge; the person sees the decision.
        counsel.goto(f"{live.url}/staff/challenges")
        check_a11y(counsel)
        card = counsel.locator("article.card").filter(has_text=pending_id)
        card.get_by_role("radio", name=re.compile("Uphold")).check()
        card.get_by_label("Reason (sent to the person)").fill("The court recalled the warrant.")
        card.get_by_role("button", name="Resolve").click()
        expect(counsel.locator("#h-all ~ table")).to_contain_text("upheld")
        me.reload()
        expect(me.locator("#h-challenges ~ table")).to_contain_text(t["upheld"])
        expect(me.locator("#h-challenges ~ table")).to_contain_text(
            "The court recalled the warrant."
        )
        expect(me.locator("#h-pending ~ p").first).to_have_text(t["nothing_waiting"])
    finally:
        for c in (requester, intake, person_ctx, *staff.values()):
            c.close()


def _words(lang: str) -> dict[str, str]:
    if lang == "es":
        return {
            "see": "Vea lo que se compartió sobre usted",
            "case": "Número de caso",
            "birth": "Fecha de nacimiento",
            "code": "Código de acceso",
            "sign_in": "Iniciar sesión",
            "mine": "Lo que se compartió sobre mí",
            "address": "Dirección del hogar",
            "amount": "Monto del beneficio",
            "proofs": "Descargar la lista con sus pruebas (JSON)",
            "opt_out": "Pedir que no se comparta",
            "opted_out": "Usted pidió que no se comparta lo que la ley no exige.",
            "is_out": "Usted pidió que no se comparta.",
            "challenge": "Impugnar esta solicitud",
            "file": "Presentar la impugnación",
            "reason": "Su motivo",
            "on_hold": "detenida por una impugnación",
            "upheld": "aceptada",
            "nothing_waiting": "No hay solicitudes sobre usted en espera.",
        }
    return {
        "see": "See what was shared about you",
        "case": "Case number",
        "birth": "Date of birth",
        "code": "Access code",
        "sign_in": "Sign in",
        "mine": "My disclosures",
        "address": "Home address",
        "amount": "Benefit amount",
        "proofs": "Download the list with its proofs (JSON)",
        "opt_out": "Opt out",
        "opted_out": "You have opted out of discretionary sharing.",
        "is_out": "You have opted out.",
        "challenge": "Challenge this request",
        "file": "File the challenge",
        "reason": "Your reason",
        "on_hold": "on hold (challenged)",
        "upheld": "upheld",
        "nothing_waiting": "No request about you is waiting.",
    }
