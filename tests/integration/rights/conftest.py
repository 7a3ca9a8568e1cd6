"""People's rights over the shared `world`: a ledger key, accounting entries, signed-in people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from custos import ledger
from custos.domain.events import Event, EventTag
from custos.domain.pseudonyms import pseudonym
from custos.workflow import rights
from custos.workflow.context import Context
from tests.integration.conftest import World, bearer, build_world, give_ledger_key, staff_token


@pytest.fixture
def verifier(ctx: Context, tmp_path: Path) -> str:
    """The ledger's signer key is configured; returns its verifier key."""
    return give_ledger_key(ctx, tmp_path)


@pytest.fixture
def world(ctx: Context, verifier: str) -> World:
    return build_world(ctx)


def person_id(world: World, key: str) -> str:
    return world.person(key).person_id


def account(
    world: World,
    key: str,
    *,
    request_id: str | None = None,
    release_id: str = "rel_test",
    fields: tuple[str, ...] = ("snap/address",),
    delayed_until: dt.date | None = None,
    compelled: bool = False,
    retention_until: str = "2031-03-01",
    notify: str = "after",
) -> int:
    """Append one accounting entry for a person, as a release does; returns its index."""
    ctx = world.ctx
    data: dict[str, Any] = {
        "release": release_id,
        "requester": world.requesters["police"],
        "requester_name": "Columbia Police Department",
        "requester_kind": "local_law_enforcement",
        "fields": list(fields),
        "generalized": [],
        "legal_process": "court_order",
        "purpose": "criminal_investigation",
        "rule_ids": ["mo-court-order"],
        "citations": ["Missouri DSS manual 0130.005.05.25"],
        "compelled": compelled,
        "retention_until": retention_until,
        "notify": notify,
        "notice_delayed_until": delayed_until.isoformat() if delayed_until else None,
    }
    event = Event(
        tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
        at=ctx.now(),
        actor="system",
        request_id=request_id,
        data=data,
    )
    ref = pseudonym(ctx.settings.pseudonym_key, person_id(world, key))
    with ctx.transaction() as s:
        [idx] = ledger.append(s, [event], subject_refs=[ref])
    return idx


def lifecycle(world: World, tag: EventTag, release_id: str, request_id: str) -> int:
    """Append one lifecycle event of a release (receipt, recall…), naming it as the release
    service does (`data.release`); returns its index."""
    ctx = world.ctx
    event = Event(
        tag=tag, at=ctx.now(), actor="system", request_id=request_id, data={"release": release_id}
    )
    with ctx.transaction() as s:
        [idx] = ledger.append(s, [event])
    return idx


def code_for(world: World, key: str, *, language: str | None = None) -> str:
    issued = rights.issue_access_code(
        world.ctx, actor=world.staff["intake"], person_id=person_id(world, key), language=language
    )
    return issued.code


def sign_in(client: TestClient, world: World, key: str) -> dict[str, str]:
    """Staff issue a code over the API; the person signs in with it. Returns auth headers."""
    p = world.person(key)
    r = client.post(
        f"/v1/staff/people/{p.person_id}/access-codes",
        json={},
        headers=staff_token(client, "intake"),
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/v1/people/session",
        json={"case_number": p.dcn, "birth_date": str(p.birth_date), "code": r.json()["code"]},
    )
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


def a_request(world: World, key: str) -> str:
    """A real request naming the person (an immigration subpoena, staff-entered)."""
    from custos.workflow import documents, requests
    from custos.workflow.intake import RequestInput
    from tests.integration.conftest import ice_subpoena

    ctx = world.ctx
    intake = world.staff["intake"]
    sha = documents.upload(
        ctx,
        actor=intake,
        content=b"%PDF-1.4 subpoena\n",
        filename="s.pdf",
        content_type="application/pdf",
    )
    body = ice_subpoena(sha, {"case_number": world.person(key).dcn})
    return requests.submit(
        ctx,
        actor=intake,
        data=RequestInput.model_validate(body),
        requester_id=world.requesters["ice"],
    )
