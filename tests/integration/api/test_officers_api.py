"""The staff API for officers: register (secrets returned once), list, suspend, reinstate;
and an agency's token cannot do any of it."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient

from custos.workflow import portal_sessions
from tests.integration.conftest import World, bearer, staff_token


def test_staff_register_list_and_suspend_an_officer(world: World, client: TestClient) -> None:
    intake = staff_token(client, "intake")
    r = client.post(
        f"/v1/staff/requesters/{world.requesters['ice']}/officers",
        json={"username": "r.diaz", "display_name": "Rosa Diaz", "email": "r.diaz@example.org"},
        headers=intake,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["officer"]["status"] == "active"
    assert made["otpauth_uri"].startswith("otpauth://totp/")
    signed = portal_sessions.sign_in(
        world.ctx,
        username="r.diaz",
        password=made["password"],
        code=pyotp.TOTP(made["totp_secret"]).at(world.ctx.now()),
    )
    assert signed.principal.id == world.requesters["ice"]

    listed = client.get(
        "/v1/staff/officers", params={"requester_id": world.requesters["ice"]}, headers=intake
    ).json()
    assert [o["username"] for o in listed] == ["ice-officer", "r.diaz"]
    # Nothing secret is listed.
    assert all("password" not in o and "totp_secret" not in o for o in listed)

    officer_id = made["officer"]["id"]
    r = client.post(f"/v1/staff/officers/{officer_id}/suspend", headers=intake)
    assert r.json()["status"] == "suspended"
    r = client.post(f"/v1/staff/officers/{officer_id}/reinstate", headers=intake)
    assert r.json()["status"] == "active"


def test_a_weak_password_and_an_agency_token_are_refused(world: World, client: TestClient) -> None:
    path = f"/v1/staff/requesters/{world.requesters['police']}/officers"
    body = {"username": "x.y", "display_name": "X Y", "password": "password1234"}
    r = client.post(path, json=body, headers=staff_token(client, "admin"))
    assert r.status_code == 422
    assert any(e["path"] == "password" for e in r.json()["errors"])
    r = client.post(path, json=body, headers=bearer(world.tokens["police"]))
    assert r.status_code in {401, 403}
    r = client.post(path, json=body, headers=staff_token(client, "auditor"))
    assert r.status_code == 403
