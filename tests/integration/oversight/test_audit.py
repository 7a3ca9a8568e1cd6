"""Auditors read everything, every read is logged, and the audit bundle verifies offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.api.app import create_app
from custos.domain.errors import PermissionDeniedError
from custos.domain.events import EventTag
from custos.ledger._verify import verify_export
from custos.store import tables as t
from custos.workflow import oversight
from custos.workflow.context import Context
from tests.integration.conftest import bearer, staff_token
from tests.integration.oversight.conftest import Season


def _reads(ctx: Context) -> list[dict[str, Any]]:
    with ctx.reading() as s:
        rows = s.scalars(
            select(t.LedgerEntry.body).where(
                t.LedgerEntry.tag == EventTag.OVERSIGHT_AUDIT_READ.value
            )
        ).all()
    return [json.loads(bytes(b)) for b in rows]


def _login(client: TestClient, name: str) -> dict[str, str]:
    return staff_token(client, name)


def test_auditor_reads_are_logged_and_others_are_refused(season: Season) -> None:
    ctx = season.world.ctx
    rid = season.approved[0]
    release = next(iter(ctx.settings.data_dir.joinpath("releases").iterdir())).name
    paths = [
        "/v1/audit/requests",
        f"/v1/audit/requests/{rid}",
        f"/v1/audit/requests/{rid}/events",
        "/v1/audit/ledger/entries?start=0&count=5",
        f"/v1/audit/releases/{release}/manifest",
    ]
    from custos.workflow import ledger

    ledger.publish_checkpoint(ctx)
    with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
        auditor = _login(client, "auditor")
        for path in paths:
            r = client.get(path, headers=auditor)
            assert r.status_code == 200, (path, r.text)
        view = client.get(f"/v1/audit/requests/{rid}", headers=auditor).json()
        assert view["classes"][0]["fields"][0]["rule_ids"]  # the decision's explanation
        manifest = client.get(f"/v1/audit/releases/{release}/manifest", headers=auditor).json()
        assert manifest["signature"]
        before = len(_reads(ctx))
        assert before == len(paths) + 2
        for name in ("admin", "intake", "counsel", "approver1"):
            headers = _login(client, name)
            for path in paths:
                assert client.get(path, headers=headers).status_code == 403, (name, path)
        for path in paths:
            assert client.get(path).status_code == 401
            assert client.get(path, headers=bearer(season.world.tokens["ice"])).status_code == 401
        assert len(_reads(ctx)) == before  # refused reads read nothing
    logged = _reads(ctx)
    assert {e["data"]["read"] for e in logged} >= {"request", "ledger_entries", "release_manifest"}
    assert all(e["actor"] == season.world.staff["auditor"].actor for e in logged)


def test_the_audit_bundle_verifies_offline(season: Season, tmp_path: Path, verifier: str) -> None:
    ctx = season.world.ctx
    with pytest.raises(PermissionDeniedError):
        oversight.export_bundle(ctx, actor=season.world.staff["admin"], directory=tmp_path / "x")
    bundle = tmp_path / "bundle"
    summary = oversight.export_bundle(ctx, actor=season.world.staff["auditor"], directory=bundle)
    assert summary.manifests == 4
    report = verify_export(bundle, verifier_keys=[verifier])
    assert report.verified_size == summary.entries  # the bundle's own read is signed too
    assert (bundle / "README.md").read_text(encoding="utf-8").count("custos ledger verify") == 1
    assert len(list((bundle / "manifests").glob("*.sig"))) == 4
    assert _reads(ctx)[-1]["data"]["read"] == "audit_bundle"
