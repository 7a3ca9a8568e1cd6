"""Every new endpoint refuses the callers that must not reach it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.integration.conftest import World, bearer, staff_token
from tests.integration.rights.conftest import sign_in

PERSON_ROUTES = [
    ("get", "/v1/me/disclosures", None),
    ("post", "/v1/me/challenges", {"request_id": "req_x", "reason": "x"}),
    ("get", "/v1/me/challenges/chl_00000000000000000000", None),
    ("put", "/v1/me/opt-out", {"opted_out": True}),
    ("put", "/v1/me/language", {"language": "es"}),
    ("get", "/v1/me/consents", None),
    ("post", "/v1/me/consents", {"representative_id": "rep_x", "scopes": ["view"], "days": 30}),
    ("delete", "/v1/me/consents/cst_00000000000000000000", None),
]

#: (method, path, body, roles that may call it)
STAFF_ROUTES = [
    (
        "post",
        "/v1/staff/people/search",
        {"case_number": "9000000001"},
        {"intake", "counsel", "auditor", "admin"},
    ),
    ("post", "/v1/staff/people/per_demo_01/access-codes", {}, {"intake", "admin"}),
    (
        "get",
        "/v1/staff/people/per_demo_01/disclosures",
        None,
        {"intake", "counsel", "auditor", "admin"},
    ),
    ("post", "/v1/staff/people/representatives", {"name": "A", "organization": "B"}, {"admin"}),
    ("get", "/v1/staff/challenges", None, {"counsel", "auditor"}),
    (
        "post",
        "/v1/staff/challenges/chl_00000000000000000000/resolve",
        {"outcome": "upheld", "reason": "r"},
        {"counsel"},
    ),
    ("get", "/v1/staff/notices", None, {"intake", "admin"}),
    ("post", "/v1/staff/notices/sweep", None, {"intake", "admin"}),
    ("get", "/v1/staff/notices/ntc_00000000000000000000", None, {"intake", "admin"}),
    ("post", "/v1/staff/notices/ntc_00000000000000000000/sent", None, {"intake", "admin"}),
    ("get", "/v1/staff/concerns", None, {"auditor", "admin"}),
    (
        "post",
        "/v1/staff/concerns/cnc_00000000000000000000/triage",
        {"priority": "low", "note": "n"},
        {"auditor", "admin"},
    ),
]
STAFF = ("admin", "intake", "counsel", "approver1", "auditor")


def _call(client: TestClient, method: str, path: str, body: object, headers: dict[str, str]) -> int:
    kwargs: dict[str, object] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(method.upper(), path, **kwargs).status_code  # type: ignore[arg-type]


@pytest.mark.parametrize(("method", "path", "body"), PERSON_ROUTES)
def test_person_routes_need_a_person_session(
    world: World, client: TestClient, method: str, path: str, body: object
) -> None:
    assert _call(client, method, path, body, {}) == 401
    assert _call(client, method, path, body, staff_token(client, "admin")) == 401
    assert _call(client, method, path, body, bearer(world.tokens["police"])) == 401


def test_staff_routes_refuse_other_roles_people_and_requesters(
    world: World, client: TestClient
) -> None:
    person = sign_in(client, world, "medicaid")
    tokens = {name: staff_token(client, name) for name in STAFF}
    for method, path, body, allowed in STAFF_ROUTES:
        assert _call(client, method, path, body, {}) == 401, path
        assert _call(client, method, path, body, person) == 401, path
        assert _call(client, method, path, body, bearer(world.tokens["ice"])) == 401, path
        for name in STAFF:
            code = _call(client, method, path, body, tokens[name])
            if name in allowed:
                assert code != 403, (path, name)
            else:
                assert code == 403, (path, name, code)


def test_a_representative_acts_only_within_a_live_consent(world: World, client: TestClient) -> None:
    admin = staff_token(client, "admin")
    r = client.post(
        "/v1/staff/people/representatives",
        json={"name": "Ana Ruiz", "organization": "Legal Aid of Western Missouri"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    rep_id, rep_token = r.json()["representative"]["id"], r.json()["token"]
    me = sign_in(client, world, "snap_noncitizen")
    r = client.post(
        "/v1/me/consents",
        json={"representative_id": rep_id, "scopes": ["view"], "days": 90},
        headers=me,
    )
    assert r.status_code == 201, r.text
    consent = r.json()["id"]

    # The representative sees the consent and opens a session for the person.
    listed = client.get("/v1/people/representative/consents", headers=bearer(rep_token)).json()
    assert [c["id"] for c in listed] == [consent]
    r = client.post(
        "/v1/people/representative/session", json={"consent_id": consent}, headers=bearer(rep_token)
    )
    assert r.status_code == 200, r.text
    assert r.json()["actor"] == f"representative:{rep_id}"
    rep = bearer(r.json()["token"])
    assert client.get("/v1/me/disclosures", headers=rep).status_code == 200
    # Outside the consent's scope: refused; consents are the person's own act.
    assert client.put("/v1/me/opt-out", json={"opted_out": True}, headers=rep).status_code == 403
    assert client.get("/v1/me/consents", headers=rep).status_code == 404
    # A person session token is not a representative token.
    assert (
        client.post(
            "/v1/people/representative/session", json={"consent_id": consent}, headers=me
        ).status_code
        == 401
    )
    # The person revokes: the representative's session stops at once.
    assert client.delete(f"/v1/me/consents/{consent}", headers=me).status_code == 204
    assert client.get("/v1/me/disclosures", headers=rep).status_code == 401
    r = client.post(
        "/v1/people/representative/session", json={"consent_id": consent}, headers=bearer(rep_token)
    )
    assert r.status_code == 404
