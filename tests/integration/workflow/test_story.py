"""The scripted story: an immigration subpoena denied like a no-match; a fleeing-felon request
disclosed after two approvals, only the three fields the statute names."""

from __future__ import annotations

import re
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
from tests.integration.web.conftest import Browser, requester_browser


def _outward(response: Any) -> tuple[int, dict[str, Any]]:
    """What a requester sees of its request, minus what differs by construction (id, time)."""
    body = dict(response.json())
    body.pop("id")
    body.pop("submitted_at")
    return response.status_code, body


_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( ?(UTC|Z|[+-]\d{2}:?\d{2}))?"
)
_CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def _portal_page(portal: Browser, request_id: str, named: str) -> tuple[int, str]:
    """The requester's portal page of a request, with its id, times, form token and the case
    number the requester typed (shown back as they gave it) replaced."""
    r = portal.get(f"/portal/requests/{request_id}")
    text = r.text.replace(request_id, "REQUEST").replace(named, "CASE NUMBER")
    text = _CSRF.sub('name="csrf_token" value="…"', text)
    return r.status_code, _TIME.sub("TIME", text)


def _events(client: TestClient, request_id: str) -> list[dict[str, Any]]:
    """The request's ledger entries, minus their position, time and request id."""
    counsel = staff_token(client, "counsel")
    events = client.get(f"/v1/staff/requests/{request_id}/events", headers=counsel).json()
    return [{k: v for k, v in e.items() if k not in {"index", "at", "request"}} for e in events]


def _requester_view(
    client: TestClient, portal: Browser, token: str, request_id: str, named: str
) -> dict[str, Any]:
    return {
        "api": _outward(client.get(f"/v1/requests/{request_id}", headers=bearer(token))),
        "list": [
            _outward_item(item)
            for item in client.get("/v1/requests", headers=bearer(token)).json()
            if item["id"] == request_id
        ],
        "portal": _portal_page(portal, request_id, named),
        "events": _events(client, request_id),
    }


def _outward_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in {"id", "submitted_at"}}


def test_a_match_with_nothing_to_disclose_reads_exactly_like_a_no_match(
    world: World, client: TestClient
) -> None:
    """Neither confirm nor deny, step by step: both requests go to review, counsel confirms the
    classification, and both close as denied by the system in that same step. At each step the
    requester's API answers, its portal page and the ledger entries of the two are identical."""
    ice = world.tokens["ice"]
    portal = requester_browser(world, "ice")
    sha = upload(client, ice)
    person = world.person("snap_noncitizen")
    real = client.post(
        "/v1/requests", json=ice_subpoena(sha, {"case_number": person.dcn}), headers=bearer(ice)
    )
    nobody = client.post(
        "/v1/requests", json=ice_subpoena(sha, {"case_number": "1234567890"}), headers=bearer(ice)
    )
    assert real.status_code == nobody.status_code == 201
    real_id, nobody_id = real.json()["id"], nobody.json()["id"]

    # Staff see why: the person is in the records, every field withheld, no qualifying rule.
    counsel = staff_token(client, "counsel")
    detail = client.get(f"/v1/staff/requests/{real_id}", headers=counsel).json()
    assert [c["matched"] for c in detail["classes"]] == [True]
    effects = {f["field"]: f["effect"] for c in detail["classes"] for f in c["fields"]}
    assert effects == {"snap/address": "withhold", "snap/immigration_status": "withhold"}

    pending = _requester_view(client, portal, ice, real_id, person.dcn)
    assert pending == _requester_view(client, portal, ice, nobody_id, "1234567890")
    assert pending["api"][1]["status"] == "pending"
    assert pending["portal"][0] == 200
    assert "The request is under review." in pending["portal"][1]
    assert pending["api"][1]["message"] == "The request is under review."

    # Counsel confirms each classification; each request closes in that same step.
    for rid in (real_id, nobody_id):
        r = client.post(f"/v1/staff/requests/{rid}/classify", json={}, headers=counsel)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "denied"

    denied = _requester_view(client, portal, ice, real_id, person.dcn)
    assert denied == _requester_view(client, portal, ice, nobody_id, "1234567890")
    assert denied["api"][0] == 200
    assert denied["api"][1]["status"] == "denied"
    assert denied["api"][1]["message"] == "No records are disclosed in response to this request."
    assert "No records are disclosed in response to this request." in denied["portal"][1]
    assert [e["tag"] for e in denied["events"]][-2:] == [
        "request:classification:confirm",
        "request:status:deny",
    ]
    assert denied["events"][-1]["actor"] == "system"
    # Nothing is left for an approver.
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
