"""Requesters, tokens, agreements and staff accounts over the staff API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyrage import x25519
from sqlalchemy import func, select

from custos.store import tables as t
from tests.integration.conftest import World, bearer, ice_subpoena, staff_token, upload


def _agreement(requester_id: str, sha: str) -> dict[str, Any]:
    return {
        "requester_id": requester_id,
        "title": "SNAP data and security protocols",
        "parties": ["Missouri DSS", "USDA FNS"],
        "programs": ["snap"],
        "fields": ["snap/full_name", "snap/benefit_amount"],
        "purposes": ["program_audit"],
        "retention_days": 365,
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "document_sha256": sha,
    }


def _staff_upload(client: TestClient, headers: dict[str, str]) -> str:
    r = client.post(
        "/v1/staff/documents",
        content=b"%PDF-1.4 signed agreement",
        headers={**headers, "Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    sha: str = r.json()["sha256"]
    return sha


def test_register_a_requester_and_issue_a_token_that_works(client: TestClient) -> None:
    admin = staff_token(client, "admin")
    recipient = str(x25519.Identity.generate().to_public())
    r = client.post(
        "/v1/staff/requesters",
        json={
            "name": "Missouri State Highway Patrol",
            "kind": "state",
            "age_recipients": [recipient],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    issued = client.post(f"/v1/staff/requesters/{rid}/tokens", json={}, headers=admin).json()
    assert client.get("/v1/requests", headers=bearer(issued["token"])).json() == []
    # The token is shown once: nothing stored can reproduce it.
    assert issued["token"].split(".")[1] not in str(
        client.get("/v1/staff/requesters", headers=admin).json()
    )
    assert client.delete(f"/v1/staff/tokens/{issued['token_id']}", headers=admin).status_code == 204
    assert client.get("/v1/requests", headers=bearer(issued["token"])).status_code == 401


def test_a_requester_needs_a_real_age_recipient(client: TestClient, world: World) -> None:
    with world.ctx.reading() as s:
        before = s.scalar(select(func.count()).select_from(t.Requester))
    r = client.post(
        "/v1/staff/requesters",
        json={"name": "X", "kind": "state", "age_recipients": ["age1notakey"]},
        headers=staff_token(client, "admin"),
    )
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["age_recipients[0]"]
    with world.ctx.reading() as s:
        assert s.scalar(select(func.count()).select_from(t.Requester)) == before


@pytest.mark.parametrize("username", ["counsel", "approver1", "auditor"])
def test_only_admin_and_intake_register_requesters(client: TestClient, username: str) -> None:
    recipient = str(x25519.Identity.generate().to_public())
    r = client.post(
        "/v1/staff/requesters",
        json={"name": "X", "kind": "state", "age_recipients": [recipient]},
        headers=staff_token(client, username),
    )
    assert r.status_code == 403


@pytest.mark.parametrize("username", ["intake", "counsel", "approver1", "auditor"])
def test_only_admin_issues_tokens_and_creates_staff(
    client: TestClient, world: World, username: str
) -> None:
    headers = staff_token(client, username)
    r = client.post(
        f"/v1/staff/requesters/{world.requesters['police']}/tokens", json={}, headers=headers
    )
    assert r.status_code == 403
    r = client.post(
        "/v1/staff/accounts",
        json={"username": "new", "password": "x" * 12, "roles": ["admin"]},
        headers=headers,
    )
    assert r.status_code == 403


def test_admin_creates_staff_with_a_strong_enough_password(client: TestClient) -> None:
    admin = staff_token(client, "admin")
    weak = client.post(
        "/v1/staff/accounts",
        json={"username": "new", "password": "short", "roles": ["intake"]},
        headers=admin,
    )
    assert weak.status_code == 422
    ok = client.post(
        "/v1/staff/accounts",
        json={"username": "new", "password": "a long enough passphrase", "roles": ["intake"]},
        headers=admin,
    )
    assert ok.status_code == 201
    dup = client.post(
        "/v1/staff/accounts",
        json={"username": "new", "password": "a long enough passphrase", "roles": ["intake"]},
        headers=admin,
    )
    assert dup.status_code == 409


def test_agreements_bind_a_document_and_belong_to_their_requester(
    world: World, client: TestClient
) -> None:
    counsel = staff_token(client, "counsel")
    sha = _staff_upload(client, counsel)
    r = client.post(
        "/v1/staff/agreements", json=_agreement(world.requesters["ice"], sha), headers=counsel
    )
    assert r.status_code == 201, r.text
    agreement_id = r.json()["id"]
    listed = client.get(
        f"/v1/staff/agreements?requester_id={world.requesters['ice']}", headers=counsel
    ).json()
    assert [a["id"] for a in listed] == [agreement_id]
    # Another requester cannot cite it.
    police = world.tokens["police"]
    doc = upload(client, police)
    body = ice_subpoena(doc, {"case_number": "9000000001"}) | {"agreement_id": agreement_id}
    r = client.post("/v1/requests", json=body, headers=bearer(police))
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["agreement_id"]
    # Its owner can.
    ice = world.tokens["ice"]
    doc = upload(client, ice)
    body = ice_subpoena(doc, {"case_number": "9000000001"}) | {"agreement_id": agreement_id}
    assert client.post("/v1/requests", json=body, headers=bearer(ice)).status_code == 201


def test_an_agreement_needs_its_signed_document(world: World, client: TestClient) -> None:
    counsel = staff_token(client, "counsel")
    r = client.post(
        "/v1/staff/agreements", json=_agreement(world.requesters["ice"], "a" * 64), headers=counsel
    )
    assert r.status_code == 422
    bad_dates = _agreement(world.requesters["ice"], _staff_upload(client, counsel)) | {
        "valid_until": "2025-01-01"
    }
    r = client.post("/v1/staff/agreements", json=bad_dates, headers=counsel)
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["valid_until"]
    r = client.post(
        "/v1/staff/agreements",
        json=_agreement(world.requesters["ice"], "a" * 64),
        headers=staff_token(client, "intake"),
    )
    assert r.status_code == 403
