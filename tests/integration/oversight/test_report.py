"""Transparency reports over a season of requests: figures, formats, signature, verification."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from custos import ledger as ledger_core
from custos import oversight as core
from custos.api.app import create_app
from custos.cli import app as cli
from custos.workflow import ledger, oversight
from custos.workflow.context import Context
from tests.integration.oversight.conftest import Season


def _tables(directory: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((directory / "report.json").read_bytes())
    return {t["key"]: t for t in data["tables"]}


def _cell(table: dict[str, Any], row: str, column: str) -> int | None:
    value: int | None = table["cells"][table["rows"].index(row)][table["columns"].index(column)]
    return value


def _export(ctx: Context, tmp_path: Path) -> Path:
    directory = tmp_path / "export"
    ledger.export(ctx, directory)
    return directory


def test_a_report_in_four_formats_counts_the_season(season: Season) -> None:
    published = oversight.transparency_report(season.world.ctx, period="2026-H1")
    names = set(published.files)
    assert {"report.json", "report.html", "report.csv", "report.pdf", "report.sig"} <= names
    assert (published.directory / "report.pdf").read_bytes().startswith(b"%PDF")
    tables = _tables(published.directory)
    kinds = tables["requests_by_requester_kind"]
    # 12 police warrants granted in part, 12 + 2 ICE subpoenas, an emergency, an audit.
    assert _cell(kinds, "local_law_enforcement", "partly_granted") == 12
    assert _cell(kinds, "Total", "Total") == 28
    # ICE's 2 withdrawals are withheld, and so is a partner in their row and in their column
    # (a cell or the margin), so neither line gives them away; which partner is chosen is
    # the suppression's business (the cross-report check bounds what all tables give away).
    assert _cell(kinds, "federal_immigration_enforcement", "withdrawn") is None
    ice = kinds["cells"][kinds["rows"].index("federal_immigration_enforcement")]
    withdrawn = kinds["columns"].index("withdrawn")
    assert sum(v is None for v in ice) >= 2
    assert sum(row[withdrawn] is None for row in kinds["cells"]) >= 2
    for t in tables.values():
        assert not [v for row in t["cells"] for v in row if v is not None and 1 <= v <= 10]
    data = json.loads((published.directory / "report.json").read_bytes())
    assert data["checkpoint"]["size"] == published.checkpoint_size
    assert "CMS" in data["method"]["suppression"]
    assert data["method"]["noise"] is None
    csv_lines = (published.directory / "report.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0] == "report,table,row,column,value,withheld"
    assert any(",local_law_enforcement,partly_granted,12,no" in line for line in csv_lines)
    html = (published.directory / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == len(tables)
    assert "<script" not in html


def test_report_verify_passes_on_the_real_report(season: Season, tmp_path: Path) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", pdf=False)
    result = oversight.verify_report(published.directory, _export(ctx, tmp_path))
    assert result.exact_checked
    assert result.checkpoint_size == published.checkpoint_size


def _change_a_number(directory: Path) -> None:
    data = json.loads((directory / "report.json").read_bytes())
    for t in data["tables"]:
        if t["key"] == "requests_by_requester_kind":
            row = t["rows"].index("local_law_enforcement")
            t["cells"][row][t["columns"].index("partly_granted")] = 13
    (directory / "report.json").write_text(json.dumps(data), encoding="utf-8")


def test_report_verify_fails_on_a_changed_number(season: Season, tmp_path: Path) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", pdf=False)
    export = _export(ctx, tmp_path)
    _change_a_number(published.directory)
    with pytest.raises(oversight.ReportMismatchError, match="signature"):
        oversight.verify_report(published.directory, export)
    # Even signed again with the log's own key, the changed number does not match the log.
    body = (published.directory / "report.json").read_bytes()
    data = json.loads(body)
    cp = data["checkpoint"]
    text = core.signed_text(
        report_id=data["id"],
        sha256=hashlib.sha256(body).hexdigest(),
        checkpoint=core.CheckpointRef(origin=cp["origin"], size=cp["size"], root=cp["root"]),
    )
    note = ledger_core.sign_note_with(text=text, signer_keys=ledger.signer_keys(ctx.settings))
    (published.directory / "report.sig").write_text(note, encoding="utf-8")
    with pytest.raises(oversight.ReportMismatchError) as failure:
        oversight.verify_report(published.directory, export)
    assert any("published 13, the log gives 12" in p for p in failure.value.problems)


def test_the_cli_verifies_and_refuses(season: Season, tmp_path: Path, verifier: str) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", pdf=False)
    export = _export(ctx, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(
        cli, ["report", "verify", str(published.directory), "--log", str(export), "--key", verifier]
    )
    assert ok.exit_code == 0, ok.output
    assert "every figure recomputed and equal" in ok.output
    _change_a_number(published.directory)
    bad = runner.invoke(
        cli, ["report", "verify", str(published.directory), "--log", str(export), "--key", verifier]
    )
    assert bad.exit_code != 0


def test_a_noisy_report_states_epsilon_and_still_verifies(season: Season, tmp_path: Path) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", epsilon=2.0, pdf=False)
    data = json.loads((published.directory / "report.json").read_bytes())
    assert data["method"]["noise"]["epsilon"] == 2.0
    assert "OpenDP" in data["method"]["noise"]["library"]
    assert "epsilon" in (published.directory / "report.html").read_text(encoding="utf-8").lower()
    for t in data["tables"]:
        assert not [v for row in t["cells"] for v in row if v is not None and 1 <= v <= 10]
    secret = bytes.fromhex((published.directory / "exact-digest.key").read_text().strip())
    export = _export(ctx, tmp_path)
    assert oversight.verify_report(published.directory, export, secret=secret).exact_checked
    with pytest.raises(oversight.ReportMismatchError):
        oversight.verify_report(published.directory, export, secret=b"another secret")


def test_the_public_reads_published_reports(season: Season) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", epsilon=1.0, pdf=False)
    with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
        listing = client.get("/v1/public/reports")
        assert listing.status_code == 200
        assert [r["id"] for r in listing.json()] == [published.id]
        assert "exact-digest.key" not in listing.json()[0]["files"]
        data = client.get(f"/v1/public/reports/{published.id}")
        assert data.status_code == 200
        assert hashlib.sha256(data.content).hexdigest() == published.sha256
        html = client.get(f"/v1/public/reports/{published.id}/report.html")
        assert html.headers["content-type"].startswith("text/html")
        assert client.get(f"/v1/public/reports/{published.id}/report.sig").status_code == 200
        assert client.get(f"/v1/public/reports/{published.id}/exact-digest.key").status_code == 404
        assert client.get("/v1/public/reports/transparency-1999-H1-1").status_code == 404
        assert client.get(f"/v1/public/reports/{published.id}/..%2Fx").status_code == 404


def test_periods_and_empty_logs_are_refused(ctx: Context, verifier: str) -> None:
    from custos.domain.errors import InvalidInputError, NotFoundError

    with pytest.raises(InvalidInputError):
        oversight.transparency_report(ctx, period="2026-H3")
    with pytest.raises(NotFoundError):
        oversight.transparency_report(ctx, period="2026-H1")
