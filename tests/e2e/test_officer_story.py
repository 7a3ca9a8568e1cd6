"""A requesting officer's story in a real browser, at desktop and phone width.

The officer signs in as themselves with password and TOTP code (a wrong code first, which is
refused), submits a request in the portal, and after staff approve and build the release
downloads it and acknowledges receipt. Staff see the officer's name on the request. At
sign-out the session ends on the server: the same cookie, replayed in another browser, opens
nothing. Every portal page on the way is checked with axe-core.

The new-request form's steps are in one helper (`tests.e2e.test_story.submit_in_portal`),
shared with the main story, so a change of the form changes one function.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from custos.domain import totp
from custos.workflow import releases, requests
from tests.e2e.conftest import Live, check_a11y
from tests.e2e.test_story import payload_sha256, submit_in_portal
from tests.e2e.tour import DESKTOP, PHONE, portal_sign_in
from tests.integration.conftest import PASSWORD

pytestmark = [pytest.mark.e2e]


def _approve_and_release(live: Live, request_id: str) -> str:
    """What staff do between submission and delivery (their pages have their own stories)."""
    staff = live.world.staff
    requests.classify(live.ctx, actor=staff["counsel"], request_id=request_id)
    requests.approve(live.ctx, actor=staff["approver1"], request_id=request_id)
    requests.approve(live.ctx, actor=staff["approver2"], request_id=request_id)
    return releases.build(live.ctx, actor=staff["approver1"], request_id=request_id).id


def _wrong_code_is_refused(page: Any, live: Live) -> None:
    officer = live.world.officers["police"]
    right = totp.code_at(officer.totp_secret, live.ctx.now())
    page.goto(f"{live.url}/portal/sign-in")
    check_a11y(page)
    page.get_by_label("Username").fill(officer.officer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(
        f"{(int(right) + 1) % 1_000_000:06d}"
    )
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username, password or code")
    check_a11y(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_officer_signs_in_submits_and_acknowledges_receipt(
    browser: Any, live: Live, tmp_path: Path, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    try:
        page = context.new_page()
        _wrong_code_is_refused(page, live)
        portal_sign_in(page, live)
        expect(page.locator("form.signout")).to_contain_text("Officer Ortega (police)")
        check_a11y(page)

        request_id = submit_in_portal(page, live)
        view = requests.get_for_staff(
            live.ctx, actor=live.world.staff["counsel"], request_id=request_id
        )
        assert view.officer_name == "Officer Ortega (police)"

        release_id = _approve_and_release(live, request_id)
        page.goto(f"{live.url}/portal/")
        check_a11y(page)
        page.locator(f"a[href='/portal/releases/{release_id}']").first.click()
        check_a11y(page)
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile("Download the package")).click()
        package = Path(download.value.path()).read_bytes()
        # The digest the portal shows is the one the decrypted payload has.
        digest = page.locator("#payload-digest").inner_text().strip()
        assert digest == payload_sha256(package, live)
        page.reload()  # the download is counted: the confirm button appears
        page.get_by_role("button", name="Confirm receipt").click()
        expect(page.locator("#release-status")).to_have_text("delivered")
        check_a11y(page)

        cookies = context.cookies()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{live.url}/portal/sign-in")
    finally:
        context.close()

    # The cookie copied before sign-out opens nothing afterwards.
    thief = browser.new_context(viewport=viewport)
    try:
        thief.add_cookies(cookies)
        stolen = thief.new_page()
        stolen.goto(f"{live.url}/portal/")
        expect(stolen).to_have_url(f"{live.url}/portal/sign-in")
    finally:
        thief.close()
