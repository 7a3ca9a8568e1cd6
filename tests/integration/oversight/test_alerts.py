"""Alerts: the rules fire on the patterns the privacy officer must see, once each."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from custos import records
from custos.api.app import create_app
from custos.domain.errors import PermissionDeniedError
from custos.oversight import AlertKind
from custos.workflow import documents, oversight, requests
from custos.workflow.intake import RequestInput
from tests.conftest import Clock
from tests.integration.conftest import World, bearer, ice_subpoena, staff_token
from tests.integration.oversight.conftest import Season
from tests.integration.release.conftest import requester


def test_many_narrow_requests_in_a_week_are_a_bulk_extraction(world: World, clock: Clock) -> None:
    """500 single-person requests from one requester in one week: one cumulative alert."""
    ctx = world.ctx
    ice = requester(world, "ice")
    sha = documents.upload(
        ctx, actor=ice, content=b"%PDF-1.4 s\n", filename="s.pdf", content_type="application/pdf"
    )
    demo = records.demo_people()
    for i in range(500):
        person = demo[i % len(demo)]
        requests.submit(
            ctx,
            actor=ice,
            data=RequestInput.model_validate(
                ice_subpoena(
                    sha, {"full_name": person.full_name, "birth_date": str(person.birth_date)}
                )
            ),
        )
        clock.advance(minutes=10)
    raised = oversight.check_alerts(ctx)
    cumulative = [a for a in raised if a.kind is AlertKind.CUMULATIVE_EXTRACTION]
    assert len(cumulative) == 1
    assert cumulative[0].requester == world.requesters["ice"]
    assert cumulative[0].detail["people"] == 500
    assert AlertKind.REQUEST_RATE_SPIKE in {a.kind for a in raised}
    # The same window is never raised twice.
    assert oversight.check_alerts(ctx) == []
    listed = oversight.list_alerts(ctx, actor=world.staff["auditor"])
    assert {a.alert for a in listed} >= {"cumulative_extraction", "request_rate_spike"}


def test_a_few_requests_raise_no_extraction_alert(world: World, clock: Clock) -> None:
    ctx = world.ctx
    ice = requester(world, "ice")
    sha = documents.upload(
        ctx, actor=ice, content=b"%PDF-1.4 s\n", filename="s.pdf", content_type="application/pdf"
    )
    person = world.person("snap_fleeing_felon")
    for _ in range(5):
        requests.submit(
            ctx, actor=ice, data=RequestInput.model_validate(ice_subpoena(sha, {"ssn": person.ssn}))
        )
        clock.advance(hours=1)
    assert oversight.check_alerts(ctx) == []


def test_bulk_asks_and_repeats_after_denial_are_flagged(season: Season, clock: Clock) -> None:
    ctx = season.world.ctx
    raised = oversight.check_alerts(ctx)
    kinds = [a.kind for a in raised]
    assert kinds.count(AlertKind.BULK_REQUEST) == 1
    # ICE asked about the same person again after its first denial: every later ask is flagged.
    repeats = [a for a in raised if a.kind is AlertKind.REPEAT_AFTER_DENIAL]
    assert len(repeats) == 13
    # Releases built and never downloaded are flagged after two weeks.
    clock.advance(days=15)
    late = [a for a in oversight.check_alerts(ctx) if a.kind is AlertKind.RELEASE_NOT_DOWNLOADED]
    assert len(late) == 4


def test_only_auditors_and_admins_list_alerts(world: World) -> None:
    for name in ("intake", "counsel", "approver1"):
        with pytest.raises(PermissionDeniedError):
            oversight.list_alerts(world.ctx, actor=world.staff[name])
        # Nor start the oversight jobs, through whatever front end.
        with pytest.raises(PermissionDeniedError):
            oversight.check_alerts_as(world.ctx, actor=world.staff[name])
        with pytest.raises(PermissionDeniedError):
            oversight.transparency_report_as(world.ctx, actor=world.staff[name], period="2026-Q1")
    assert oversight.check_alerts_as(world.ctx, actor=world.staff["auditor"]) == []
    with TestClient(create_app(ctx=world.ctx), raise_server_exceptions=False) as client:
        assert client.get("/v1/staff/alerts").status_code == 401
        for name, code in (("intake", 403), ("approver1", 403), ("auditor", 200), ("admin", 200)):
            headers = staff_token(client, name)
            assert client.get("/v1/staff/alerts", headers=headers).status_code == code, name
        r = client.get("/v1/staff/alerts", headers=bearer(world.tokens["ice"]))
        assert r.status_code == 401
