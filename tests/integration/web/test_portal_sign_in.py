"""The requester portal's sign-in: officers as themselves, with a password and a TOTP code,
in sessions that live on the server and end at sign-out or suspension."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.api.app import create_app
from custos.domain import totp
from custos.domain.events import EventTag
from custos.oversight import AlertKind
from custos.store import tables as t
from custos.web._auth import REQUESTER_COOKIE
from custos.workflow import officers, oversight, requests
from custos.workflow.intake import RequestInput
from tests.conftest import Clock
from tests.integration.conftest import PASSWORD, World, fleeing_felon, officer_code, upload
from tests.integration.web.conftest import Browser, requester_browser, staff_browser


def _fresh(world: World) -> Browser:
    b = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    b.get("/portal/sign-in")
    return b


def _sign_in(b: Browser, world: World, *, code: str | None = None, password: str = PASSWORD):  # type: ignore[no-untyped-def]  # an httpx response
    officer = world.officers["police"].officer
    return b.post(
        "/portal/sign-in",
        {
            "username": officer.username,
            "password": password,
            "code": officer_code(world) if code is None else code,
        },
    )


def _tags(world: World) -> list[str]:
    with world.ctx.reading() as s:
        return list(s.scalars(select(t.LedgerEntry.tag).order_by(t.LedgerEntry.idx)))


def test_a_replayed_cookie_after_sign_out_is_refused(world: World) -> None:
    portal = requester_browser(world)
    assert portal.get("/portal/").status_code == 200
    cookie = portal.client.cookies[REQUESTER_COOKIE]
    # Nothing but the session's random token is in the cookie: no API token, no officer.
    assert world.tokens["police"] not in cookie
    assert cookie.startswith("pss_")
    assert portal.post("/portal/sign-out").status_code == 303

    thief = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    thief.client.cookies.set(REQUESTER_COOKIE, cookie)
    r = thief.get("/portal/")
    assert r.status_code == 303
    assert r.headers["location"] == "/portal/sign-in"
    with world.ctx.reading() as s:
        assert s.scalars(select(t.PortalSession)).all() == []


def test_the_agency_api_token_does_not_open_the_portal(world: World) -> None:
    b = _fresh(world)
    b.client.cookies.set(REQUESTER_COOKIE, world.tokens["police"])
    assert b.get("/portal/").headers["location"] == "/portal/sign-in"
    r = b.post("/portal/sign-in", {"username": "", "password": world.tokens["police"], "code": ""})
    assert r.status_code == 401


def test_a_wrong_or_reused_code_is_refused(world: World) -> None:
    b = _fresh(world)
    secret = world.officers["police"].totp_secret
    right = totp.code_at(secret, world.ctx.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    r = _sign_in(b, world, code=wrong)
    assert r.status_code == 401
    assert "wrong username, password or code" in r.text
    assert REQUESTER_COOKIE not in b.client.cookies
    r = _sign_in(b, world, code=right)
    assert r.status_code == 303
    # The same code a second time (someone who watched it typed) is refused.
    other = _fresh(world)
    r = _sign_in(other, world, code=right)
    assert r.status_code == 401
    r = _sign_in(other, world, password="not the password at all", code=officer_code(world))
    assert r.status_code == 401


def test_a_suspended_officer_cannot_sign_in_and_their_sessions_end(world: World) -> None:
    portal = requester_browser(world)
    assert portal.get("/portal/").status_code == 200
    officer_id = world.officers["police"].officer.id
    admin = world.staff["admin"]
    officers.suspend(world.ctx, actor=admin, officer_id=officer_id)
    assert portal.get("/portal/").headers["location"] == "/portal/sign-in"
    r = _sign_in(_fresh(world), world)
    assert r.status_code == 401
    assert "wrong username, password or code" in r.text

    officers.reinstate(world.ctx, actor=admin, officer_id=officer_id)
    assert _sign_in(_fresh(world), world).status_code == 303
    tags = _tags(world)
    assert EventTag.REQUESTER_OFFICER_SUSPEND.value in tags
    assert EventTag.REQUESTER_OFFICER_REINSTATE.value in tags


def test_repeated_failures_lock_the_username_and_raise_an_alert(world: World) -> None:
    b = _fresh(world)
    for _ in range(5):
        r = _sign_in(b, world, password="wrong password, again")
    assert r.status_code == 429
    assert "too many wrong passwords" in r.text
    # Locked: even the right password and code are refused without being checked.
    assert _sign_in(_fresh(world), world).status_code == 429
    assert EventTag.REQUESTER_SIGNIN_LOCKOUT.value in _tags(world)
    alerts = oversight.list_alerts(world.ctx, actor=world.staff["auditor"])
    raised = [a for a in alerts if a.alert == AlertKind.REQUESTER_SIGNIN_LOCKOUT]
    assert len(raised) == 1
    assert raised[0].requester == world.requesters["police"]
    assert world.officers["police"].officer.id in raised[0].summary


def test_idle_and_absolute_expiry(world: World, clock: Clock) -> None:
    portal = requester_browser(world)
    clock.advance(minutes=29)
    assert portal.get("/portal/").status_code == 200
    clock.advance(minutes=29)
    assert portal.get("/portal/").status_code == 200
    clock.advance(minutes=31)
    assert portal.get("/portal/").headers["location"] == "/portal/sign-in"

    busy = requester_browser(world)
    for _ in range(17):
        clock.advance(minutes=29)
        busy.get("/portal/")
    assert busy.get("/portal/").headers["location"] == "/portal/sign-in"


def test_requests_name_the_officer_or_the_api_token(world: World, client: TestClient) -> None:
    person = world.person("snap_fleeing_felon")
    sha = upload(client, world.tokens["police"])
    by_token = client.post(
        "/v1/requests",
        json=fleeing_felon(sha, {"ssn": person.ssn}),
        headers={"Authorization": f"Bearer {world.tokens['police']}"},
    )
    assert by_token.status_code == 201, by_token.text
    token_request = by_token.json()["id"]

    portal = requester_browser(world)
    officer = world.officers["police"]
    actor = officers_principal(world)
    body = RequestInput.model_validate(fleeing_felon(sha, {"ssn": person.ssn}))
    portal_request = requests.submit(world.ctx, actor=actor, data=body)
    assert portal.get(f"/portal/requests/{portal_request}").status_code == 200

    counsel = staff_browser(world, "counsel")
    page = counsel.get(f"/staff/requests/{portal_request}").text
    assert f"{officer.officer.display_name}, in the portal" in page
    page = counsel.get(f"/staff/requests/{token_request}").text
    assert "an API token of the agency" in page


def officers_principal(world: World):  # type: ignore[no-untyped-def]  # a RequesterPrincipal
    """The police officer as the portal's pages see them once signed in."""
    from custos.workflow import portal_sessions

    signed = portal_sessions.sign_in(
        world.ctx,
        username=world.officers["police"].officer.username,
        password=PASSWORD,
        code=officer_code(world),
    )
    assert signed.principal.officer_id == world.officers["police"].officer.id
    return signed.principal


