"""The web pages over a real database: every page renders, who may reach what, sessions,
CSRF, security headers, form errors by the field, and both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custos.api.app import create_app
from custos.web import _render
from custos.workflow import oversight, releases, requests, rights, tokens
from custos.workflow.intake import RequestInput
from tests.conftest import Clock
from tests.integration.conftest import (
    World,
    add_snap_office,
    fleeing_felon,
    program_administration,
    upload,
)
from tests.integration.web.conftest import (
    Browser,
    person_browser,
    requester_browser,
    staff_browser,
)

TEMPLATES = Path(_render.TEMPLATES_DIR)


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Names of the templates rendered as pages during the test."""
    seen: set[str] = set()
    original = _render._templates.get_template

    def spy(name: str) -> object:
        seen.add(name)
        return original(name)

    monkeypatch.setattr(_render._templates, "get_template", spy)
    return seen


def _released_and_pending(world: World, client: TestClient) -> tuple[str, str, str]:
    """A released fleeing-felon disclosure (compelled, told after) and a pending
    program-administration request (discretionary, noticed before) about the same person."""
    ctx = world.ctx
    p = world.person("snap_fleeing_felon")
    sha = upload(client, world.tokens["police"], b"%PDF-1.4 first\n")
    body = fleeing_felon(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    police = tokens.requester_from_token(ctx, world.tokens["police"])
    first = requests.submit(ctx, actor=police, data=RequestInput.model_validate(body))
    add_snap_office(world)
    sha = upload(client, world.tokens["snap_office"], b"%PDF-1.4 second\n")
    office = tokens.requester_from_token(ctx, world.tokens["snap_office"])
    pending = requests.submit(
        ctx,
        actor=office,
        data=RequestInput.model_validate(program_administration(sha, {"case_number": p.dcn})),
    )
    requests.classify(ctx, actor=world.staff["counsel"], request_id=first)
    requests.approve(ctx, actor=world.staff["approver1"], request_id=first)
    requests.approve(ctx, actor=world.staff["approver2"], request_id=first)
    release = releases.build(ctx, actor=world.staff["approver1"], request_id=first).id
    return first, pending, release


def test_every_page_template_renders(
    world: World, app_client: TestClient, rendered: set[str]
) -> None:
    first, pending, release = _released_and_pending(world, app_client)
    rights.report_concern(world.ctx, description="Shared without a warrant.")
    me = person_browser(world, "snap_fleeing_felon")
    r = me.post("/me/challenge", {"request_id": pending})
    assert r.status_code == 200
    assert (
        me.post("/me/challenges", {"request_id": pending, "reason": "Wrong person."}).status_code
        == 303
    )
    rights.sweep_notices_as(world.ctx, actor=world.staff["intake"])
    report = oversight.transparency_report(world.ctx, period="2026", pdf=False).id

    pages = {
        "counsel": [
            "/staff/queue",
            "/staff/queue?tab=on_hold",
            "/staff/queue?tab=retention",
            f"/staff/requests/{first}",
            f"/staff/requests/{pending}",
            f"/staff/requests/{pending}/deny",
            "/staff/challenges",
            "/staff/policy?compare=sanctuary",
            "/staff/reports",
            "/staff/requesters",
        ],
        "admin": ["/staff/people", "/staff/notices", "/staff/second-factor"],
        "auditor": ["/staff/concerns", "/staff/alerts"],
    }
    for user, paths in pages.items():
        b = staff_browser(world, user)
        for path in paths:
            r = b.get(path)
            assert r.status_code == 200, (path, r.text[-500:])
        if user == "counsel":
            partial = b.get("/staff/queue?tab=approved", headers={"HX-Request": "true"})
            assert "<html" not in partial.text
            assert 'id="queue"' in partial.text
    admin = staff_browser(world, "admin")
    r = admin.post("/staff/people/find", {"case_number": world.person("medicaid").dcn})
    assert r.status_code == 200
    r = admin.post("/staff/people/access-code", {"person_id": world.person("medicaid").person_id})
    assert "Access code issued" in r.text

    portal = requester_browser(world)
    for path in (
        "/portal/",
        "/portal/requests/new",
        f"/portal/requests/{first}",
        f"/portal/releases/{release}",
    ):
        assert portal.get(path).status_code == 200, path
    answers = {"case_number": "1", "fields": ["snap/address"], "purpose": "other"}
    answers |= {"purpose_text": "A test.", "kind": "none"}
    assert "Check your answers" in portal.post("/portal/requests/check", answers).text
    for lang in ("", "/es"):
        for path in (
            "/",
            "/policy",
            "/reports",
            f"/reports/{report}",
            "/concern",
            "/sign-in",
            "/me",
            "/me/representatives",
        ):
            client = me if path.startswith("/me") else Browser(app_client)
            r = client.get(lang + path)
            assert r.status_code == 200, (lang + path, r.text[-300:])
        r = Browser(app_client).post(lang + "/concern", {"description": "Seen on a desk."})
        assert "CN-" in r.text
    anon = Browser(app_client)
    for path in ("/staff/sign-in", "/portal/sign-in", "/no-such-page"):
        anon.get(path)
    rep = rights.register_representative(
        world.ctx, actor=world.staff["admin"], name="Ana Torres", organization="Legal Aid"
    )
    advocate = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    for lang in ("", "/es"):
        assert advocate.get(f"{lang}/representative/sign-in").status_code == 200
        advocate.post(f"{lang}/representative/sign-in", {"token": rep.token})
        assert advocate.get(f"{lang}/representative").status_code == 200

    pages_on_disk = {
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if not p.name.startswith("_") and p.name != "base.html"
    }
    assert pages_on_disk <= rendered, sorted(pages_on_disk - rendered)


STAFF_PAGES = (
    "/staff/queue",
    "/staff/requesters",
    "/staff/people",
    "/staff/notices",
    "/staff/challenges",
    "/staff/concerns",
    "/staff/alerts",
    "/staff/policy",
    "/staff/reports",
)


def test_requesters_people_and_strangers_never_reach_staff_pages(
    world: World, app_client: TestClient
) -> None:
    visitors = {
        "anonymous": Browser(app_client),
        "requester": requester_browser(world),
        "person": person_browser(world, "medicaid"),
    }
    bearer = {"Authorization": f"Bearer {world.tokens['police']}"}
    for name, b in visitors.items():
        for path in STAFF_PAGES:
            r = b.get(path, headers=bearer)
            assert r.status_code == 303, (name, path)
            assert r.headers["location"] == "/staff/sign-in"
        r = b.post("/staff/requests/req_x/approve", {})
        assert r.status_code in {401, 403}, name
    # A person's and a requester's sessions do not open each other's pages either.
    assert visitors["person"].get("/portal/").headers["location"] == "/portal/sign-in"
    assert visitors["requester"].get("/me").headers["location"] == "/sign-in"


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("intake", "/staff/concerns"),
        ("auditor", "/staff/notices"),
        ("approver1", "/staff/notices"),
        ("intake", "/staff/policy"),
    ],
)
def test_staff_without_the_role_see_a_not_allowed_page(world: World, user: str, path: str) -> None:
    r = staff_browser(world, user).get(path)
    assert r.status_code == 403
    assert "Not allowed" in r.text
    assert "this action needs one of the roles" in r.text


