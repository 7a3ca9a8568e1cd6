"""A lost second factor, reset by an administrator: through the workflow, the API, the CLI and
the staff console. The account's sessions end, staff enrol a new factor before anything else
and officers get a new secret; nobody resets their own; every reset is in the ledger."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from custos.cli import _officers as cli_officers
from custos.cli import _requests as cli_requests
from custos.domain import second_factor as codes
from custos.domain.errors import AuthenticationError, ConflictError, PermissionDeniedError
from custos.domain.events import EventTag
from custos.domain.roles import Role
from custos.store import tables as t
from custos.workflow import accounts, officers, portal_sessions, second_factor, staff_sessions
from custos.workflow.staff_sessions import SecondFactorEnrolmentRequiredError
from tests.conftest import Clock
from tests.integration.conftest import (
    PASSWORD,
    World,
    seed_second_factor,
    staff_token,
    totp_code,
)
from tests.integration.web.conftest import staff_browser


def _tags(world: World) -> list[str]:
    with world.ctx.reading() as s:
        return list(s.scalars(select(t.LedgerEntry.tag)).all())


def _second_admin(world: World) -> str:
    made = accounts.create_staff(
        world.ctx,
        actor=world.staff["admin"],
        username="admin2",
        display_name="Robin Admin",
        password=PASSWORD,
        roles={Role.ADMIN},
    )
    seed_second_factor(world.ctx, made.id, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    return made.id


def test_a_reset_staff_member_enrols_anew_before_anything_else(world: World, clock: Clock) -> None:
    ctx, counsel = world.ctx, world.staff["counsel"]
    seed_second_factor(ctx, counsel.id)
    token, _ = staff_sessions.sign_in(
        ctx, username="counsel", password=PASSWORD, code=totp_code(ctx, "counsel")
    )
    assert second_factor.reset(ctx, actor=world.staff["admin"], staff_id=counsel.id) == "counsel"
    assert EventTag.STAFF_TOTP_RESET.value in _tags(world)
    with pytest.raises(AuthenticationError):  # their open session ended
        staff_sessions.staff_from_session(ctx, token)
    # The API (which cannot enrol) refuses them; the console lets them in to enrol only.
    with pytest.raises(SecondFactorEnrolmentRequiredError):
        staff_sessions.sign_in(ctx, username="counsel", password=PASSWORD, enrolment_allowed=False)
    token, _ = staff_sessions.sign_in(ctx, username="counsel", password=PASSWORD)
    with pytest.raises(SecondFactorEnrolmentRequiredError):
        staff_sessions.staff_from_session(ctx, token)
    status = second_factor.status(ctx, actor=counsel)
    assert (status.enrolled, status.required, status.reset) == (False, True, True)
    fresh = codes.new_secret()
    second_factor.enrol(ctx, actor=counsel, secret=fresh, code=codes.code_at(fresh, ctx.now()))
    assert staff_sessions.staff_from_session(ctx, token).username == "counsel"
    clock.advance(seconds=30)
    staff_sessions.sign_in(
        ctx, username="counsel", password=PASSWORD, code=codes.code_at(fresh, ctx.now())
    )


def test_nobody_resets_their_own_and_only_administrators_reset(world: World) -> None:
    ctx, admin = world.ctx, world.staff["admin"]
    with pytest.raises(PermissionDeniedError, match="their own"):
        second_factor.reset(ctx, actor=admin, staff_id=admin.id)
    with pytest.raises(PermissionDeniedError, match="admin"):
        second_factor.reset(ctx, actor=world.staff["intake"], staff_id=admin.id)
    with pytest.raises(ConflictError, match="no second factor"):
        second_factor.reset(ctx, actor=admin, staff_id=world.staff["auditor"].id)
    # Another administrator may reset the first one's.
    other = _second_admin(world)
    second_factor.reset(ctx, actor=accounts.staff_by_username(ctx, "admin2"), staff_id=admin.id)
    assert other != admin.id
    assert _tags(world).count(EventTag.STAFF_TOTP_RESET.value) == 1


def test_an_officer_gets_a_new_secret_and_the_old_one_stops_working(world: World) -> None:
    ctx, police = world.ctx, world.officers["police"]
    portal_sessions.sign_in(
        ctx,
        username=police.officer.username,
        password=PASSWORD,
        code=codes.code_at(police.totp_secret, ctx.now()),
    )
    with pytest.raises(PermissionDeniedError):
        officers.reset_second_factor(ctx, actor=world.staff["intake"], officer_id=police.officer.id)
    made = officers.reset_second_factor(
        ctx, actor=world.staff["admin"], officer_id=police.officer.id
    )
    assert made.totp_secret != police.totp_secret
    assert EventTag.REQUESTER_OFFICER_TOTP_RESET.value in _tags(world)
    with ctx.reading() as s:  # their sessions ended
        assert not s.scalars(
            select(t.PortalSession).where(t.PortalSession.officer_id == police.officer.id)
        ).all()
    old = codes.code_at(police.totp_secret, ctx.now())
    with pytest.raises(AuthenticationError):
        portal_sessions.sign_in(ctx, username=police.officer.username, password=PASSWORD, code=old)
    new = codes.code_at(made.totp_secret, ctx.now())
    again = portal_sessions.sign_in(
        ctx, username=police.officer.username, password=PASSWORD, code=new
    )
    assert again.principal.officer_id == police.officer.id


def test_the_api_resets_staff_and_officers(world: World, client: TestClient) -> None:
    seed_second_factor(world.ctx, world.staff["counsel"].id)
    admin = staff_token(client, "admin")
    counsel_id, admin_id = world.staff["counsel"].id, world.staff["admin"].id
    r = client.post(f"/v1/staff/accounts/{counsel_id}/second-factor/reset", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": counsel_id, "username": "counsel", "must_enrol": True}
    r = client.post(f"/v1/staff/accounts/{admin_id}/second-factor/reset", headers=admin)
    assert r.status_code == 403
    assert "their own" in r.json()["title"]
    officer = world.officers["ice"].officer.id
    r = client.post(f"/v1/staff/officers/{officer}/second-factor/reset", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert re.fullmatch(r"[A-Z2-7]{32}", body["totp_secret"])
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    intake = staff_token(client, "intake")
    r = client.post(f"/v1/staff/officers/{officer}/second-factor/reset", headers=intake)
    assert r.status_code == 403
    r = client.post("/v1/staff/officers/off_nobody/second-factor/reset", headers=admin)
    assert r.status_code == 404


def test_the_cli_resets_staff_and_officers(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_requests, "context", lambda: world.ctx)
    monkeypatch.setattr(cli_officers, "context", lambda: world.ctx)
    seed_second_factor(world.ctx, world.staff["counsel"].id)
    runner = CliRunner()
    done = runner.invoke(
        cli_requests.staff_app, ["reset-second-factor", "counsel", "--as", "admin"]
    )
    assert done.exit_code == 0, done.output
    assert "enrol a new one at next sign-in" in " ".join(done.output.split())
    own = runner.invoke(cli_requests.staff_app, ["reset-second-factor", "admin", "--as", "admin"])
    assert isinstance(own.exception, PermissionDeniedError)
    officer = world.officers["police"]
    done = runner.invoke(
        cli_officers.officer_app, ["reset-second-factor", officer.officer.id, "--as", "admin"]
    )
    assert done.exit_code == 0, done.output
    secret = re.search(r"new TOTP secret \(shown once\): ([A-Z2-7]{32})", done.output)
    assert secret is not None
    code = codes.code_at(secret.group(1), world.ctx.now())
    portal_sessions.sign_in(
        world.ctx, username=officer.officer.username, password=PASSWORD, code=code
    )


def test_the_console_resets_a_colleague_and_an_officer(world: World) -> None:
    seed_second_factor(world.ctx, world.staff["counsel"].id)
    b = staff_browser(world, "admin")
    page = b.get("/staff/second-factor")
    assert "Reset a colleague" in page.text
    r = b.post("/staff/second-factor/reset", {"username": "counsel"})
    assert r.status_code == 200
    assert "The second factor of counsel was reset" in r.text
    r = b.post("/staff/second-factor/reset", {"username": "admin"})
    assert r.status_code == 403
    assert "cannot reset their own" in r.text
    # The colleague signs in to the enrolment page, and only that, with a notice why.
    colleague = staff_browser(world, "counsel")
    assert colleague.get("/staff/queue").status_code != 200
    assert "An administrator reset your second factor" in colleague.get("/staff/second-factor").text

    officer = world.officers["police"].officer
    page = b.get("/staff/requesters")
    assert f"Reset second factor of {officer.display_name}" in page.text
    r = b.post(f"/staff/officers/{officer.id}/second-factor/reset")
    assert r.status_code == 200
    shown = re.search(r'id="officer-new-secret">([A-Z2-7]{32})<', r.text)
    assert shown is not None
    portal_sessions.sign_in(
        world.ctx,
        username=officer.username,
        password=PASSWORD,
        code=codes.code_at(shown.group(1), world.ctx.now()),
    )