@pytest.mark.parametrize("field", ["username", "password"])
def test_officer_registration_checks_its_fields(world: World, field: str) -> None:
    from custos.domain.errors import InvalidInputError

    details = {"username": "o.ortiz", "password": "long enough passphrase here"}
    details[field] = " " * 14 if field == "password" else "two words"
    with pytest.raises(InvalidInputError) as err:
        officers.register(
            world.ctx,
            actor=world.staff["intake"],
            requester_id=world.requesters["ice"],
            display_name="Olga Ortiz",
            **details,
        )
    assert [p.path for p in err.value.problems] == [field]


def test_staff_register_an_officer_who_then_signs_in_and_suspend_them(world: World) -> None:
    intake = staff_browser(world, "intake")
    intake.get("/staff/requesters")
    r = intake.post(
        "/staff/officers",
        {
            "officer_requester": world.requesters["ice"],
            "officer_name": "Olga Ortiz",
            "officer_username": "o.ortiz",
            "officer_email": "o.ortiz@example.org",
        },
    )
    assert r.status_code == 200, r.text
    shown = r'id="officer-password">([^<]+)<.*id="officer-secret">([^<]+)<'
    found = re.search(shown, r.text, re.DOTALL)
    assert found is not None
    password, secret = found.groups()
    assert "<svg" in r.text
    assert "otpauth://totp/" in r.text
    b = _fresh(world)
    r = b.post(
        "/portal/sign-in",
        {
            "username": "o.ortiz",
            "password": password,
            "code": totp.code_at(secret, world.ctx.now()),
        },
    )
    assert r.status_code == 303
    assert "Olga Ortiz" in b.get("/portal/").text

    officer_id = next(
        o.id
        for o in officers.list_officers(world.ctx, actor=world.staff["intake"])
        if o.username == "o.ortiz"
    )
    assert intake.post(f"/staff/officers/{officer_id}/suspend").status_code == 303
    assert b.get("/portal/").headers["location"] == "/portal/sign-in"
    page = intake.get("/staff/requesters").text
    assert 'aria-label="Reinstate Olga Ortiz"' in page
    # A username already taken (in any case) is refused and the form says so.
    r = intake.post(
        "/staff/officers",
        {
            "officer_requester": world.requesters["ice"],
            "officer_name": "X",
            "officer_username": "O.Ortiz",
        },
    )
    assert r.status_code == 409
    assert "that username is taken" in r.text
    assert 'value="O.Ortiz"' in r.text  # what was typed comes back to be corrected


def test_housekeeping_deletes_sessions_that_ended_unused(world: World, clock: Clock) -> None:
    from custos.workflow import housekeeping

    requester_browser(world)
    live = requester_browser(world)
    clock.advance(minutes=20)
    assert live.get("/portal/").status_code == 200
    clock.advance(minutes=15)
    assert housekeeping.run_once(world.ctx).sessions == 1
    with world.ctx.reading() as s:
        assert len(s.scalars(select(t.PortalSession)).all()) == 1
    assert live.get("/portal/").status_code == 200
