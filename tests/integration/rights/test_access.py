"""Sign-in and isolation: codes are one-time, wrong ones lock out whether or not the case
number exists, and a person never sees another person's entries, however ids are guessed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from custos.rights import Withheld
from custos.workflow import ledger as ledger_service
from custos.workflow import rights
from tests.integration.conftest import World, bearer, staff_token
from tests.integration.rights.conftest import a_request, account, code_for, sign_in


def _try(client: TestClient, case_number: str, birth_date: str, code: str) -> Any:
    return client.post(
        "/v1/people/session",
        json={"case_number": case_number, "birth_date": birth_date, "code": code},
    )


def _outward(r: Any) -> tuple[int, str, str]:
    body = r.json()
    return r.status_code, body["type"], body["title"]


def test_a_code_works_once_with_the_household_case_number_too(
    world: World, client: TestClient
) -> None:
    p = world.person("household_spouse")
    code = code_for(world, "household_spouse")
    r = _try(client, p.case_number, str(p.birth_date), code.lower().replace("-", " "))
    assert r.status_code == 200, r.text
    assert r.json()["actor"].startswith("person:p_")
    again = _try(client, p.case_number, str(p.birth_date), code)
    assert again.status_code == 401


def test_a_newer_code_replaces_the_older_one(world: World, client: TestClient) -> None:
    p = world.person("medicaid")
    old = code_for(world, "medicaid")
    new = code_for(world, "medicaid")
    assert _try(client, p.dcn, str(p.birth_date), old).status_code == 401
    assert _try(client, p.dcn, str(p.birth_date), new).status_code == 200


def test_a_code_expires(world: World, client: TestClient, clock: Any) -> None:
    p = world.person("medicaid")
    code = code_for(world, "medicaid")
    clock.advance(days=rights.ACCESS_CODE_DAYS + 1)
    assert _try(client, p.dcn, str(p.birth_date), code).status_code == 401


def test_wrong_codes_lock_out_and_read_the_same_for_unknown_case_numbers(
    world: World, client: TestClient, clock: Any
) -> None:
    p = world.person("snap_noncitizen")
    code = code_for(world, "snap_noncitizen")
    real, fake = [], []
    for _ in range(rights.MAX_SIGNIN_FAILURES):
        real.append(_outward(_try(client, p.dcn, str(p.birth_date), "AAAA-AAAA-AAAA")))
        fake.append(_outward(_try(client, "9999999999", str(p.birth_date), "AAAA-AAAA-AAAA")))
    assert real == fake
    assert {s for s, _, _ in real[:-1]} == {401}
    assert real[-1][0] == 429
    # Locked: even the right code is refused, exactly as for a case number that does not exist.
    locked = _try(client, p.dcn, str(p.birth_date), code)
    assert _outward(locked) == _outward(
        _try(client, "9999999999", str(p.birth_date), "AAAA-AAAA-AAAA")
    )
    # After the lockout the right code works again.
    clock.advance(minutes=rights.LOCKOUT_MINUTES + 1)
    assert _try(client, p.dcn, str(p.birth_date), code).status_code == 200


def test_a_person_sees_only_their_own_entries_even_from_a_household_request(
    world: World, client: TestClient
) -> None:
    # One request covered the whole household: each member has their own entry.
    for key in ("household_head", "household_spouse", "household_child"):
        account(world, key, request_id="req_household", release_id=f"rel_{key}")
    ledger_service.publish_checkpoint(world.ctx)
    spouse = sign_in(client, world, "household_spouse")
    doc = client.get("/v1/me/disclosures", headers=spouse).json()
    assert [d["release_id"] for d in doc["disclosures"]] == ["rel_household_spouse"]


def test_guessed_ids_read_as_missing(world: World, client: TestClient) -> None:
    head_request = a_request(world, "household_head")
    account(world, "household_head", request_id=head_request, release_id="rel_head")
    head = sign_in(client, world, "household_head")
    r = client.post(
        "/v1/me/challenges", json={"request_id": head_request, "reason": "wrong"}, headers=head
    )
    assert r.status_code == 201, r.text
    head_challenge = r.json()["id"]

    spouse = sign_in(client, world, "household_spouse")
    # Someone else's request, a made-up request, someone else's challenge: all just "missing".
    for rid in (head_request, "req_00000000000000000000"):
        r = client.post(
            "/v1/me/challenges", json={"request_id": rid, "reason": "guess"}, headers=spouse
        )
        assert r.status_code == 404
        assert r.json()["title"] == "no such request"
    for cid in (head_challenge, "chl_00000000000000000000"):
        r = client.get(f"/v1/me/challenges/{cid}", headers=spouse)
        assert r.status_code == 404
        assert r.json()["title"] == "no such challenge"
    assert client.get("/v1/me/disclosures", headers=spouse).json()["disclosures"] == []
    # Staff tokens and requester tokens are not person sessions.
    for headers in (staff_token(client, "admin"), bearer(world.tokens["police"])):
        assert client.get("/v1/me/disclosures", headers=headers).status_code == 401


def test_delayed_entry_is_counted_then_appears_on_its_date(
    world: World, client: TestClient, clock: Any
) -> None:
    until = dt.date(2026, 4, 15)
    account(world, "snap_noncitizen", release_id="rel_open")
    account(world, "snap_noncitizen", release_id="rel_sealed_1", delayed_until=until)
    account(world, "snap_noncitizen", release_id="rel_sealed_2", delayed_until=until)
    ledger_service.publish_checkpoint(world.ctx)
    me = sign_in(client, world, "snap_noncitizen")

    doc = client.get("/v1/me/disclosures", headers=me).json()
    assert [d["release_id"] for d in doc["disclosures"]] == ["rel_open"]
    assert doc["withheld"] == [
        {
            "count": 2,
            "until": "2026-04-15",
            "message": "2 disclosures are temporarily withheld until 2026-04-15",
        }
    ]
    letter = client.get("/v1/me/disclosures?format=html", headers=me).text
    assert "2 disclosures are hidden for now, until April 15, 2026" in letter
    # The public report gets the count and the date, no person.
    assert rights.withheld_summary(world.ctx) == [Withheld(count=2, until=until)]

    clock.now = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)
    me = sign_in(client, world, "snap_noncitizen")
    doc = client.get("/v1/me/disclosures", headers=me).json()
    assert sorted(d["release_id"] for d in doc["disclosures"]) == [
        "rel_open",
        "rel_sealed_1",
        "rel_sealed_2",
    ]
    assert doc["withheld"] == []
    assert rights.withheld_summary(world.ctx) == []


def test_sign_in_through_the_state_identity_provider(world: World) -> None:
    from joserfc import jwt
    from joserfc.jwk import KeySet, RSAKey

    from custos.api.app import create_app
    from custos.api.people import install_oidc
    from custos.rights import OidcConfig, OidcVerifier

    key = RSAKey.generate_key(2048, parameters={"kid": "k"})
    verifier = OidcVerifier(
        OidcConfig(
            issuer="https://login.mo.example",
            client_id="custos",
            authorization_endpoint="https://login.mo.example/authorize",
            redirect_uri="https://custos.example/cb",
            jwks=KeySet([key]).as_dict(private=False),
        )
    )
    app = create_app(ctx=world.ctx)
    p = world.person("medicaid")
    now = int(world.ctx.now().timestamp())
    token = jwt.encode(
        {"alg": "RS256", "kid": "k"},
        {
            "iss": "https://login.mo.example",
            "aud": "custos",
            "sub": "u-1",
            "iat": now,
            "exp": now + 300,
            "nonce": "n",
            "custos_case_number": p.dcn,
            "birthdate": str(p.birth_date),
        },
        key,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        body = {"id_token": token, "nonce": "n"}
        assert client.post("/v1/people/session/oidc", json=body).status_code == 404
        install_oidc(app, rights.OidcSignIn(verifier))
        r = client.post("/v1/people/session/oidc", json=body)
        assert r.status_code == 200, r.text
        assert (
            client.get("/v1/me/disclosures", headers=bearer(r.json()["token"])).status_code == 200
        )
        r = client.post("/v1/people/session/oidc", json={"id_token": token, "nonce": "other"})
        assert r.status_code == 401
