"""Submitting requests over the API: every bad field named, nothing stored; the rest of the
life of a request (withdrawal, lapse, reclassification, emergencies, preservation)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from custos.store import tables as t
from tests.conftest import Clock
from tests.integration.conftest import (
    World,
    bearer,
    fleeing_felon,
    ice_subpoena,
    staff_token,
    stored_requests,
    upload,
)


def test_invalid_request_names_each_bad_field_and_stores_nothing(
    world: World, client: TestClient
) -> None:
    before = stored_requests(world)
    body: dict[str, Any] = {
        "subjects": [{"ssn": "12-34"}, {"full_name": "Ana Ruiz"}],
        "fields": ["snap/address", "address", "snap/no_such_field"],
        "purpose": "sightseeing",
        "purpose_text": "",
        "legal_process": {"kind": "court_order", "issued_on": "2026-13-01"},
    }
    r = client.post("/v1/requests", json=body, headers=bearer(world.tokens["police"]))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422
    paths = {e["path"] for e in problem["errors"]}
    assert {"purpose", "purpose_text", "legal_process.issued_on"} <= paths
    assert stored_requests(world) == before

    # Shape is fine now; the domain checks name the remaining bad fields, still storing nothing.
    body |= {
        "purpose": "fleeing_felon",
        "purpose_text": "x",
        "legal_process": {"kind": "court_order"},
    }
    r = client.post("/v1/requests", json=body, headers=bearer(world.tokens["police"]))
    assert r.status_code == 422
    paths = {e["path"] for e in r.json()["errors"]}
    assert {"subjects[0]", "subjects[1]", "fields[1]", "legal_process.document_sha256"} <= paths
    assert stored_requests(world) == before

    sha = upload(client, world.tokens["police"])
    body |= {
        "subjects": [{"ssn": "999-01-0002"}],
        "fields": ["snap/address", "snap/no_such_field"],
        "legal_process": {
            "kind": "court_order",
            "document_sha256": sha,
            "expires_on": "2020-01-01",
        },
    }
    r = client.post("/v1/requests", json=body, headers=bearer(world.tokens["police"]))
    assert r.status_code == 422
    paths = {e["path"] for e in r.json()["errors"]}
    assert paths == {"fields[1]", "legal_process.expires_on"}
    assert stored_requests(world) == before


def test_malformed_json_is_a_clear_problem(world: World, client: TestClient) -> None:
    r = client.post(
        "/v1/requests",
        content=b"{not json",
        headers={**bearer(world.tokens["police"]), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_huge_upload_is_refused_and_nothing_is_kept(world: World, client: TestClient) -> None:
    limit = world.ctx.settings.max_document_bytes
    r = client.post(
        "/v1/documents",
        content=b"x" * (limit + 1),
        headers={**bearer(world.tokens["police"]), "Content-Type": "application/pdf"},
    )
    assert r.status_code == 413
    assert r.json()["type"].endswith("/too-large")
    with world.ctx.reading() as s:
        assert s.scalar(select(func.count()).select_from(t.Document)) == 0
    assert not (world.ctx.settings.data_dir / "documents").exists() or not any(
        (world.ctx.settings.data_dir / "documents").rglob("*")
    )


def test_document_types_are_restricted(world: World, client: TestClient) -> None:
    r = client.post(
        "/v1/documents",
        content=b"<script>",
        headers={**bearer(world.tokens["police"]), "Content-Type": "text/html"},
    )
    assert r.status_code == 422


def test_requester_withdraws_while_pending_but_not_after_decision(
    world: World, client: TestClient
) -> None:
    police = world.tokens["police"]
    sha = upload(client, police)
    rid = client.post(
        "/v1/requests",
        json=fleeing_felon(sha, {"case_number": "9000000002"}),
        headers=bearer(police),
    ).json()["id"]
    r = client.post(f"/v1/requests/{rid}/withdraw", headers=bearer(police))
    assert r.status_code == 200
    assert r.json()["status"] == "withdrawn"
    again = client.post(f"/v1/requests/{rid}/withdraw", headers=bearer(police))
    assert again.status_code == 409
    approve = client.post(
        f"/v1/staff/requests/{rid}/approve", json={}, headers=staff_token(client, "approver1")
    )
    assert approve.status_code == 409


def test_expired_legal_process_lapses_the_request(
    world: World, client: TestClient, clock: Clock
) -> None:
    police = world.tokens["police"]
    sha = upload(client, police)
    body = fleeing_felon(sha, {"case_number": "9000000002"})
    body["legal_process"]["expires_on"] = "2026-03-10"
    rid = client.post("/v1/requests", json=body, headers=bearer(police)).json()["id"]
    client.post(
        f"/v1/staff/requests/{rid}/classify", json={}, headers=staff_token(client, "counsel")
    )
    clock.advance(days=10)
    r = client.post(
        f"/v1/staff/requests/{rid}/approve", json={}, headers=staff_token(client, "approver1")
    )
    assert r.status_code == 409
    assert "lapsed" in r.json()["title"]
    assert client.get(f"/v1/requests/{rid}", headers=bearer(police)).json()["status"] == "lapsed"


def test_lapse_sweep(world: World, client: TestClient, clock: Clock) -> None:
    police = world.tokens["police"]
    sha = upload(client, police)
    body = fleeing_felon(sha, {"case_number": "9000000002"})
    body["legal_process"]["expires_on"] = "2026-03-05"
    rid = client.post("/v1/requests", json=body, headers=bearer(police)).json()["id"]
    clock.advance(days=5)
    r = client.post("/v1/staff/lapse-sweep", headers=staff_token(client, "admin"))
    assert r.json() == {"count": 1}
    assert client.get(f"/v1/requests/{rid}", headers=bearer(police)).json()["status"] == "lapsed"
    assert (
        client.post("/v1/staff/lapse-sweep", headers=staff_token(client, "intake")).status_code
        == 403
    )


def test_correcting_the_classification_reruns_the_decision_and_resets_approvals(
    world: World, client: TestClient
) -> None:
    police = world.tokens["police"]
    sha = upload(client, police)
    rid = client.post(
        "/v1/requests",
        json=fleeing_felon(sha, {"case_number": "9000000002"}),
        headers=bearer(police),
    ).json()["id"]
    counsel = staff_token(client, "counsel")
    client.post(f"/v1/staff/requests/{rid}/classify", json={}, headers=counsel)
    client.post(
        f"/v1/staff/requests/{rid}/approve", json={}, headers=staff_token(client, "approver1")
    )
    before = client.get(f"/v1/staff/requests/{rid}", headers=counsel).json()
    assert before["decision_version"] == 1
    # The reviewer finds the paper is not a written request from law enforcement at all.
    corrected = dict(before["legal_process"]) | {"kind": "none"}
    r = client.post(
        f"/v1/staff/requests/{rid}/classify", json={"legal_process": corrected}, headers=counsel
    )
    assert r.status_code == 200, r.text
    after = client.get(f"/v1/staff/requests/{rid}", headers=counsel).json()
    assert after["decision_version"] == 2
    assert after["classified_process"]["kind"] == "none"
    assert after["outcome"] == "denied"
    # The corrected decision discloses nothing: the request closes as denied at once, by the
    # system, and the first approval (of the old decision) can never be completed.
    assert r.json()["status"] == after["status"] == "denied"
    assert after["denial_reason"].startswith("Closed by the system")
    r = client.post(
        f"/v1/staff/requests/{rid}/approve", json={}, headers=staff_token(client, "approver2")
    )
    assert r.status_code == 409
    events = client.get(f"/v1/staff/requests/{rid}/events", headers=counsel).json()
    assert [e["tag"] for e in events][-3:] == [
        "request:classification:correct",
        "request:decision:deny",
        "request:status:deny",
    ]
    assert events[-1]["actor"] == "system"
    assert events[-1]["data"]["reason"] == "nothing_disclosed"


def test_emergency_requests_come_first_in_the_queue(world: World, client: TestClient) -> None:
    police = world.tokens["police"]
    sha = upload(client, police)
    routine = client.post(
        "/v1/requests",
        json=fleeing_felon(sha, {"case_number": "9000000002"}),
        headers=bearer(police),
    ).json()["id"]
    body = fleeing_felon(sha, {"case_number": "9000000002"})
    body["emergency_statement"] = "Credible threat to a child's life; location needed within hours."
    urgent = client.post("/v1/requests", json=body, headers=bearer(police)).json()["id"]
    queue = client.get(
        "/v1/staff/requests?status=in_review", headers=staff_token(client, "intake")
    ).json()
    assert [q["id"] for q in queue][:2] == [urgent, routine]
    assert queue[0]["emergency"] is True
    blank = fleeing_felon(sha, {"case_number": "9000000002"}) | {"emergency_statement": "   "}
    assert client.post("/v1/requests", json=blank, headers=bearer(police)).status_code == 422


def test_preservation_request_discloses_nothing_and_needs_one_approval(
    world: World, client: TestClient
) -> None:
    ice = world.tokens["ice"]
    sha = upload(client, ice)
    body = ice_subpoena(sha, {"case_number": "9000000001"}) | {"preservation": True, "fields": []}
    rid = client.post("/v1/requests", json=body, headers=bearer(ice)).json()["id"]
    counsel = staff_token(client, "counsel")
    detail = client.get(f"/v1/staff/requests/{rid}", headers=counsel).json()
    assert detail["outcome"] == "preserve"
    assert detail["classes"] == []
    assert detail["approvals_needed"] == 1
    client.post(f"/v1/staff/requests/{rid}/classify", json={}, headers=counsel)
    r = client.post(
        f"/v1/staff/requests/{rid}/approve", json={}, headers=staff_token(client, "approver1")
    )
    assert r.json()["status"] == "approved"


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/requests" in spec["paths"]
    assert "/v1/staff/requests/{request_id}/approve" in spec["paths"]
