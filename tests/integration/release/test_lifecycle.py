"""After the build: download over the API, receipt, retention, destruction, recall, correction."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from custos.cli import app as cli
from custos.domain.events import EventTag
from custos.store import tables as t
from custos.workflow import tokens
from tests.conftest import Clock
from tests.integration.conftest import World, bearer, staff_token
from tests.integration.release.conftest import approved_felon
from tests.integration.release.test_build import age_decrypt


def tags(world: World, request_id: str) -> list[str]:
    with world.ctx.reading() as s:
        return list(
            s.scalars(
                select(t.LedgerEntry.tag)
                .where(t.LedgerEntry.request_id == request_id)
                .order_by(t.LedgerEntry.idx)
            )
        )


def test_requester_downloads_verifies_acknowledges_and_attests_destruction(
    world: World, client: TestClient, verifier: str, clock: Clock, tmp_path: Path
) -> None:
    rid = approved_felon(world)
    approver = staff_token(client, "approver1")
    r = client.post("/v1/staff/releases", json={"request_id": rid}, headers=approver)
    assert r.status_code == 201, r.text
    release_id = r.json()["id"]
    police, ice = bearer(world.tokens["police"]), bearer(world.tokens["ice"])

    # Only the requester can read or download it; to anyone else it does not exist.
    assert client.get(f"/v1/releases/{release_id}", headers=ice).status_code == 404
    assert client.get(f"/v1/releases/{release_id}/package", headers=ice).status_code == 404
    r = client.get(f"/v1/releases/{release_id}/package", headers=police)
    assert r.status_code == 200
    package = tmp_path / "release.tar"
    package.write_bytes(r.content)
    assert EventTag.RELEASE_DOWNLOAD_RECORD.value in tags(world, rid)

    # The recipient checks it offline with the command line.
    identity = tmp_path / "police.key"
    identity.write_text(str(world.identities["police"]) + "\n")
    done = CliRunner().invoke(
        cli,
        ["release", "verify", str(package), "--agency-key", verifier, "-i", str(identity)],
    )
    assert done.exit_code == 0, done.output
    assert "payload decrypted" in done.output

    # Receipt with the payload's hash → delivered; a wrong hash is refused.
    with tarfile.open(package) as tar:
        f = tar.extractfile("payload.csv.age")
        assert f is not None
        plain = age_decrypt(world, "police", f.read(), tmp_path)
    wrong = client.post(
        f"/v1/releases/{release_id}/receipt", json={"payload_sha256": "0" * 64}, headers=police
    )
    assert wrong.status_code == 422
    r = client.post(
        f"/v1/releases/{release_id}/receipt",
        json={"payload_sha256": hashlib.sha256(plain).hexdigest()},
        headers=police,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "delivered"

    # Retention: five years on, without an attestation, it is overdue and an alert is raised.
    auditor = staff_token(client, "auditor")
    [item] = client.get("/v1/staff/releases/retention", headers=auditor).json()
    assert item["deadline"] == "2031-03-01"
    assert not item["overdue"]
    clock.advance(days=5 * 365 + 2)
    auditor = staff_token(client, "auditor")
    assert client.post("/v1/staff/releases/retention/sweep", headers=auditor).json() == [release_id]
    [item] = client.get("/v1/staff/releases/retention", headers=auditor).json()
    assert item["overdue"]
    assert item["status"] == "overdue"
    logged = tags(world, rid)
    assert EventTag.RELEASE_RETENTION_OVERDUE.value in logged
    assert EventTag.OVERSIGHT_ALERT_RAISE.value in logged

    # The attestation clears it: destroyed, stored and logged (with a fresh token, years on).
    police = bearer(
        tokens.issue_token(
            world.ctx, actor=world.staff["admin"], requester_id=world.requesters["police"]
        ).token
    )
    r = client.post(
        f"/v1/releases/{release_id}/destruction",
        json={
            "destroyed_by": "Records officer, Columbia PD",
            "destroyed_on": clock.now.date().isoformat(),
            "method": "crypto-shredded the key; deleted the files",
            "statement": "All copies were destroyed; none was shared.",
        },
        headers=police,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "destroyed"
    assert client.get("/v1/staff/releases/retention", headers=auditor).json() == []
    assert tags(world, rid)[-1] == EventTag.RELEASE_DESTRUCTION_ATTEST.value
    with world.ctx.reading() as s:
        assert s.get(t.Request, rid).status == "destroyed"  # type: ignore[union-attr]


def test_recall_is_tracked_and_a_correction_is_encrypted_and_signed(
    world: World, client: TestClient, verifier: str, clock: Clock, tmp_path: Path
) -> None:
    rid = approved_felon(world)
    approver = staff_token(client, "approver1")
    release_id = client.post(
        "/v1/staff/releases", json={"request_id": rid}, headers=approver
    ).json()["id"]
    police = bearer(world.tokens["police"])

    counsel = staff_token(client, "counsel")
    r = client.post(
        f"/v1/staff/releases/{release_id}/correction",
        json={"reason": "The address on file was out of date."},
        headers=counsel,
    )
    assert r.status_code == 201, r.text
    correction = r.json()
    assert correction["manifest"]["kind"] == "correction"
    assert correction["manifest"]["corrects"] == release_id
    r = client.get(f"/v1/releases/{release_id}/notices/{correction['id']}/package", headers=police)
    assert r.status_code == 200
    from custos import release

    package = tmp_path / "correction.tar"
    package.write_bytes(r.content)
    verified = release.verify_package(
        package, verifier_keys=[verifier], identities=[world.identities["police"]]
    )
    assert verified.manifest["rows"] == 1
    assert EventTag.RELEASE_CORRECTION_ISSUE.value in tags(world, rid)

    r = client.post(
        f"/v1/staff/releases/{release_id}/recall",
        json={"reason": "A challenge was upheld.", "destroy_by": "2026-03-16"},
        headers=counsel,
    )
    assert r.status_code == 201, r.text
    notices = client.get(f"/v1/releases/{release_id}/notices", headers=police).json()
    assert [n["kind"] for n in notices] == ["correction", "recall"]
    assert client.get(f"/v1/releases/{release_id}", headers=police).json()["status"] == "recalled"
    assert EventTag.RELEASE_RECALL_ISSUE.value in tags(world, rid)

    clock.advance(days=15)
    auditor = staff_token(client, "auditor")
    assert client.post("/v1/staff/releases/retention/sweep", headers=auditor).json() == [release_id]
    # No plaintext personal data in any event of the request.
    person = world.person("snap_fleeing_felon")
    with world.ctx.reading() as s:
        bodies = s.scalars(select(t.LedgerEntry.body).where(t.LedgerEntry.request_id == rid)).all()
    assert person.ssn is not None
    assert person.ssn not in b"".join(bodies).decode()
    assert all(json.loads(b)["request"] == rid for b in bodies)


def test_ciphertext_is_purged_after_delivery_and_the_grace_period(
    world: World, client: TestClient, clock: Clock
) -> None:
    rid = approved_felon(world)
    approver = staff_token(client, "approver1")
    release_id = client.post(
        "/v1/staff/releases", json={"request_id": rid}, headers=approver
    ).json()["id"]
    police = bearer(world.tokens["police"])
    from custos.workflow import releases

    view = releases.get(world.ctx, actor=world.staff["auditor"], release_id=release_id)
    client.post(
        f"/v1/releases/{release_id}/receipt",
        json={"payload_sha256": view.payload_sha256},
        headers=police,
    )
    admin = staff_token(client, "admin")
    assert (
        client.post("/v1/staff/releases/purge", json={"grace_days": 30}, headers=admin).json()[
            "purged"
        ]
        == []
    )
    clock.advance(days=31)
    admin = staff_token(client, "admin")
    r = client.post("/v1/staff/releases/purge", json={"grace_days": 30}, headers=admin)
    assert r.json()["purged"] == [release_id]
    assert not (world.ctx.settings.data_dir / "releases" / release_id).exists()
    assert client.get(f"/v1/releases/{release_id}/package", headers=police).status_code == 409
    # The manifest remains.
    assert (
        client.get(f"/v1/releases/{release_id}", headers=police).json()["manifest"]["release"]
        == release_id
    )
