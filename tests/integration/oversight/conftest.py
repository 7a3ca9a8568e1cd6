"""A season of requests over the demo people, with releases, for reports and alerts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from custos.workflow import documents, releases, requests
from custos.workflow.context import Context
from custos.workflow.intake import RequestInput
from tests.conftest import Clock
from tests.integration.conftest import (
    World,
    build_world,
    fleeing_felon,
    give_ledger_key,
    ice_subpoena,
)
from tests.integration.release.conftest import approve, approved_bulk, requester


@dataclass
class Season:
    world: World
    approved: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    bulk: str = ""


@pytest.fixture
def verifier(ctx: Context, tmp_path: Path) -> str:
    return give_ledger_key(ctx, tmp_path)


@pytest.fixture
def world(ctx: Context, verifier: str) -> World:
    return build_world(ctx)


def _doc(world: World, key: str) -> str:
    return documents.upload(
        world.ctx,
        actor=requester(world, key),
        content=f"%PDF-1.4 {key} process\n".encode(),
        filename="p.pdf",
        content_type="application/pdf",
    )


def run_season(world: World, clock: Clock) -> Season:
    """Requests of spring 2026: police felony warrants granted, ICE subpoenas denied or
    withdrawn, an emergency, and a statewide SNAP audit released."""
    ctx = world.ctx
    season = Season(world=world)
    felon = world.person("snap_fleeing_felon")
    police, ice = requester(world, "police"), requester(world, "ice")
    police_sha, ice_sha = _doc(world, "police"), _doc(world, "ice")
    for _ in range(12):
        body = fleeing_felon(
            police_sha, {"full_name": felon.full_name, "birth_date": str(felon.birth_date)}
        )
        rid = requests.submit(ctx, actor=police, data=RequestInput.model_validate(body))
        clock.advance(days=2)
        approve(world, rid)
        season.approved.append(rid)
        clock.advance(hours=5)
    for i in range(14):
        rid = requests.submit(
            ctx,
            actor=ice,
            data=RequestInput.model_validate(ice_subpoena(ice_sha, {"ssn": felon.ssn})),
        )
        clock.advance(days=1)
        if i < 12:
            requests.deny(
                ctx, actor=world.staff["counsel"], request_id=rid, reason="no judicial process"
            )
            season.denied.append(rid)
        else:
            requests.withdraw(ctx, actor=ice, request_id=rid)
            season.withdrawn.append(rid)
        clock.advance(hours=3)
    emergency = fleeing_felon(
        police_sha, {"full_name": felon.full_name, "birth_date": str(felon.birth_date)}
    )
    emergency["emergency_statement"] = "Imminent danger to a child."
    requests.submit(ctx, actor=police, data=RequestInput.model_validate(emergency))
    season.bulk = approved_bulk(world)
    admin = world.staff["admin"]
    releases.build(ctx, actor=admin, request_id=season.bulk)
    for rid in season.approved[:3]:
        releases.build(ctx, actor=admin, request_id=rid)
    clock.advance(days=1)
    return season


@pytest.fixture
def season(world: World, clock: Clock) -> Season:
    clock.now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    return run_season(world, clock)
