"""An upheld challenge to a delivered disclosure recalls the release from the requester."""

from __future__ import annotations

from fastapi.testclient import TestClient

from custos.domain.principals import RequesterPrincipal, Scope
from custos.workflow import releases, tokens
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import sign_in
from tests.integration.rights.test_story import _approve, _felon_request


def test_upholding_a_challenge_to_a_delivered_disclosure_recalls_it(
    world: World, client: TestClient
) -> None:
    ctx = world.ctx
    rid = _felon_request(client, world)
    _approve(world, rid)
    built = releases.build(ctx, actor=world.staff["approver1"], request_id=rid)
    police: RequesterPrincipal = tokens.requester_from_token(ctx, world.tokens["police"])
    assert Scope.RELEASES_READ in police.scopes
    releases.acknowledge_receipt(
        ctx, actor=police, release_id=built.id, payload_sha256=built.payload_sha256
    )

    me = sign_in(client, world, "snap_fleeing_felon")
    r = client.post(
        "/v1/me/challenges",
        json={"request_id": rid, "reason": "I was never the person named in that warrant."},
        headers=me,
    )
    assert r.status_code == 201, r.text
    challenge = r.json()
    assert challenge["release_id"] == built.id

    r = client.post(
        f"/v1/staff/challenges/{challenge['id']}/resolve",
        json={"outcome": "upheld", "reason": "The department confirmed a mistaken identity."},
        headers=staff_token(client, "counsel"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["recall_needed"] is False

    # The requester is told to destroy the data, by a date, and it is tracked.
    [notice] = releases.notices_for_requester(ctx, actor=police, release_id=built.id)
    assert notice.kind == "recall"
    assert challenge["id"] in notice.reason
    assert notice.destroy_by is not None
    assert notice.destroy_by > ctx.today()
    # The person sees the outcome of their challenge.
    mine = client.get(f"/v1/me/challenges/{challenge['id']}", headers=me).json()
    assert mine["status"] == "upheld"
