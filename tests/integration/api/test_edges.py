"""The API's edges: bounded integers, a body limit before parsing, caching and transport headers,
405s that say what is allowed, and documentation that works offline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from custos.api.app import create_app
from tests.integration.conftest import (
    PASSWORD,
    World,
    bearer,
    fleeing_felon,
    ice_subpoena,
    staff_token,
    upload,
)

HUGE = (2**63, 2**64)


def _integer_parameters(document: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(method, path template, parameter name, where) of every integer parameter."""
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                schema = p["schema"]
                types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if "integer" in types:
                    yield method.upper(), path, p["name"], p["in"]


def _caller(path: str) -> str:
    return "staff" if path.startswith(("/v1/staff/", "/v1/audit/", "/v1/ledger/")) else "agency"


def test_every_integer_is_bounded_in_the_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    def walk(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") == "integer" and "maximum" not in node:
                yield where
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{where}[{i}]")

    request_side = {k: v for k, v in document["components"]["schemas"].items() if "In" in k}
    unbounded = list(walk(document["paths"], "paths")) + list(walk(request_side, "schemas"))
    # Responses may carry any count; inputs may not.
    assert [u for u in unbounded if ".responses." not in u] == []


@pytest.mark.parametrize("value", HUGE)
def test_huge_integers_in_every_parameter_are_422_not_500(
    client: TestClient, world: World, value: int
) -> None:
    document = client.get("/openapi.json").json()
    found = list(_integer_parameters(document))
    assert len(found) >= 8
    headers = {"staff": staff_token(client, "auditor"), "agency": bearer(world.tokens["police"])}
    for method, path, name, where in found:
        url = path.replace("{" + name + "}", str(value))
        url = url.replace("{index}", "0")
        params = {name: str(value)} if where == "query" else None
        r = client.request(method, url, params=params, headers=headers[_caller(path)])
        assert r.status_code == 422, (method, path, name, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert any(name in e["path"] for e in r.json()["errors"]), r.json()


def test_an_oversized_json_body_is_413_before_it_is_parsed(world: World) -> None:
    limit = 4096
    ctx = world.ctx
    ctx.settings = ctx.settings.model_copy(update={"max_json_bytes": limit})
    with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
        # Not even JSON: were it parsed, the answer would be a 422.
        body = b"{" + b"x" * limit
        r = client.post(
            "/v1/public/concerns", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/too-large")

        # Streamed without a Content-Length: refused once the limit is passed.
        def chunks() -> Iterator[bytes]:
            for _ in range(8):
                yield b" " * 1024

        r = client.post("/v1/staff/session", content=chunks(), headers={"Content-Type": ""})
        assert r.status_code == 413
        # Under the limit, the same route parses and answers as usual.
        r = client.post("/v1/public/concerns", json={"description": "short"})
        assert r.status_code == 201


def test_json_answers_are_not_stored_and_https_answers_carry_hsts(
    client: TestClient, world: World
) -> None:
    r = client.get("/v1/requests", headers=bearer(world.tokens["police"]))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers
    problem = client.get("/v1/requests/req_nope", headers=bearer(world.tokens["police"]))
    assert problem.headers["cache-control"] == "no-store"
    with TestClient(
        create_app(ctx=world.ctx), base_url="https://testserver", raise_server_exceptions=False
    ) as secure:
        r = secure.get("/healthz")
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    r = client.put("/v1/ledger/checkpoint")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.headers["content-type"] == "application/problem+json"
    # The purge operation, not a release named "purge".
    assert client.put("/v1/staff/releases/purge").headers["allow"] == "POST"


def test_every_field_error_is_in_one_answer(client: TestClient, world: World) -> None:
    r = client.get(
        "/v1/ledger/entries",
        params={"start": "-1", "count": "0", "tree_size": "x"},
        headers=staff_token(client, "auditor"),
    )
    assert r.status_code == 422
    assert {e["path"] for e in r.json()["errors"]} == {"start", "count", "tree_size"}
    r = client.post(
        "/v1/staff/session", content=b"\xff{", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422


def test_the_document_lists_problem_answers_and_real_media_types(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    checkpoint = document["paths"]["/v1/ledger/checkpoint"]["get"]["responses"]
    assert list(checkpoint["200"]["content"]) == ["text/plain"]
    assert "404" in checkpoint
    submit = document["paths"]["/v1/requests"]["post"]["responses"]
    assert {"401", "403", "409", "413", "422"} <= set(submit)
    assert list(submit["422"]["content"]) == ["application/problem+json"]
    sign_in = document["paths"]["/v1/people/session"]["post"]["responses"]
    assert "429" in sign_in
    package = document["paths"]["/v1/releases/{release_id}/package"]["get"]["responses"]
    assert list(package["200"]["content"]) == ["application/x-tar"]


def test_the_interactive_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    for page in ("/docs", "/docs/redoc"):
        html = client.get(page).text
        assert "https://" not in html.replace("https://custos.dev", ""), page
        for asset in [p.split('"')[0] for p in html.split('src="')[1:]]:
            assert asset.startswith("/docs/static/"), asset
            r = client.get(asset)
            assert r.status_code == 200, asset


def test_another_requesters_document_is_refused_exactly_like_an_unknown_one(
    client: TestClient, world: World
) -> None:
    police_sha = upload(client, world.tokens["police"], b"%PDF-1.4 police warrant\n")
    person = world.person("snap_noncitizen")
    subject = {"full_name": person.full_name, "birth_date": str(person.birth_date)}
    answers = []
    for sha in (police_sha, "0" * 64):
        r = client.post(
            "/v1/requests",
            json=ice_subpoena(sha, subject),
            headers=bearer(world.tokens["ice"]),
        )
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    # The same bytes uploaded by ICE itself are ICE's to cite.
    assert upload(client, world.tokens["ice"], b"%PDF-1.4 police warrant\n") == police_sha
    r = client.post(
        "/v1/requests", json=ice_subpoena(police_sha, subject), headers=bearer(world.tokens["ice"])
    )
    assert r.status_code == 201, r.text


def test_control_characters_are_refused_in_text_fields(client: TestClient, world: World) -> None:
    sha = upload(client, world.tokens["police"])
    person = world.person("snap_fleeing_felon")
    body = fleeing_felon(sha, {"full_name": person.full_name, "birth_date": str(person.birth_date)})
    body["purpose_text"] = "Felony warrant\x1b]0;pwned\x07\x1b[2J"
    body["legal_process"]["signer"] = "Det. R.\nAlvarez"
    r = client.post("/v1/requests", json=body, headers=bearer(world.tokens["police"]))
    assert r.status_code == 422
    paths = {e["path"] for e in r.json()["errors"]}
    assert paths == {"purpose_text", "legal_process.signer"}
    # Line breaks are fine where several lines are expected.
    body["purpose_text"] = "Felony warrant 26-CR-0113.\nLocating the subject is my duty."
    body["legal_process"]["signer"] = "Det. R. Alvarez"
    r = client.post("/v1/requests", json=body, headers=bearer(world.tokens["police"]))
    assert r.status_code == 201, r.text


def test_usernames_are_unique_whatever_their_case_and_hold_no_controls(
    client: TestClient,
) -> None:
    admin = staff_token(client, "admin")
    account = {"password": PASSWORD, "roles": ["intake"]}
    r = client.post("/v1/staff/accounts", json={**account, "username": "ADMIN"}, headers=admin)
    assert r.status_code == 409
    r = client.post("/v1/staff/accounts", json={**account, "username": "eve\x1b[8m"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "username"
