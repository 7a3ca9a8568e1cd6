"""diff, explain, replay and the public page, as a user of each would read them."""

from __future__ import annotations

import pytest

from custos.domain.decisions import Effect
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import Program
from custos.policy import (
    DiffReport,
    Pack,
    ReplayClass,
    ReplayItem,
    decide,
    diff,
    explain,
    load_pack,
    public_page,
    replay,
)
from tests.unit.policy.policy_support import ALL_STATEMENTS, POLICIES, context, person, refs


@pytest.fixture(scope="module")
def sanctuary() -> Pack:
    return load_pack(POLICIES / "sanctuary")


@pytest.fixture(scope="module")
def mo_vs_sanctuary(missouri: Pack, sanctuary: Pack) -> DiffReport:
    return diff(missouri, sanctuary)


def test_diff_shows_program_administration_differs(mo_vs_sanctuary: DiffReport) -> None:
    rows = [
        r
        for r in mo_vs_sanctuary.rows
        if r.requester_kind == "state"
        and r.purpose == "program_administration"
        and r.legal_process == "written_request"
        and r.program == "snap"
        and not r.opted_out
        and not r.determination_on_file
    ]
    assert len(rows) == 1
    assert "snap/address" in rows[0].fields
    assert "snap/immigration_status" not in rows[0].fields
    assert rows[0].decision_a == "shared"
    assert rows[0].rules_a == ("mo-program-administration",)
    assert rows[0].decision_b == "not shared"
    assert rows[0].rules_b == ("sa-default-deny",)


def test_diff_shows_every_compelled_rule_deciding_the_same_way(
    mo_vs_sanctuary: DiffReport,
) -> None:
    assert mo_vs_sanctuary.compelled_scenarios > 1000
    assert mo_vs_sanctuary.compelled_differing == 0
    assert not [
        r
        for r in mo_vs_sanctuary.rows
        if "required by law" in r.decision_a or "required by law" in r.decision_b
    ]
    assert "scenarios a compelled rule decides is decided the same way" in (
        mo_vs_sanctuary.summary()
    )


def test_diff_never_differs_on_fleeing_felon_fields(mo_vs_sanctuary: DiffReport) -> None:
    """7 U.S.C. 2020(e)(8)(E) is compelled: the sanctuary pack carries it too."""
    assert not [
        r
        for r in mo_vs_sanctuary.rows
        if r.purpose == "fleeing_felon"
        and {"snap/address", "snap/ssn", "snap/photo"} & set(r.fields)
    ]


def test_diff_never_differs_on_compelled_reports(mo_vs_sanctuary: DiffReport) -> None:
    assert not [
        r
        for r in mo_vs_sanctuary.rows
        if r.purpose == "unlawful_presence_report" and r.legal_process == "statutory_duty"
    ]


def test_diff_renders_markdown_and_html(mo_vs_sanctuary: DiffReport) -> None:
    md = mo_vs_sanctuary.to_markdown()
    assert md.startswith("# Policy diff: missouri-dss 2.0.0 vs sanctuary 2.0.0")
    assert "| state | written_request | program_administration | snap/address," in md
    html = mo_vs_sanctuary.to_html()
    assert "<table>" in html
    assert "mo-program-administration" in html


def test_identical_packs_do_not_differ(missouri: Pack) -> None:
    same = diff(missouri, missouri)
    assert same.rows == ()
    assert same.differing == 0


def test_explanation_speaks_plainly(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        purpose=Purpose.FLEEING_FELON,
        process=LegalProcessKind.WRITTEN_REQUEST,
        statements=ALL_STATEMENTS,
        fields=refs("snap/address", "snap/benefit_amount"),
    )
    [row] = decide(missouri, ctx, [person("snap")])
    text = explain(missouri, ctx, [("p_abc", row)]).to_text()
    assert "Home address (SNAP): shared (required by law)." in text
    assert "Benefit amount (SNAP): not shared." in text
    assert "authority: 7 U.S.C. 2020(e)(8)(E)" in text
    assert "Tell the person right after." in text
    assert "destroy the data after 1825 days" in text
    data = explain(missouri, ctx, [("p_abc", row)]).to_dict()
    assert data["people"][0]["fields"][0]["rules"][0]["id"] == "mo-snap-fleeing-felon"


def test_replay_counts_people_and_fields_that_change(missouri: Pack, sanctuary: Pack) -> None:
    ctx = context(
        requester=RequesterKind.STATE,
        purpose=Purpose.PROGRAM_ADMINISTRATION,
        process=LegalProcessKind.WRITTEN_REQUEST,
        fields=refs("snap/address", "snap/ssn", "snap/immigration_status"),
        requester_programs=frozenset({Program.SNAP}),
    )
    snap, opted = person("snap"), person("snap", opted_out=True)
    stored = {
        f: {d.field: d.effect for d in row}
        for f, row in zip(
            [snap, opted, None], decide(missouri, ctx, [snap, opted, None]), strict=True
        )
    }
    item = ReplayItem(
        request_id="r1",
        context=ctx,
        classes=(
            ReplayClass(facts=snap, people=3, stored=stored[snap]),
            ReplayClass(facts=opted, people=2, stored=stored[opted]),
            ReplayClass(facts=None, people=1, stored=stored[None]),
        ),
    )
    same = replay(missouri, [item])
    assert same.people == 6
    assert same.people_changed == 0
    report = replay(sanctuary, [item])
    assert report.people_changed == 3
    assert report.newly_withheld == 6  # 3 people × address and SSN
    assert report.newly_disclosed == 0
    assert "3 would be treated differently" in report.to_text()
    assert stored[snap][refs("snap/address")[0]] is Effect.DISCLOSE


@pytest.mark.parametrize("lang", ["en", "es"])
def test_public_page_in_both_languages(missouri: Pack, lang: str) -> None:
    page = public_page(missouri, lang, "html")
    assert f'<html lang="{lang}">' in page
    assert "7 U.S.C. 2020(e)(8)(E)" in page
    assert missouri.content_hash in page
    heading = "How to opt out" if lang == "en" else "Cómo pedir que no compartamos su información"
    assert heading in page
    md = public_page(missouri, lang, "markdown")
    assert md.startswith("# How we share" if lang == "en" else "# Cómo compartimos")
