"""A disclosure's status, as the person's downloaded file proves it, through the real
services: released, then delivered (the requester's receipt), then recalled (the person's
challenge to the disclosure upheld), then destroyed (the requester's attestation). Each time
the file verifies offline and shows what the release's logged events make it, which is what
the release service itself records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from custos.domain.principals import RequesterPrincipal
from custos.rights import accounting_json, verify_accounting
from custos.workflow import ledger as ledger_service
from custos.workflow import releases, rights, tokens
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import person_id, sign_in
from tests.integration.rights.test_story import _approve, _felon_request


def _file(client: TestClient, me: dict[str, str], verifier: str) -> tuple[dict[str, Any], Any]:
    """The person's file, after a checkpoint is signed; checked offline."""
    doc: dict[str, Any] = client.get("/v1/me/disclosures", headers=me).json()
    return doc, verify_accounting(doc, verifier_keys=[verifier])


def _shown_and_recorded(world: World, doc: dict[str, Any], release_id: str) -> tuple[str, str]:
    [disclosure] = doc["disclosures"]
    with world.ctx.reading() as s:
        recorded = releases.status_of(s, [release_id])[release_id]
    return disclosure["status"], recorded


def test_each_step_of_a_release_shows_in_the_persons_file_proven(
    world: World, client: TestClient, verifier: str
) -> None:
    ctx = world.ctx
    rid = _felon_request(client, world)
    _approve(world, rid)
    built = releases.build(ctx, actor=world.staff["approver1"], request_id=rid)
    ledger_service.publish_checkpoint(ctx)
    me = sign_in(client, world, "snap_fleeing_felon")
    doc, proven = _file(client, me, verifier)
    assert _shown_and_recorded(world, doc, built.id) == ("released", "released")
    assert proven.release_events == {built.id: 0}
    assert doc["releases"][built.id]["statement"]["es"].startswith("No consta nada")

    # The requester acknowledges receipt. Until a checkpoint covers the receipt the file
    # shows what the signed log proves; then "delivered".
    police: RequesterPrincipal = tokens.requester_from_token(ctx, world.tokens["police"])
    releases.acknowledge_receipt(
        ctx, actor=police, release_id=built.id, payload_sha256=built.payload_sha256
    )
    doc, _ = _file(client, me, verifier)
    assert _shown_and_recorded(world, doc, built.id) == ("released", "delivered")
    ledger_service.publish_checkpoint(ctx)
    doc, proven = _file(client, me, verifier)
    assert _shown_and_recorded(world, doc, built.id) == ("delivered", "delivered")
    assert proven.release_events == {built.id: 1}

    # The person challenges the disclosure itself; upheld, the release is recalled.
    r = client.post(
        "/v1/me/challenges",
        json={"release_id": built.id, "reason": "I was never the person in that warrant."},
        headers=me,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/v1/staff/challenges/{r.json()['id']}/resolve",
        json={"outcome": "upheld", "reason": "A mistaken identity, confirmed."},
        headers=staff_token(client, "counsel"),
    )
    assert r.status_code == 200, r.text
    ledger_service.publish_checkpoint(ctx)
    doc, proven = _file(client, me, verifier)
    assert _shown_and_recorded(world, doc, built.id) == ("recalled", "recalled")
    assert proven.release_events == {built.id: 2}
    assert proven.statuses == {doc["disclosures"][0]["index"]: "recalled"}

    # The requester attests the copy destroyed.
    releases.attest_destruction(
        ctx,
        actor=police,
        release_id=built.id,
        destroyed_by="Records officer",
        destroyed_on=ctx.today(),
        method="shredded and wiped",
        statement="Every copy was destroyed.",
    )
    ledger_service.publish_checkpoint(ctx)
    doc, proven = _file(client, me, verifier)
    assert _shown_and_recorded(world, doc, built.id) == ("destroyed", "destroyed")
    assert proven.release_events == {built.id: 3}
    # Years later, past the retention date, a destroyed copy is still destroyed, not overdue.
    world.ctx.clock = lambda: dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    later = accounting_json(
        rights.accounting_for_staff(
            ctx, actor=world.staff["intake"], person_id=person_id(world, "snap_fleeing_felon")
        )
    )
    assert later["disclosures"][0]["status"] == "destroyed"
    assert verify_accounting(later, verifier_keys=[verifier]).release_events == {built.id: 3}


def test_a_recall_not_honoured_by_its_deadline_shows_overdue_before_the_retention_date(
    world: World, client: TestClient, verifier: str
) -> None:
    """Overdue from the log's events (the retention sweep after a missed recall deadline),
    not only from the retention date: the file proves it all the same."""
    ctx = world.ctx
    rid = _felon_request(client, world)
    _approve(world, rid)
    built = releases.build(ctx, actor=world.staff["approver1"], request_id=rid)
    destroy_by = ctx.today() + dt.timedelta(days=10)
    releases.recall(
        ctx,
        actor=world.staff["counsel"],
        release_id=built.id,
        reason="The warrant was withdrawn.",
        destroy_by=destroy_by,
    )
    now = ctx.now()
    ctx.clock = lambda: now + dt.timedelta(days=11)
    assert releases.sweep_retention(ctx) == [built.id]
    ledger_service.publish_checkpoint(ctx)
    doc = accounting_json(
        rights.accounting_for_staff(
            ctx, actor=world.staff["intake"], person_id=person_id(world, "snap_fleeing_felon")
        )
    )
    [disclosure] = doc["disclosures"]
    assert disclosure["retention_until"] > (destroy_by + dt.timedelta(days=1)).isoformat()
    assert disclosure["status"] == "overdue"
    proven = verify_accounting(doc, verifier_keys=[verifier])
    # The recall, past retention and overdue: three events, all proven.
    assert proven.release_events == {built.id: 3}