def test_pages_carry_security_headers_and_api_errors_stay_json(app_client: TestClient) -> None:
    page = app_client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text.replace(
        '<script src="/static/htmx.min.js" defer></script>', ""
    )
    api = app_client.get("/v1/requests")
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/problem+json"
    assert app_client.get("/static/htmx.min.js").status_code == 200


def test_session_cookies_are_httponly_samesite_and_secure_over_https(world: World) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        b = Browser(TestClient(create_app(ctx=world.ctx), base_url=base, follow_redirects=False))
        b.get("/staff/sign-in")
        r = b.post(
            "/staff/sign-in", {"username": "counsel", "password": "correct horse battery staple"}
        )
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("custos_staff=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert ("Secure" in cookie) is secure


def test_forms_without_the_csrf_token_are_refused(world: World, app_client: TestClient) -> None:
    app_client.get("/concern")
    for data in ({}, {"csrf_token": "forged"}):
        r = app_client.post("/concern", data={"description": "x", **data})
        assert r.status_code == 403
        assert "did not come from this site" in r.text
    assert rights.concern_queue(world.ctx, actor=world.staff["auditor"]) == []
    # A token made for another browser's cookie does not work either.
    other = Browser(TestClient(create_app(ctx=world.ctx)))
    other.get("/concern")
    r = app_client.post("/concern", data={"description": "x", "csrf_token": other.token})
    assert r.status_code == 403


def test_sessions_expire(world: World, clock: Clock) -> None:
    staff = staff_browser(world, "counsel")
    portal = requester_browser(world)
    person = person_browser(world, "medicaid")
    assert staff.get("/staff/queue").status_code == 200
    clock.advance(hours=9)
    assert staff.get("/staff/queue").headers["location"] == "/staff/sign-in"
    assert portal.get("/portal/").headers["location"] == "/portal/sign-in"
    assert person.get("/es/me").headers["location"] == "/es/sign-in"


def test_form_errors_are_shown_next_to_their_fields(world: World, app_client: TestClient) -> None:
    portal = requester_browser(world)
    r = portal.post("/portal/requests", {"purpose_text": "", "fields": []})
    assert r.status_code == 422
    assert 'id="purpose-error"' in r.text
    assert 'aria-describedby="f-purpose-hint purpose-error"' in r.text
    police = tokens.requester_from_token(world.ctx, world.tokens["police"])
    assert requests.list_for_requester(world.ctx, actor=police) == []
    es = Browser(app_client)
    es.get("/es/concern")
    r = es.post("/es/concern", {"description": "  "})
    assert r.status_code == 422
    assert "de 1 a 10000 caracteres" in r.text
    r = es.post("/es/sign-in", {"case_number": "1", "birth_date": "2000-01-01", "code": "X"})
    assert r.status_code == 401
    assert "no coinciden" in r.text


def test_no_personal_data_in_urls(world: World) -> None:
    """The person's sign-in and the staff's person search send identifiers in POST bodies,
    and every redirect after them names no person."""
    p = world.person("medicaid")
    admin = staff_browser(world, "admin")
    r = admin.post("/staff/people/find", {"case_number": p.dcn})
    assert p.person_id in r.text
    assert 'action="/staff/people/access-code"' in r.text
    me = person_browser(world, "medicaid")
    for location in (me.get("/me").url.path, "/me"):
        assert p.dcn not in location
        assert p.person_id not in location


def test_two_person_rule_is_visible_on_the_request_page(
    world: World, app_client: TestClient
) -> None:
    sha = upload(app_client, world.tokens["police"])
    p = world.person("snap_fleeing_felon")
    body = fleeing_felon(sha, {"ssn": p.ssn})
    police = tokens.requester_from_token(world.ctx, world.tokens["police"])
    rid = requests.submit(world.ctx, actor=police, data=RequestInput.model_validate(body))
    counsel = staff_browser(world, "counsel")
    assert counsel.post(f"/staff/requests/{rid}/classify", {}).status_code == 303
    first = staff_browser(world, "approver1")
    first.get(f"/staff/requests/{rid}")
    assert first.post(f"/staff/requests/{rid}/approve", {"confirm": "yes"}).status_code == 303
    page = first.get(f"/staff/requests/{rid}").text
    assert "Approvals: 1 of 2" in page
    again = first.post(f"/staff/requests/{rid}/approve", {"confirm": "yes"})
    assert again.status_code == 409
    assert "a second person must" in again.text
    second = staff_browser(world, "approver2")
    second.post(f"/staff/requests/{rid}/approve", {"confirm": "yes"})
    assert "<strong>approved</strong>" in second.get(f"/staff/requests/{rid}").text
