"""The person's story end to end: a disclosure is made and proven, a second request is
challenged, held, upheld, and the person sees the outcome."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from custos.rights import verify_accounting
from custos.workflow import ledger as ledger_service
from custos.workflow import releases, requests
from tests.integration.conftest import (
    World,
    add_snap_office,
    bearer,
    fleeing_felon,
    program_administration,
    staff_token,
    upload,
)
from tests.integration.rights.conftest import sign_in


def _felon_request(client: TestClient, world: World) -> str:
    police = world.tokens["police"]
    sha = upload(client, police, b"%PDF-1.4 felony warrant\n")
    p = world.person("snap_fleeing_felon")
    body = fleeing_felon(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    r = client.post("/v1/requests", json=body, headers=bearer(police))
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def _admin_request(client: TestClient, world: World) -> str:
    """A state SNAP office's program-administration request: discretionary, noticed before."""
    add_snap_office(world)
    office = world.tokens["snap_office"]
    sha = upload(client, office, b"%PDF-1.4 written request\n")
    body = program_administration(sha, {"case_number": world.person("snap_fleeing_felon").dcn})
    r = client.post("/v1/requests", json=body, headers=bearer(office))
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def _approve(world: World, rid: str) -> None:
    requests.classify(world.ctx, actor=world.staff["counsel"], request_id=rid)
    requests.approve(world.ctx, actor=world.staff["approver1"], request_id=rid)
    requests.approve(world.ctx, actor=world.staff["approver2"], request_id=rid)


#: A phone photo of a paper: what many people have instead of a scanner.
PHOTO = {
    "filename": "letter.jpg",
    "content_type": "image/jpeg",
    "content_base64": base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").decode(),
}


def test_person_sees_a_proven_disclosure_challenges_the_next_request_and_wins(
    world: World, client: TestClient, verifier: str
) -> None:
    ctx = world.ctx
    # A disclosure is made through the real release path, and a checkpoint signed.
    first = _felon_request(client, world)
    _approve(world, first)
    released = releases.build(ctx, actor=world.staff["approver1"], request_id=first)
    ledger_service.publish_checkpoint(ctx)

    # The person signs in with the code from their letter and sees it, with a proof.
    me = sign_in(client, world, "snap_fleeing_felon")
    doc = client.get("/v1/me/disclosures", headers=me).json()
    [disclosure] = doc["disclosures"]
    assert disclosure["release_id"] == released.id
    assert disclosure["recipient"] == "Columbia Police Department"
    assert set(disclosure["fields"]) == {"snap/address", "snap/ssn", "snap/photo"}
    assert any("2020(e)(8)(E)" in c for c in disclosure["citations"])
    # 7 U.S.C. 2020(e)(8)(E): "shall be made available", so the accounting says it was required.
    assert disclosure["basis"] == "required by law"
    assert disclosure["retention_until"]
    assert disclosure["proof"] is not None
    assert doc["withheld"] == []
    # The proof verifies offline, with nothing but the log's verifier key.
    proven = verify_accounting(doc, verifier_keys=[verifier])
    assert (proven.person, proven.indices) == (doc["person"], (disclosure["index"],))

    # A second, discretionary request about them is noticed before disclosure, with a
    # challenge deadline.
    second = _admin_request(client, world)
    doc = client.get("/v1/me/disclosures", headers=me).json()
    [pending] = doc["pending"]
    assert pending["request_id"] == second
    assert pending["challenge_by"] == "2026-03-16"

    # They challenge it, with a phone photo of the court's letter: it goes on hold and cannot
    # be approved or released.
    r = client.post(
        "/v1/me/challenges",
        json={
            "request_id": second,
            "reason": "The warrant was withdrawn last week.",
            "documents": [PHOTO],
        },
        headers=me,
    )
    assert r.status_code == 201, r.text
    challenge = r.json()
    assert (challenge["status"], len(challenge["documents"])) == ("open", 1)
    assert challenge["filed_by"].startswith("person:p_")
    counsel = staff_token(client, "counsel")
    detail = client.get(f"/v1/staff/requests/{second}", headers=counsel).json()
    assert detail["status"] == "on_hold"
    r = client.post(
        f"/v1/staff/requests/{second}/approve", json={}, headers=staff_token(client, "approver1")
    )
    assert r.status_code == 409
    # The requester sees nothing of the challenge.
    r = client.get(f"/v1/requests/{second}", headers=bearer(world.tokens["snap_office"]))
    assert r.json()["status"] == "pending"
    assert client.get("/v1/me/disclosures", headers=me).json()["pending"][0]["status"] == "on_hold"

    # The legal reviewer upholds it; the person is out of the request and sees the outcome.
    queue = client.get("/v1/staff/challenges", headers=counsel).json()
    assert [c["id"] for c in queue] == [challenge["id"]]
    r = client.post(
        f"/v1/staff/challenges/{challenge['id']}/resolve",
        json={"outcome": "upheld", "reason": "The warrant was recalled by the court."},
        headers=counsel,
    )
    assert r.status_code == 200, r.text
    mine = client.get(f"/v1/me/challenges/{challenge['id']}", headers=me).json()
    assert mine["status"] == "upheld"
    assert mine["resolution"] == "The warrant was recalled by the court."
    doc = client.get("/v1/me/disclosures", headers=me).json()
    assert doc["pending"] == []
    assert [c["status"] for c in doc["challenges"]] == ["upheld"]
    detail = client.get(f"/v1/staff/requests/{second}", headers=counsel).json()
    assert detail["status"] == "in_review"
    # A letter about the outcome waits in the notice queue.
    notices = client.get("/v1/staff/notices", headers=staff_token(client, "intake")).json()
    assert "challenge_outcome" in {n["kind"] for n in notices}
