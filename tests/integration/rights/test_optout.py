"""An opt-out takes effect at once, also on requests already decided but not yet released."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.domain.errors import ConflictError
from custos.domain.lifecycle import RequestStatus
from custos.store import tables as t
from custos.workflow import releases, requests
from custos.workflow.intake import LegalProcessInput
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import sign_in
from tests.integration.rights.test_story import _admin_request, _approve


def test_opting_out_redecides_an_approved_request_before_it_is_released(
    world: World, client: TestClient
) -> None:
    ctx = world.ctx
    rid = _admin_request(client, world)
    _approve(world, rid)
    assert requests.get_for_staff(ctx, actor=world.staff["counsel"], request_id=rid).status is (
        RequestStatus.APPROVED
    )

    me = sign_in(client, world, "snap_fleeing_felon")
    r = client.put("/v1/me/opt-out", json={"opted_out": True}, headers=me)
    assert r.json() == {"opted_out": True, "changed": True}

    view = requests.get_for_staff(ctx, actor=world.staff["counsel"], request_id=rid)
    # Program administration is discretionary: after the opt-out nothing qualifies, and the
    # request is back in review with a new decision that the old approvals do not cover.
    assert view.status is RequestStatus.IN_REVIEW
    assert view.decision_version == 2
    assert view.outcome is not None
    assert view.outcome.value == "denied"
    with pytest.raises(ConflictError):
        releases.build(ctx, actor=world.staff["approver1"], request_id=rid)
    events = [
        e["tag"]
        for e in client.get(
            f"/v1/staff/requests/{rid}/events", headers=staff_token(client, "counsel")
        ).json()
    ]
    assert events[-2:] == ["request:decision:deny", "request:status:reopen"]


def test_a_redecision_keeps_people_an_upheld_challenge_removed(
    world: World, client: TestClient
) -> None:
    ctx = world.ctx
    rid = _admin_request(client, world)
    me = sign_in(client, world, "snap_fleeing_felon")
    challenge = client.post(
        "/v1/me/challenges", json={"request_id": rid, "reason": "Not me."}, headers=me
    ).json()
    counsel = staff_token(client, "counsel")
    client.post(
        f"/v1/staff/challenges/{challenge['id']}/resolve",
        json={"outcome": "upheld", "reason": "Mistaken identity."},
        headers=counsel,
    )
    # The legal reviewer then corrects the classification, which re-runs the decision.
    view = requests.get_for_staff(ctx, actor=world.staff["counsel"], request_id=rid)
    corrected = LegalProcessInput.model_validate(view.legal_process | {"kind": "court_order"})
    requests.classify(ctx, actor=world.staff["counsel"], request_id=rid, legal_process=corrected)
    with ctx.reading() as s:
        excluded = list(
            s.scalars(select(t.RequestSubject.excluded).where(t.RequestSubject.request_id == rid))
        )
    assert excluded == [True]
