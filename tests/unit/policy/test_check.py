"""`policy check` and `policy test` on the three packs, and on broken packs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from custos.policy import check, load_pack, run_tests
from tests.unit.policy.policy_support import POLICIES

PACKS = ["missouri-dss", "sanctuary", "federal-floor"]


@pytest.mark.parametrize("name", PACKS)
def test_every_pack_passes_check_and_its_tests(name: str) -> None:
    report = check(POLICIES / name)
    assert report.passed, [f.message for f in report.errors]
    assert run_tests(load_pack(POLICIES / name)).passed


@pytest.mark.parametrize("name", PACKS)
def test_every_rule_of_every_pack_reads_in_spanish(name: str) -> None:
    assert [
        f.message for f in check(POLICIES / name).warnings if f.code == "no-spanish-summary"
    ] == []


def test_a_rule_without_spanish_is_a_warning(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    rules = pack / "policies" / "30-forbids.cedar"
    kept = [line for line in rules.read_text().splitlines() if "conservar registros" not in line]
    rules.write_text("\n".join(kept) + "\n")
    report = check(pack)
    assert report.passed
    (warning,) = [f for f in report.warnings if f.code == "no-spanish-summary"]
    assert "30-forbids.cedar" in warning.message


def test_only_the_sanctuary_pack_is_flagged_for_1373() -> None:
    flagged = {
        name: [
            f.message for f in check(POLICIES / name).warnings if f.code == "status-sharing-1373"
        ]
        for name in PACKS
    }
    assert flagged["missouri-dss"] == []
    assert flagged["federal-floor"] == []
    assert len(flagged["sanctuary"]) == 1
    assert "sa-no-status-to-immigration-enforcement" in flagged["sanctuary"][0]
    assert "8 U.S.C. 1373" in flagged["sanctuary"][0]


def _copy(tmp_path: Path, name: str = "missouri-dss") -> Path:
    target = tmp_path / name
    shutil.copytree(POLICIES / name, target)
    return target


def _messages(path: Path) -> str:
    report = check(path)
    assert not report.passed
    return "\n".join(f.message for f in report.errors)


def test_syntax_error_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    (pack / "policies" / "50-bad.cedar").write_text('@id("x") permit(principal action, resource);')
    assert "does not parse" in _messages(pack)


def test_unknown_citation_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    rules = pack / "policies" / "20-compelled.cedar"
    rules.write_text(
        rules.read_text().replace(
            '@citation("7 U.S.C. 2020(e)(8)(E)")', '@citation("RSMo 208.155")'
        )
    )
    assert "RSMo 208.155" in _messages(pack)
    assert "unverified" in _messages(pack)


def test_invented_citation_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    rules = pack / "policies" / "20-compelled.cedar"
    rules.write_text(rules.read_text().replace("7 CFR 272.1(c)", "99 U.S.C. 1234"))
    assert "not in the list of known authorities" in _messages(pack)


def test_missing_annotation_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    rules = pack / "policies" / "30-forbids.cedar"
    text = rules.read_text()
    start = text.index('@summary("A request to preserve records')
    rules.write_text(text[:start] + text[text.index("\n", start) + 1 :])
    assert "mo-preservation-discloses-nothing has no @summary annotation" in _messages(pack)


def test_untested_rule_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    (pack / "policies" / "50-extra.cedar").write_text(
        '@id("mo-extra") @citation("RSMo 208.120") @summary("An extra rule nobody tests.")\n'
        'forbid (principal, action == Action::"disclose", resource)\n'
        'when { context.requester_kind == "other" && context.purpose == "court_proceeding" };\n'
    )
    assert "rule mo-extra" in _messages(pack)
    assert "not exercised by any test case" in _messages(pack)


def test_failing_case_shows_expected_actual_and_rules(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    cases = pack / "tests" / "cases.toml"
    cases.write_text(
        cases.read_text().replace(
            '"snap/benefit_amount" = "withhold", "snap/phone"',
            '"snap/benefit_amount" = "disclose", "snap/phone"',
            1,
        )
    )
    text = _messages(pack)
    assert "snap/benefit_amount expected disclose, got withhold" in text
    assert "mo-benefit-details-need-court" in text


def test_typo_in_a_value_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    rules = pack / "policies" / "20-compelled.cedar"
    rules.write_text(
        rules.read_text().replace(
            'context.purpose == "fleeing_felon"', 'context.purpose == "fleeing_felony"'
        )
    )
    assert "unknown value 'fleeing_felony'" in _messages(pack)


def test_forbid_over_a_compelled_duty_fails_check(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    (pack / "policies" / "50-block.cedar").write_text(
        '@id("mo-block-reports") @citation("RSMo 208.120") @summary("Blocks reports.")\n'
        'forbid (principal, action == Action::"disclose", resource)\n'
        'when { context.purpose == "unlawful_presence_report" };\n'
    )
    text = _messages(pack)
    assert "conflict with a compelled federal duty (42 U.S.C. 611a" in text
    assert "mo-block-reports withholds what compelled rule(s)" in text
