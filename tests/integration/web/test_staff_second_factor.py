"""The staff TOTP second factor: staff may enrol, administrators must before anything else;
the web and API sign-ins take the code, and refuse a wrong, missing or replayed one."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.api.app import create_app
from custos.domain import second_factor
from custos.domain.roles import Role
from custos.rights import MAX_SIGNIN_FAILURES
from custos.store import tables as t
from custos.workflow import accounts
from tests.conftest import Clock
from tests.integration.conftest import ADMIN_TOTP_SECRET, PASSWORD, World, totp_code
from tests.integration.web.conftest import Browser


def _browser(world: World) -> Browser:
    b = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    b.get("/staff/sign-in")
    return b


def _sign_in(b: Browser, username: str, code: str = "") -> tuple[int, str]:
    r = b.post("/staff/sign-in", {"username": username, "password": PASSWORD, "code": code})
    return r.status_code, r.headers.get("location", r.text)


def _new_admin(world: World, username: str = "admin2") -> None:
    accounts.create_staff(
        world.ctx,
        actor=world.staff["admin"],
        username=username,
        display_name="Robin Admin",
        password=PASSWORD,
        roles={Role.ADMIN},
    )


def test_an_admin_signs_in_only_with_a_right_unused_code(world: World, clock: Clock) -> None:
    b = _browser(world)
    assert _sign_in(b, "admin")[0] == 401
    status, text = _sign_in(b, "admin", "000000")
    assert status == 401
    assert "wrong username, password or code" in text
    code = totp_code(world.ctx, "admin")
    assert _sign_in(b, "admin", code) == (303, "/staff/queue")
    assert b.get("/staff/requesters").status_code == 200
    # The same code, overheard, does not sign in again (RFC 6238 §5.2).
    assert _sign_in(_browser(world), "admin", code)[0] == 401
    clock.advance(seconds=30)
    later = second_factor.code_at(ADMIN_TOTP_SECRET, world.ctx.now())
    assert _sign_in(_browser(world), "admin", later) == (303, "/staff/queue")


def test_wrong_codes_lock_the_sign_in_like_wrong_passwords(world: World) -> None:
    b = _browser(world)
    for _ in range(MAX_SIGNIN_FAILURES - 1):
        assert _sign_in(b, "admin", "123456")[0] == 401
    assert _sign_in(b, "admin", "654321")[0] == 429
    assert _sign_in(b, "admin", totp_code(world.ctx, "admin"))[0] == 429


def _secret_on(page: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert found, page[-2000:]
    return found.group(1)


def test_an_admin_without_a_second_factor_must_enrol_before_anything_else(
    world: World, clock: Clock
) -> None:
    _new_admin(world)
    b = _browser(world)
    assert _sign_in(b, "admin2") == (303, "/staff/second-factor")
    for path in ("/staff/queue", "/staff/requesters", "/staff/alerts"):
        r = b.get(path)
        assert (r.status_code, r.headers["location"]) == (303, "/staff/second-factor"), path
    page = b.get("/staff/second-factor").text
    assert "Administrators must use a second factor" in page
    secret = _secret_on(page)
    assert f"secret={secret}" in page  # the otpauth:// address an app reads
    assert "<svg" in page  # and its QR code
    r = b.post("/staff/second-factor", {"secret": secret, "code": "000000"})
    assert r.status_code == 422
    assert 'id="code-error"' in r.text
    assert _secret_on(r.text) == secret  # the same secret, to try again
    code = second_factor.code_at(secret, world.ctx.now())
    r = b.post("/staff/second-factor", {"secret": secret, "code": code})
    assert (r.status_code, r.headers["location"]) == (303, "/staff/queue")
    assert b.get("/staff/queue").status_code == 200
    with world.ctx.reading() as s:
        tags = s.scalars(select(t.LedgerEntry.tag)).all()
    assert "staff:totp:enrol" in tags
    # From now on the password alone does not sign in.
    clock.advance(seconds=30)
    assert _sign_in(_browser(world), "admin2")[0] == 401
    now_code = second_factor.code_at(secret, world.ctx.now())
    assert _sign_in(_browser(world), "admin2", now_code) == (303, "/staff/queue")


def test_other_staff_may_enrol_and_then_need_the_code(world: World, clock: Clock) -> None:
    b = _browser(world)
    assert _sign_in(b, "intake") == (303, "/staff/queue")
    page = b.get("/staff/second-factor").text
    assert "Administrators must" not in page
    secret = _secret_on(page)
    code = second_factor.code_at(secret, world.ctx.now())
    assert b.post("/staff/second-factor", {"secret": secret, "code": code}).status_code == 303
    assert "A second factor is set up for your account" in b.get("/staff/second-factor").text
    clock.advance(seconds=30)
    assert _sign_in(_browser(world), "intake")[0] == 401
    assert _sign_in(_browser(world), "intake", totp_code(world.ctx, "intake"))[0] == 303


def test_the_api_sign_in_takes_the_code_and_refuses_an_unenrolled_admin(
    world: World, client: TestClient
) -> None:
    def session(username: str, code: str = "") -> int:
        body = {"username": username, "password": PASSWORD, "code": code}
        return client.post("/v1/staff/session", json=body).status_code

    assert session("admin") == 401
    assert session("admin", "000000") == 401
    assert session("admin", totp_code(world.ctx, "admin")) == 200
    assert session("intake") == 200  # no second factor set up: the password is enough
    _new_admin(world)
    r = client.post("/v1/staff/session", json={"username": "admin2", "password": PASSWORD})
    assert r.status_code == 401
    assert "set up a second factor" in r.json()["title"]
    # A console session of that administrator opens nothing in the API either.
    b = _browser(world)
    _sign_in(b, "admin2")
    token = b.client.cookies["custos_staff"]
    r = client.get("/v1/staff/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
