"""Staff work the queue in a real browser, at desktop and phone width: a legal reviewer finds
a request by the case number of the person it is about and confirms its legal process; an
approver filters the queue to one requester's compelled requests and approves through the
confirmation page. An administrator cannot go past sign-in without a second factor, and
resets a colleague's or an officer's lost one. Every page on the way passes axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from custos.domain import second_factor
from custos.domain.roles import Role
from custos.workflow import accounts, documents, requests, tokens
from custos.workflow.intake import RequestInput
from tests.e2e.conftest import Live, check_a11y
from tests.e2e.tour import DESKTOP, PHONE
from tests.integration.conftest import (
    PASSWORD,
    fleeing_felon,
    ice_subpoena,
    seed_second_factor,
    totp_code,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _submit(live: Live, key: str, body_for: Any, person: str) -> str:
    ctx = live.ctx
    actor = tokens.requester_from_token(ctx, live.world.tokens[key])
    sha = documents.upload(
        ctx,
        actor=actor,
        content=f"%PDF-1.4 {key} request\n".encode(),
        filename=f"{key}.pdf",
        content_type="application/pdf",
    )
    p = live.world.person(person)
    body = body_for(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    return requests.submit(ctx, actor=actor, data=RequestInput.model_validate(body))


def _sign_in(context: Any, live: Live, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{live.url}/staff/sign-in")
    check_a11y(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(totp_code(live.ctx, username))
    page.get_by_role("button", name="Sign in").click()
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_find_filter_and_approve_through_confirmation(
    browser: Any, live: Live, viewport: dict[str, int]
) -> None:
    police = _submit(live, "police", fleeing_felon, "snap_fleeing_felon")
    other = _submit(live, "ice", ice_subpoena, "medicaid")
    requests.classify(live.ctx, actor=live.world.staff["counsel"], request_id=other)
    person = live.world.person("snap_fleeing_felon")
    contexts = [browser.new_context(viewport=viewport) for _ in range(2)]
    try:
        # 1. A legal reviewer finds the request by the person's case number.
        counsel = _sign_in(contexts[0], live, "counsel")
        counsel.wait_for_url(f"{live.url}/staff/queue")
        check_a11y(counsel)
        counsel.get_by_label("Person's case number or DCN").fill(person.dcn)
        counsel.get_by_role("button", name="Search").click()
        rows = counsel.locator("#queue tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Columbia Police Department")
        assert person.dcn not in counsel.url  # never in the address
        check_a11y(counsel)
        counsel.get_by_role("link", name=police).click()
        check_a11y(counsel)
        expect(counsel.locator(".status")).to_contain_text("Policy proposal")
        counsel.get_by_role("button", name="Confirm the legal process").click()
        expect(counsel.locator("#h-legal + dl")).to_contain_text("reviewed by counsel")
        requests.approve(live.ctx, actor=live.world.staff["approver1"], request_id=police)

        # 2. An approver filters the queue to the police's compelled requests.
        approver = _sign_in(contexts[1], live, "approver2")
        approver.wait_for_url(f"{live.url}/staff/queue")
        approver.get_by_label("Requester", exact=True).select_option(
            label="Columbia Police Department"
        )
        approver.get_by_label("Legal basis").select_option("compelled")
        approver.get_by_role("button", name="Search").click()
        expect(approver.locator("#queue tbody tr")).to_have_count(1)
        expect(approver.get_by_role("link", name=re.compile(r"^New \(1\)"))).to_be_visible()
        check_a11y(approver)

        # 3. Approve opens a page saying what will happen; only its button approves.
        approver.get_by_role("link", name=police).click()
        check_a11y(approver)
        approver.get_by_role("link", name="Approve…").click()
        expect(approver.get_by_role("heading", level=1)).to_have_text("Approve this disclosure?")
        what = approver.locator("#h-what + p + dl")
        expect(what).to_contain_text("Columbia Police Department")
        expect(what).to_contain_text(f"{person.first_name} {person.last_name}")
        expect(what).to_contain_text("snap/address")
        check_a11y(approver)
        approver.get_by_role("button", name="Confirm the approval").click()
        approver.wait_for_url(f"{live.url}/staff/requests/{police}")
        expect(approver.locator(".status")).to_contain_text("approved")
        expect(approver.locator("#h-approvals ~ ul")).to_contain_text("Approved by approver1")
        check_a11y(approver)
    finally:
        for c in contexts:
            c.close()


def test_an_administrator_sets_up_a_second_factor_before_anything_else(
    browser: Any, live: Live
) -> None:
    accounts.create_staff(
        live.ctx,
        actor=live.world.staff["admin"],
        username="newadmin",
        display_name="Robin Admin",
        password=PASSWORD,
        roles={Role.ADMIN},
    )
    context = browser.new_context(viewport=PHONE)
    try:
        page = _sign_in(context, live, "newadmin")
        page.wait_for_url(f"{live.url}/staff/second-factor")
        check_a11y(page)
        page.goto(f"{live.url}/staff/requesters")
        page.wait_for_url(f"{live.url}/staff/second-factor")
        secret = page.locator("#totp-secret").inner_text()
        page.get_by_label("Code from your app").fill("000000")
        page.get_by_role("button", name="Turn on the second factor").click()
        expect(page.locator("#code-error")).to_be_visible()
        check_a11y(page)
        page.get_by_label("Code from your app").fill(second_factor.code_at(secret, live.ctx.now()))
        page.get_by_role("button", name="Turn on the second factor").click()
        page.wait_for_url(f"{live.url}/staff/queue")
        page.goto(f"{live.url}/staff/requesters")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.url == f"{live.url}/staff/requesters"
    finally:
        context.close()


def test_an_administrator_resets_a_colleagues_and_an_officers_lost_second_factor(
    browser: Any, live: Live
) -> None:
    seed_second_factor(live.ctx, live.world.staff["counsel"].id)
    officer = live.world.officers["police"].officer
    context = browser.new_context(viewport=PHONE)
    try:
        page = _sign_in(context, live, "admin")
        page.wait_for_url(f"{live.url}/staff/queue")
        page.goto(f"{live.url}/staff/second-factor")
        page.get_by_label("Their username").fill("counsel")
        page.get_by_role("button", name="Reset their second factor").click()
        expect(page.locator("#reset-done")).to_contain_text("counsel")
        check_a11y(page)
        page.goto(f"{live.url}/staff/requesters")
        page.get_by_role("button", name=f"Reset second factor of {officer.display_name}").click()
        expect(page.locator("#officer-new-secret")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
        check_a11y(page)
    finally:
        context.close()
    # The colleague's next sign-in leads to a new enrolment first, saying why.
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = _sign_in(context, live, "counsel")
        page.wait_for_url(f"{live.url}/staff/second-factor")
        expect(page.get_by_text("An administrator reset your second factor")).to_be_visible()
        check_a11y(page)
    finally:
        context.close()
