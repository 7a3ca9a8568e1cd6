"""Publication history and the privacy-loss budget: what a series of publications may do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custos import ledger as ledger_core
from custos import oversight as core
from custos.domain.errors import InvalidInputError
from custos.workflow import ledger, oversight
from custos.workflow.oversight._history import exact_history, protection_of
from tests.integration.oversight.conftest import Season


def _data(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "report.json").read_bytes())
    return data


def test_noisy_reports_spend_the_budget_and_overspending_is_refused(season: Season) -> None:
    ctx = season.world.ctx
    first = oversight.transparency_report(ctx, period="2026-H1", epsilon=2.0, pdf=False)
    budget = _data(first.directory)["method"]["noise"]["budget"]
    assert budget["limit_per_quarter_and_population"] == ctx.settings.report_epsilon_budget
    spent = budget["spent"]["requests"]
    assert spent == pytest.approx(0.8)
    assert budget["left"]["2026-Q1"]["requests"] == pytest.approx(2.0 - 0.8)
    oversight.transparency_report(ctx, period="2026-Q1", epsilon=2.0, pdf=False)
    with pytest.raises(core.BudgetExceededError, match="2026-Q1 requests"):
        oversight.transparency_report(ctx, period="2026-H1", epsilon=2.0, pdf=False)
    # Q2 still has budget: only Q1's is spent twice.
    oversight.transparency_report(ctx, period="2026-Q2", epsilon=2.0, pdf=False)
    assert len(oversight.list_reports(ctx)) == 3


def test_an_exact_and_a_noisy_report_never_cover_the_same_quarter(season: Season) -> None:
    ctx = season.world.ctx
    oversight.transparency_report(ctx, period="2026-Q1", pdf=False)
    with pytest.raises(core.ExactBesideNoisyError):
        oversight.transparency_report(ctx, period="2026-H1", epsilon=1.0, pdf=False)
    oversight.transparency_report(ctx, period="2026-Q3", epsilon=1.0, pdf=False)
    with pytest.raises(core.ExactBesideNoisyError):
        oversight.transparency_report(ctx, period="2026-H2", pdf=False)


def test_months_are_not_publication_periods(season: Season) -> None:
    with pytest.raises(InvalidInputError, match="year, a half or a quarter"):
        oversight.transparency_report(season.world.ctx, period="2026-03", pdf=False)


def test_linked_noisy_tables_agree_on_their_shared_totals(season: Season) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", epsilon=0.5, pdf=False)
    tables = {t["key"]: t for t in _data(published.directory)["tables"]}
    kinds, processes = tables["requests_by_requester_kind"], tables["requests_by_legal_process"]
    for a, b in zip(kinds["cells"][-1], processes["cells"][-1], strict=True):
        assert a is None or b is None or a == b
    assert kinds["cells"][-1] == processes["cells"][-1]
    for t in (kinds, processes):
        for row in t["cells"]:
            if None not in row:
                assert sum(row[:-1]) == row[-1]


def test_exact_reports_of_nested_periods_are_checked_together(season: Season) -> None:
    ctx = season.world.ctx
    for period in ("2026-Q1", "2026-Q2", "2026-H1"):
        oversight.transparency_report(ctx, period=period, pdf=False)
    with ctx.reading() as s:
        history = exact_history(s)
    assert [p.period for p in history] == ["2026-Q1", "2026-Q2", "2026-H1"]
    assert core.at_risk(history, protection_of(ctx.settings)) == []
    data = _data(ctx.settings.data_dir / "reports" / oversight.list_reports(ctx)[0].id)
    assert data["method"]["history"]["earlier_reports_checked"] == 2


# --- report verify: each gap of the old verifier is detected ------------------------------------


def _resign(ctx: Any, directory: Path, data: dict[str, Any]) -> None:
    """Write `data` as the report and sign it again with the log's own key (an insider's
    forgery: only the log can catch it)."""
    body = json.dumps(data).encode()
    (directory / "report.json").write_bytes(body)
    import hashlib

    cp = data["checkpoint"]
    text = core.signed_text(
        report_id=data["id"],
        sha256=hashlib.sha256(body).hexdigest(),
        checkpoint=core.CheckpointRef(origin=cp["origin"], size=cp["size"], root=cp["root"]),
    )
    note = ledger_core.sign_note_with(text=text, signer_keys=ledger.signer_keys(ctx.settings))
    (directory / "report.sig").write_text(note, encoding="utf-8")


def _problems(ctx: Any, directory: Path, tmp_path: Path, **kw: Any) -> list[str]:
    export = tmp_path / "export"
    if not export.exists():
        ledger.export(ctx, export)
    with pytest.raises(oversight.ReportMismatchError) as failure:
        oversight.verify_report(directory, export, **kw)
    return failure.value.problems or [str(failure.value)]


def test_verify_catches_a_noisy_report_whose_cells_or_budget_were_changed(
    season: Season, tmp_path: Path
) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", epsilon=1.0, pdf=False)
    data = _data(published.directory)
    with_totals = [t for t in data["tables"] if t["columns"][-1] == "Total"]
    row = next(r for t in with_totals for r in t["cells"] if None not in r)
    row[-1] += 50
    data["method"]["noise"]["budget"]["left"]["2026-Q1"]["requests"] = 9.0
    data["method"]["noise"]["epsilon"] = 8.0
    data["period"]["label"] = "2026-Q1"
    _resign(ctx, published.directory, data)
    problems = "\n".join(_problems(ctx, published.directory, tmp_path))
    assert "not the sum of its cells" in problems
    assert "budget statement" in problems
    assert "noise epsilon" in problems
    assert "period" in problems


def test_verify_recomputes_an_exact_report_relabelled_as_noisy(
    season: Season, tmp_path: Path
) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", pdf=False)
    data = _data(published.directory)
    data["method"]["noise"] = {"epsilon": 1.0, "library": "OpenDP"}
    kinds = next(t for t in data["tables"] if t["key"] == "requests_by_requester_kind")
    kinds["cells"][kinds["rows"].index("local_law_enforcement")][
        kinds["columns"].index("partly_granted")
    ] = 40
    _resign(ctx, published.directory, data)
    problems = "\n".join(_problems(ctx, published.directory, tmp_path))
    assert "announced it as exact" in problems
    assert "published 40, the log gives 12" in problems


def test_verify_takes_the_catalogue_from_the_logged_pack_not_the_report(
    season: Season, tmp_path: Path
) -> None:
    ctx = season.world.ctx
    published = oversight.transparency_report(ctx, period="2026-H1", pdf=False)
    data = _data(published.directory)
    data["catalogue"] = dict.fromkeys(data["catalogue"], "identity")
    for t in data["tables"]:
        if t["key"] == "requests_by_requester_kind":
            t["title"] = "Something else"
    _resign(ctx, published.directory, data)
    problems = "\n".join(_problems(ctx, published.directory, tmp_path))
    assert "catalogue" in problems
    assert "the title differ" in problems
    # Without the pack the log names, the catalogue cannot be checked: refused, not trusted.
    with pytest.raises(InvalidInputError, match="policy pack"):
        oversight.verify_report(published.directory, tmp_path / "export", packs=tmp_path)
