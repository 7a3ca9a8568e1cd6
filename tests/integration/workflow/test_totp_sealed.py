"""TOTP secrets at rest: a copy of the database alone mints no codes.

Staff's and officers' secrets are stored sealed with the installation's key; sign-in still
works on both databases; a sealed secret copied into another account's row does not open, and
the wrong key is a clear error of the installation, not a crash."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from custos.domain import second_factor
from custos.store import tables as t
from custos.workflow import portal_sessions, staff_sessions, totp_seal
from custos.workflow.context import Context
from custos.workflow.second_factor import enrol
from tests.integration.conftest import ADMIN_TOTP_SECRET, PASSWORD, World, totp_code


def _stored(ctx: Context) -> list[str]:
    """Every TOTP column value as the database holds it, read with plain SQL."""
    with ctx.reading() as s:
        staff = s.execute(text("SELECT totp_secret FROM staff WHERE totp_secret IS NOT NULL"))
        officers = s.execute(text("SELECT totp_secret FROM requester_officers"))
        return [str(v) for (v,) in [*staff, *officers]]


def _enrol(world: World, username: str) -> str:
    secret = second_factor.new_secret()
    enrol(
        world.ctx,
        actor=world.staff[username],
        secret=secret,
        code=second_factor.code_at(secret, world.ctx.now()),
    )
    return secret


def test_the_stored_column_never_holds_the_secret(world: World) -> None:
    enrolled = _enrol(world, "counsel")
    plain = [enrolled, ADMIN_TOTP_SECRET, *(o.totp_secret for o in world.officers.values())]
    stored = _stored(world.ctx)
    assert len(stored) == len(plain)
    for value in stored:
        assert value.startswith("v1:")
        for secret in plain:
            for form in (secret, secret.lower(), base64.b32decode(secret).hex()):
                assert form not in value
            assert base64.b32decode(secret) not in base64.urlsafe_b64decode(value.split(":")[2])


def test_staff_and_officers_still_sign_in_with_their_codes(world: World) -> None:
    secret = _enrol(world, "counsel")
    with world.ctx.transaction() as s:  # the enrolment spent this step's code: move on
        s.get_one(t.Staff, world.staff["counsel"].id).totp_last_step = None
    code = second_factor.code_at(secret, world.ctx.now())
    _, principal = staff_sessions.sign_in(
        world.ctx, username="counsel", password=PASSWORD, code=code
    )
    assert principal.username == "counsel"
    staff_sessions.sign_in(
        world.ctx, username="admin", password=PASSWORD, code=totp_code(world.ctx, "admin")
    )
    officer = world.officers["police"]
    signed = portal_sessions.sign_in(
        world.ctx,
        username=officer.officer.username,
        password=PASSWORD,
        code=second_factor.code_at(officer.totp_secret, world.ctx.now()),
    )
    assert signed.principal.officer_id == officer.officer.id


def test_a_sealed_secret_copied_to_another_account_does_not_open(world: World) -> None:
    ctx = world.ctx
    _enrol(world, "counsel")
    with ctx.transaction() as s:
        admin_row = s.get_one(t.Staff, world.staff["admin"].id)
        s.get_one(t.Staff, world.staff["counsel"].id).totp_secret = admin_row.totp_secret
        officer_row = s.get_one(t.RequesterOfficer, world.officers["ice"].officer.id)
        police = world.officers["police"].officer.id
        s.get_one(t.RequesterOfficer, police).totp_secret = officer_row.totp_secret
    # The admin's code, typed for the account that now holds the admin's sealed secret.
    admin_code = second_factor.code_at(ADMIN_TOTP_SECRET, ctx.now())
    with pytest.raises(totp_seal.SealedSecretError, match="copied from another account"):
        staff_sessions.sign_in(ctx, username="counsel", password=PASSWORD, code=admin_code)
    ice_code = second_factor.code_at(world.officers["ice"].totp_secret, ctx.now())
    with pytest.raises(totp_seal.SealedSecretError):
        portal_sessions.sign_in(
            ctx,
            username=world.officers["police"].officer.username,
            password=PASSWORD,
            code=ice_code,
        )
    # A secret written in clear (as before sealing, or by hand) is refused, not trusted.
    with ctx.transaction() as s:
        s.get_one(t.Staff, world.staff["counsel"].id).totp_secret = ADMIN_TOTP_SECRET
    with pytest.raises(totp_seal.SealedSecretError, match="not sealed"):
        staff_sessions.sign_in(ctx, username="counsel", password=PASSWORD, code=admin_code)
    # A staff secret moved into an officer's row does not open either (the table is bound).
    with ctx.transaction() as s:
        sealed = s.scalar(select(t.Staff.totp_secret).where(t.Staff.username == "admin"))
        s.get_one(t.RequesterOfficer, police).totp_secret = str(sealed)
    with pytest.raises(totp_seal.SealedSecretError):
        portal_sessions.sign_in(
            ctx, username=world.officers["police"].officer.username, password=PASSWORD, code="1"
        )


def test_the_wrong_key_is_a_clear_error(world: World, client: TestClient, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    totp_seal.write_key_file(other)
    world.ctx.settings = world.ctx.settings.model_copy(update={"totp_key_path": other})
    code = second_factor.code_at(ADMIN_TOTP_SECRET, world.ctx.now())
    with pytest.raises(totp_seal.TotpKeyError, match="not the key these second factors"):
        staff_sessions.sign_in(world.ctx, username="admin", password=PASSWORD, code=code)
    r = client.post(
        "/v1/staff/session", json={"username": "admin", "password": PASSWORD, "code": code}
    )
    assert r.status_code == 500
    assert "CUSTOS_TOTP_KEY_PATH" in r.json()["title"]
    # A wrong password is still only a wrong password: the key is not reached.
    r = client.post("/v1/staff/session", json={"username": "admin", "password": "x" * 16})
    assert r.status_code == 401


def test_a_missing_or_loose_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "totp.key"
    with pytest.raises(totp_seal.TotpKeyError, match="cannot be read"):
        totp_seal.read_key_file(path)
    totp_seal.write_key_file(path)
    with pytest.raises(FileExistsError):
        totp_seal.write_key_file(path)  # never overwritten: every sealed secret would be lost
    path.chmod(0o644)
    with pytest.raises(totp_seal.TotpKeyError, match="mode 0600"):
        totp_seal.read_key_file(path)
    path.chmod(0o600)
    path.write_text("c2hvcnQ=\n", encoding="ascii")
    with pytest.raises(totp_seal.TotpKeyError, match="32 random bytes"):
        totp_seal.read_key_file(path)
