"""The law through the workflow: a document's scope recorded by counsel, the requester's own
program, and a legal process that expires between approval and release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.domain.errors import ConflictError, InvalidInputError
from custos.domain.lifecycle import RequestStatus
from custos.store import tables as t
from custos.workflow import releases, requests, tokens
from custos.workflow.intake import LegalProcessInput, RequestInput
from tests.conftest import Clock
from tests.integration.conftest import (
    World,
    add_snap_office,
    bearer,
    give_ledger_key,
    greene_county_order,
    program_administration,
    upload,
)


def _effects(world: World, rid: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    with world.ctx.reading() as s:
        rows = s.scalars(select(t.DecisionRow).where(t.DecisionRow.request_id == rid)).all()
        return {r.field: (r.effect, tuple(r.rule_ids)) for r in rows}


def test_a_court_order_discloses_only_what_counsel_records_it_names(world: World) -> None:
    rid = greene_county_order(world)
    # Before counsel records what the order names, nothing qualifies.
    assert {e for e, _ in _effects(world, rid).values()} == {"withhold"}
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    scoped = LegalProcessInput.model_validate(
        view.legal_process | {"scope": {"fields": ["tanf/address"]}}
    )
    requests.classify(world.ctx, actor=world.staff["counsel"], request_id=rid, legal_process=scoped)
    effects = _effects(world, rid)
    assert effects["tanf/address"][0] == "disclose"
    assert effects["tanf/ssn"][0] == "withhold"
    assert effects["tanf/ssn"][1][0] == "custos-outside-scope"
    assert effects["tanf/immigration_status"][1][0] == "custos-outside-scope"


def _record_scope(world: World, rid: str, scope: dict[str, Any]) -> RequestStatus:
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    scoped = LegalProcessInput.model_validate(view.legal_process | {"scope": scope})
    return requests.classify(
        world.ctx, actor=world.staff["counsel"], request_id=rid, legal_process=scoped
    )


def test_a_court_order_discloses_nothing_about_people_it_does_not_name(world: World) -> None:
    named = world.person("tanf_determination")
    other = world.person("household_head")
    rid = greene_county_order(
        world,
        subjects=[
            {"full_name": named.full_name, "birth_date": str(named.birth_date)},
            {"case_number": other.dcn},
            {"case_number": "1234567890"},  # matches nobody
        ],
    )
    # The order names one person, written as on the paper (capitals, no accents).
    on_paper = {"full_name": named.full_name.upper(), "birth_date": str(named.birth_date)}
    status = _record_scope(world, rid, {"programs": ["tanf"], "people": [on_paper]})
    assert status is RequestStatus.IN_REVIEW
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    by_class = {(c.matched, c.outside_scope, c.people): c for c in view.classes}
    assert set(by_class) == {(True, False, 1), (False, True, 2)}
    inside, outside = by_class[(True, False, 1)], by_class[(False, True, 2)]
    assert {f.field: f.effect.value for f in inside.fields}["tanf/address"] == "disclose"
    for f in outside.fields:
        assert f.effect.value == "withhold"
        assert f.rule_ids[0] == "custos-outside-scope"
        assert "outside the document's scope" in f.reasons[0]
    # The matched and the unmatched subject the order leaves out share one decision class.
    keys = [sj.class_key for sj in view.subjects]
    assert keys[1] == keys[2] != keys[0]


def test_an_order_naming_none_of_the_subjects_closes_the_request(world: World) -> None:
    rid = greene_county_order(world)
    status = _record_scope(
        world, rid, {"programs": ["tanf"], "people": [{"case_number": "5550000001"}]}
    )
    assert status is RequestStatus.DENIED
    with pytest.raises(InvalidInputError) as bad:
        _record_scope(
            world, greene_county_order(world), {"people": [{"full_name": "No Birth Date"}]}
        )
    assert [p.path for p in bad.value.problems] == ["legal_process.scope.people[0]"]


def test_a_requester_cannot_set_the_scope_itself(world: World, client: TestClient) -> None:
    add_snap_office(world)
    token = world.tokens["snap_office"]
    sha = upload(client, token)
    body = program_administration(sha, {"case_number": world.person("snap_fleeing_felon").dcn})
    body["legal_process"]["scope"] = {"programs": ["snap"]}
    with pytest.raises(InvalidInputError):
        requests.submit(
            world.ctx,
            actor=tokens.requester_from_token(world.ctx, token),
            data=RequestInput.model_validate(body),
        )


def test_program_administration_reaches_only_the_requesters_own_program(
    world: World, client: TestClient
) -> None:
    add_snap_office(world)
    token = world.tokens["snap_office"]
    sha = upload(client, token)
    body = program_administration(sha, {"case_number": world.person("snap_fleeing_felon").dcn})
    body["fields"] = [*body["fields"], "tanf/address"]
    rid = client.post("/v1/requests", json=body, headers=bearer(token)).json()["id"]
    effects = _effects(world, rid)
    assert effects["snap/address"] == ("disclose", ("mo-program-administration",))
    assert effects["snap/immigration_status"][0] == "withhold"
    assert effects["tanf/address"][0] == "withhold"


def test_an_expired_process_lapses_the_request_at_release(
    world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    give_ledger_key(world.ctx, tmp_path)
    add_snap_office(world)
    token = world.tokens["snap_office"]
    sha = upload(client, token)
    body = program_administration(sha, {"case_number": world.person("snap_fleeing_felon").dcn})
    body["legal_process"]["expires_on"] = "2026-03-20"
    rid = client.post("/v1/requests", json=body, headers=bearer(token)).json()["id"]
    requests.classify(world.ctx, actor=world.staff["counsel"], request_id=rid)
    requests.approve(world.ctx, actor=world.staff["approver1"], request_id=rid)
    requests.approve(world.ctx, actor=world.staff["approver2"], request_id=rid)
    clock.advance(days=30)
    with pytest.raises(ConflictError, match="expired"):
        releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    assert view.status is RequestStatus.LAPSED
