"""Opt-out, notices and the public concern channel, as people and staff notice them."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from custos import records
from custos.cli._ledger import ledger_app
from custos.cli._rights import person_app
from custos.domain.events import EventTag
from custos.store import tables as t
from custos.workflow import ledger as ledger_service
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import a_request, account, person_id, sign_in


def _tags(world: World) -> list[str]:
    with world.ctx.reading() as s:
        return list(s.scalars(select(t.LedgerEntry.tag).order_by(t.LedgerEntry.idx)))


def test_opt_out_is_immediate_logged_confirmed_and_reversible(
    world: World, client: TestClient
) -> None:
    me = sign_in(client, world, "medicaid")
    r = client.put("/v1/me/opt-out", json={"opted_out": True}, headers=me)
    assert r.json() == {"opted_out": True, "changed": True}
    with world.ctx.reading() as s:
        facts = records.facts_for(s, [person_id(world, "medicaid")])
    assert facts[person_id(world, "medicaid")].opted_out
    assert client.get("/v1/me/disclosures", headers=me).json()["opted_out"] is True
    assert client.put("/v1/me/opt-out", json={"opted_out": False}, headers=me).json()["changed"]
    tags = _tags(world)
    assert EventTag.PERSON_OPTOUT_SET.value in tags
    assert EventTag.PERSON_OPTOUT_CLEAR.value in tags
    intake = staff_token(client, "intake")
    kinds = [n["kind"] for n in client.get("/v1/staff/notices", headers=intake).json()]
    assert kinds.count("opt_out_confirmation") == 2


def test_compelled_disclosures_are_labelled_in_the_accounting(
    world: World, client: TestClient
) -> None:
    account(world, "opted_out", release_id="rel_court", compelled=True)
    me = sign_in(client, world, "opted_out")
    [d] = client.get("/v1/me/disclosures", headers=me).json()["disclosures"]
    assert d["basis"] == "required by law"
    html = client.get("/v1/me/disclosures?format=html", headers=me).text
    assert "required by law" in html


def test_notices_are_queued_once_printed_in_spanish_and_marked_sent(
    world: World, client: TestClient
) -> None:
    rid = a_request(world, "snap_noncitizen")
    account(world, "snap_noncitizen", request_id=rid, release_id="rel_a", notify="after")
    me = sign_in(client, world, "snap_noncitizen")
    assert client.put("/v1/me/language", json={"language": "es"}, headers=me).status_code == 204
    intake = staff_token(client, "intake")
    assert client.post("/v1/staff/notices/sweep", headers=intake).json() == {"queued": 1}
    assert client.post("/v1/staff/notices/sweep", headers=intake).json() == {"queued": 0}
    [made] = [
        n
        for n in client.get("/v1/staff/notices", headers=intake).json()
        if n["kind"] == "disclosure_made"
    ]
    assert made["language"] == "es"
    html = client.get(f"/v1/staff/notices/{made['id']}", headers=intake).text
    assert "Compartimos información sobre usted" in html
    assert "Columbia Police Department" in html
    pdf = client.get(f"/v1/staff/notices/{made['id']}?format=pdf", headers=intake)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    r = client.post(f"/v1/staff/notices/{made['id']}/sent", headers=intake)
    assert r.json()["status"] == "sent"
    assert client.post(f"/v1/staff/notices/{made['id']}/sent", headers=intake).status_code == 409
    assert EventTag.PERSON_NOTICE_SEND.value in _tags(world)


def test_accounting_downloads_as_pdf(world: World, client: TestClient) -> None:
    account(world, "medicaid", release_id="rel_pdf")
    me = sign_in(client, world, "medicaid")
    r = client.get("/v1/me/disclosures?format=pdf", headers=me)
    assert r.status_code == 200
    assert r.content.startswith(b"%PDF")


def test_anyone_reports_a_concern_and_the_privacy_officer_triages_it(
    world: World, client: TestClient
) -> None:
    r = client.post(
        "/v1/public/concerns",
        json={"description": "An officer showed my neighbour my benefits letter."},
    )
    assert r.status_code == 201, r.text
    ack = r.json()["acknowledgement"]
    assert ack.startswith("CN-")
    assert client.get(f"/v1/public/concerns/{ack}").json()["status"] == "received"
    assert client.get("/v1/public/concerns/CN-NOTAREALONE").status_code == 404
    assert client.post("/v1/public/concerns", json={"description": ""}).status_code == 422
    auditor = staff_token(client, "auditor")
    [c] = client.get("/v1/staff/concerns", headers=auditor).json()
    assert c["acknowledgement"] == ack
    r = client.post(
        f"/v1/staff/concerns/{c['id']}/triage",
        json={"priority": "urgent", "note": "Refer to the inspector general."},
        headers=auditor,
    )
    assert r.json()["status"] == "triaged"
    assert client.get(f"/v1/public/concerns/{ack}").json()["status"] == "triaged"
    tags = _tags(world)
    assert EventTag.CONCERN_REPORT_RECEIVE.value in tags
    assert EventTag.CONCERN_REPORT_TRIAGE.value in tags


def test_staff_download_an_accounting_that_verifies_offline_with_the_cli(
    world: World, client: TestClient, verifier: str, tmp_path: Path
) -> None:
    account(world, "medicaid", release_id="rel_cli")
    ledger_service.publish_checkpoint(world.ctx)
    intake = staff_token(client, "intake")
    doc = client.get(
        f"/v1/staff/people/{person_id(world, 'medicaid')}/disclosures", headers=intake
    ).json()
    path = tmp_path / "accounting.json"
    path.write_text(json.dumps(doc))
    runner = CliRunner()
    ok = runner.invoke(person_app, ["verify", str(path), "--key", verifier])
    assert ok.exit_code == 0, ok.output
    assert "1 disclosures proven" in ok.output
    # The status is proven too: nothing happened to rel_cli after it was sent.
    said = " ".join(ok.output.split())
    assert "each status proven by its release's lifecycle events (0 for 1 releases" in said
    # Tampering with what is shown breaks the check.
    doc["disclosures"][0]["fields"] = ["snap/ssn"]
    path.write_text(json.dumps(doc))
    bad = runner.invoke(person_app, ["verify", str(path), "--key", verifier])
    assert bad.exit_code != 0
    # `custos ledger verify` takes the same file, as the readers will try first.
    via_ledger = runner.invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert via_ledger.exit_code != 0
    path.write_text(
        json.dumps(
            client.get(
                f"/v1/staff/people/{person_id(world, 'medicaid')}/disclosures", headers=intake
            ).json()
        )
    )
    via_ledger = runner.invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert via_ledger.exit_code == 0, via_ledger.output
    assert "1 disclosures proven" in via_ledger.output
