"""The scripted story: an immigration subpoena denied like a no-match; a fleeing-felon request
disclosed after two approvals, only the three fields the statute names."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.conftest import (
    World,
    bearer,
    fleeing_felon,
    ice_subpoena,
    staff_token,
    upload,
)


def _outward(response: Any) -> tuple[int, dict[str, Any]]:
    """What a requester sees of its request, minus what differs by construction (id, time)."""
    body = dict(response.json())
    body.pop("id")
    body.pop("submitted_at")
    return response.status_code, body


def _review_and_deny(client: TestClient, request_id: str) -> None:
    counsel = staff_token(client, "counsel")
    r = client.post(f"/v1/staff/requests/{request_id}/classify", json={}, headers=counsel)
    assert r.status_code == 200, r.text
    r = client.post(
        f"/v1/staff/requests/{request_id}/deny",
        json={"reason": "No rule permits these fields for this process."},
        headers=counsel,
    )
    assert r.status_code == 200, r.text


def test_ice_subpoena_is_withheld_and_its_denial_reads_like_a_no_match(
    world: World, client: TestClient
) -> None:
    ice = world.tokens["ice"]
    sha = upload(client, ice)
    person = world.person("snap_noncitizen")

    real = client.post(
        "/v1/requests",
        json=ice_subpoena(sha, {"case_number": person.dcn}),
        headers=bearer(ice),
    )
    nobody = client.post(
        "/v1/requests",
        json=ice_subpoena(sha, {"case_number": "1234567890"}),
        headers=bearer(ice),
    )
    assert real.status_code == nobody.status_code == 201
    real_id, nobody_id = real.json()["id"], nobody.json()["id"]

    # Staff see why: every field withheld for the person, and no qualifying rule.
    staff = staff_token(client, "counsel")
    detail = client.get(f"/v1/staff/requests/{real_id}", headers=staff).json()
    assert detail["outcome"] in {"denied", "needs_review"}
    effects = {f["field"]: f["effect"] for c in detail["classes"] for f in c["fields"]}
    assert effects == {"snap/address": "withhold", "snap/immigration_status": "withhold"}

    # While pending, and once denied, the requester cannot tell the two apart.
    pending_real = _outward(client.get(f"/v1/requests/{real_id}", headers=bearer(ice)))
    pending_nobody = _outward(client.get(f"/v1/requests/{nobody_id}", headers=bearer(ice)))
    assert pending_real == pending_nobody
    assert pending_real[1]["status"] == "pending"

    _review_and_deny(client, real_id)
    _review_and_deny(client, nobody_id)
    denied_real = _outward(client.get(f"/v1/requests/{real_id}", headers=bearer(ice)))
    denied_nobody = _outward(client.get(f"/v1/requests/{nobody_id}", headers=bearer(ice)))
    assert denied_real == denied_nobody
    assert denied_real[0] == 200
    assert denied_real[1]["status"] == "denied"
    assert denied_real[1]["message"] == "No records are disclosed in response to this request."

    # An approver cannot approve a decision that discloses nothing.
    r = client.post(
        f"/v1/staff/requests/{real_id}/approve", json={}, headers=staff_token(client, "approver1")
    )
    assert r.status_code == 409


def test_fleeing_felon_request_discloses_address_ssn_photo_after_two_approvals(
    world: World, client: TestClient
) -> None:
    police = world.tokens["police"]
    sha = upload(client, police, b"%PDF-1.4 felony warrant statement\n")
    person = world.person("snap_fleeing_felon")
    r = client.post(
        "/v1/requests",
        json=fleeing_felon(
            sha, {"full_name": person.full_name, "birth_date": str(person.birth_date)}
        ),
        headers=bearer(police),
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]

    detail = client.get(f"/v1/staff/requests/{rid}", headers=staff_token(client, "intake")).json()
    assert detail["outcome"] == "partly_approved"
    [cls] = detail["classes"]
    effects = {f["field"]: f["effect"] for f in cls["fields"]}
    assert effects == {
        "snap/address": "disclose",
        "snap/ssn": "disclose",
        "snap/photo": "disclose",
        "snap/benefit_amount": "withhold",
    }
    cited = {c for f in cls["fields"] if f["effect"] == "disclose" for c in f["citations"]}
    assert any("2020(e)(8)(E)" in c for c in cited)

    counsel = staff_token(client, "counsel")
    approver1 = staff_token(client, "approver1")
    approver2 = staff_token(client, "approver2")
    # Approval waits for the legal reviewer.
    r = client.post(f"/v1/staff/requests/{rid}/approve", json={}, headers=approver1)
    assert r.status_code == 409
    assert (
        client.post(f"/v1/staff/requests/{rid}/classify", json={}, headers=counsel).status_code
        == 200
    )
    r = client.post(f"/v1/staff/requests/{rid}/approve", json={}, headers=approver1)
    assert r.json()["status"] == "in_review"
    assert client.get(f"/v1/requests/{rid}", headers=bearer(police)).json()["status"] == "pending"
    r = client.post(f"/v1/staff/requests/{rid}/approve", json={}, headers=approver2)
    assert r.json()["status"] == "approved"
    assert client.get(f"/v1/requests/{rid}", headers=bearer(police)).json()["status"] == "approved"


def test_fleeing_felon_request_missing_a_statement_discloses_nothing(
    world: World, client: TestClient
) -> None:
    police = world.tokens["police"]
    sha = upload(client, police)
    person = world.person("snap_fleeing_felon")
    r = client.post(
        "/v1/requests",
        json=fleeing_felon(sha, {"ssn": person.ssn}, statements=False),
        headers=bearer(police),
    )
    rid = r.json()["id"]
    detail = client.get(f"/v1/staff/requests/{rid}", headers=staff_token(client, "intake")).json()
    assert detail["outcome"] == "denied"
    assert all(f["effect"] == "withhold" for c in detail["classes"] for f in c["fields"])
