"""Policy over stored requests: explanations, replay under another pack, activation, and the
public page — through the workflow and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.domain.errors import PermissionDeniedError, PolicyError
from custos.store import tables as t
from custos.workflow import policy as policy_workflow
from custos.workflow import requests
from tests.integration.conftest import (
    World,
    add_snap_office,
    bearer,
    ice_subpoena,
    paper_fleeing_felon,
    program_administration,
    staff_token,
    upload,
)


def _administration(world: World, client: TestClient) -> str:
    """A state SNAP office's program-administration request: discretionary."""
    add_snap_office(world)
    token = world.tokens["snap_office"]
    sha = upload(client, token, b"%PDF-1.4 written request\n")
    body = program_administration(sha, {"case_number": world.person("snap_fleeing_felon").dcn})
    r = client.post("/v1/requests", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def _story(world: World, client: TestClient) -> tuple[str, str]:
    """Two stored requests: the fleeing-felon one and the ICE subpoena."""
    felon = requests.submit(
        world.ctx,
        actor=world.staff["intake"],
        data=paper_fleeing_felon(world),
        requester_id=world.requesters["police"],
    )
    sha = upload(client, world.tokens["ice"])
    ice = client.post(
        "/v1/requests",
        json=ice_subpoena(sha, {"case_number": world.person("snap_noncitizen").dcn}),
        headers=bearer(world.tokens["ice"]),
    ).json()["id"]
    return felon, ice


def test_explanation_names_rules_citations_and_obligations(
    world: World, client: TestClient
) -> None:
    felon, _ = _story(world, client)
    explanation = policy_workflow.explain_request(
        world.ctx, actor=world.staff["counsel"], request_id=felon
    )
    text = explanation.to_text()
    assert "7 U.S.C. 2020(e)(8)(E)" in text
    assert "snap/benefit_amount" in text or "benefit" in text.lower()
    # The API gives the same explanation to staff, and to no one else.
    r = client.get(
        f"/v1/staff/requests/{felon}/explanation", headers=staff_token(client, "auditor")
    )
    assert r.status_code == 200
    assert r.json() == json.loads(json.dumps(explanation.to_dict()))
    assert (
        client.get(
            f"/v1/staff/requests/{felon}/explanation", headers=bearer(world.tokens["police"])
        ).status_code
        == 401
    )
    assert client.get(f"/v1/staff/requests/{felon}/explanation").status_code == 401


def test_replay_under_sanctuary_counts_what_would_change(world: World, client: TestClient) -> None:
    _story(world, client)
    _administration(world, client)
    report = policy_workflow.replay_since(
        world.ctx, actor=world.staff["auditor"], pack_name="sanctuary", since=dt.date(2026, 1, 1)
    )
    assert report.pack.startswith("sanctuary")
    assert len(report.requests) == 3
    assert report.people == 3
    # Program administration is discretionary: a sanctuary pack withholds the address and the
    # amount. The fleeing-felon disclosure is compelled (7 U.S.C. 2020(e)(8)(E)): it stays.
    assert report.newly_withheld == 2
    assert report.newly_disclosed == 0
    assert "sanctuary" in report.to_text()
    # Replay over requests before they existed finds nothing.
    empty = policy_workflow.replay_since(
        world.ctx, actor=world.staff["auditor"], pack_name="sanctuary", since=dt.date(2027, 1, 1)
    )
    assert empty.requests == ()


def test_activating_a_pack_is_an_event_and_later_decisions_use_it(
    world: World, client: TestClient
) -> None:
    ctx = world.ctx
    with pytest.raises(PermissionDeniedError):
        policy_workflow.activate_pack(ctx, actor=world.staff["counsel"], name="sanctuary")
    activated = policy_workflow.activate_pack(ctx, actor=world.staff["admin"], name="sanctuary")
    with ctx.reading() as s:
        tags = list(
            s.scalars(select(t.LedgerEntry.tag).order_by(t.LedgerEntry.idx.desc()).limit(1))
        )
    assert tags == ["policy:pack:activate"]
    rid = _administration(world, client)
    view = requests.get_for_staff(ctx, actor=world.staff["counsel"], request_id=rid)
    assert view.pack_name == "sanctuary"
    assert view.pack_hash == activated["content_hash"]
    assert view.outcome is not None
    assert view.outcome.value == "denied"
    # A compelled disclosure is made under the sanctuary pack too.
    felon = requests.submit(
        ctx,
        actor=world.staff["intake"],
        data=paper_fleeing_felon(world),
        requester_id=world.requesters["police"],
    )
    view = requests.get_for_staff(ctx, actor=world.staff["counsel"], request_id=felon)
    assert view.outcome is not None
    assert view.outcome.value == "partly_approved"


def test_a_pack_that_fails_check_is_never_activated(world: World) -> None:
    with pytest.raises(PolicyError):
        policy_workflow.activate_pack(world.ctx, actor=world.staff["admin"], name="no-such-pack")


def test_public_policy_page_in_both_languages(client: TestClient) -> None:
    en = client.get("/v1/public/policy", params={"lang": "en"})
    es = client.get("/v1/public/policy", params={"lang": "es"})
    assert en.status_code == es.status_code == 200
    assert en.json() != es.json()
    html = client.get("/v1/public/policy.html", params={"lang": "es"})
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert 'lang="es"' in html.text
    assert client.get("/v1/public/policy", params={"lang": "fr"}).status_code in {404, 422}
