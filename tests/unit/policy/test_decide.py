"""`decide` under the Missouri pack: fail-closed behaviour a caseworker would notice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import cedarpy
import pytest

from custos.domain.decisions import Effect, Notify
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.errors import PolicyError
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import FieldRef, Program
from custos.policy import AgreementFacts, DecisionContext, Pack, class_key, decide, load_pack
from tests.unit.policy.policy_support import ALL_STATEMENTS, POLICIES, TODAY, context, person, refs


def _fleeing_felon(*fields: str) -> DecisionContext:
    return context(
        requester=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        purpose=Purpose.FLEEING_FELON,
        process=LegalProcessKind.WRITTEN_REQUEST,
        statements=ALL_STATEMENTS,
        fields=refs(*fields),
    )


def test_pack_metadata_is_loaded(missouri: Pack) -> None:
    assert missouri.name == "missouri-dss"
    assert missouri.default_retention_days == 1825
    assert "counsel" in missouri.counsel_review_note.lower()
    assert len(missouri.content_hash) == 64
    assert load_pack(POLICIES / "missouri-dss").content_hash == missouri.content_hash


def test_no_match_is_indistinguishable_from_a_denial(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT,
        purpose=Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,
        process=LegalProcessKind.ADMINISTRATIVE_SUBPOENA,
        fields=refs("snap/address", "medicaid/address", "tanf/benefit_amount"),
    )
    matched, unmatched = decide(missouri, ctx, [person("snap", "medicaid", "tanf"), None])
    assert matched == unmatched


def test_no_match_withholds_where_a_match_would_be_disclosed(missouri: Pack) -> None:
    ctx = _fleeing_felon("snap/address")
    matched, unmatched = decide(missouri, ctx, [person("snap"), None])
    assert matched[0].effect is Effect.DISCLOSE
    assert unmatched[0].effect is Effect.WITHHOLD
    assert unmatched[0].rule_ids == ("mo-default-deny",)
    assert unmatched[0].reasons == (missouri.default_deny.summary,)


def test_field_outside_the_catalogue_is_withheld(missouri: Pack) -> None:
    ctx = _fleeing_felon("snap/address", "snap/shoe_size")
    [row] = decide(missouri, ctx, [person("snap")])
    assert row[0].effect is Effect.DISCLOSE
    assert row[1].effect is Effect.WITHHOLD
    assert row[1].rule_ids == ("custos-unknown-field",)


def test_person_not_in_the_program_is_withheld(missouri: Pack) -> None:
    [row] = decide(missouri, _fleeing_felon("snap/address"), [person("tanf")])
    assert row[0].effect is Effect.WITHHOLD


def test_opt_out_turns_off_a_discretionary_permit(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.STATE,
        purpose=Purpose.PROGRAM_ADMINISTRATION,
        process=LegalProcessKind.WRITTEN_REQUEST,
        fields=refs("snap/address"),
        requester_programs=frozenset({Program.SNAP}),
    )
    [shared] = decide(missouri, ctx, [person("snap")])
    assert shared[0].effect is Effect.DISCLOSE
    assert not shared[0].compelled
    [row] = decide(missouri, ctx, [person("snap", opted_out=True)])
    assert row[0].effect is Effect.WITHHOLD
    # The reason says "opted out", not "no rule allows it".
    assert row[0].rule_ids == ("custos-opted-out",)
    assert "opted out" in row[0].reasons[0]


def test_opt_out_never_blocks_a_compelled_disclosure(missouri: Pack) -> None:
    """7 U.S.C. 2020(e)(8)(E): "shall be made available", notwithstanding any other law."""
    [row] = decide(missouri, _fleeing_felon("snap/address"), [person("snap", opted_out=True)])
    assert row[0].effect is Effect.DISCLOSE
    assert row[0].compelled
    assert row[0].obligations.notify is Notify.AFTER


def test_compelled_report_survives_opt_out_and_is_marked_compelled(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT,
        purpose=Purpose.UNLAWFUL_PRESENCE_REPORT,
        process=LegalProcessKind.STATUTORY_DUTY,
        fields=refs("tanf/full_name", "tanf/address", "tanf/benefit_amount"),
    )
    known, unknown = decide(
        missouri,
        ctx,
        [person("tanf", determination=True, opted_out=True), person("tanf")],
    )
    assert [d.effect for d in known] == [Effect.DISCLOSE, Effect.DISCLOSE, Effect.WITHHOLD]
    assert known[0].compelled
    assert known[0].citations == ("42 U.S.C. 611a",)
    # Without a formal determination on file the agency does not "know": nothing goes.
    assert all(d.effect is Effect.WITHHOLD for d in unknown)


def test_medicaid_data_never_serves_immigration_enforcement(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT,
        purpose=Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,
        process=LegalProcessKind.JUDICIAL_WARRANT,
        fields=refs("medicaid/address", "snap/address"),
    )
    [row] = decide(missouri, ctx, [person("medicaid", "snap")])
    assert row[0].effect is Effect.WITHHOLD
    assert "mo-medicaid-purpose" in row[0].rule_ids
    assert "42 U.S.C. 1396a(a)(7)" in row[0].citations
    # SNAP's 7 U.S.C. 2020(e)(8) has no court-order exception: legal review decides.
    assert row[1].effect is Effect.WITHHOLD
    assert not row[1].compelled
    assert row[1].needs_review


def test_bulk_audit_is_compelled_only_under_agreed_protocols(missouri: Pack) -> None:
    wanted = refs("snap/address", "snap/benefit_amount", "snap/immigration_status")
    agreement = AgreementFacts(
        programs=frozenset({Program.SNAP}),
        fields=frozenset(wanted[:2]),
        purposes=frozenset({Purpose.PROGRAM_AUDIT}),
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
        agreement_id="agr-usda-2026",
        protocol_document="USDA-Missouri data and security protocols, v1",
        use_limited_to_program=True,
        no_onward_sharing=True,
    )
    ctx = context(
        requester=RequesterKind.OTHER_FEDERAL,
        purpose=Purpose.PROGRAM_AUDIT,
        process=LegalProcessKind.STATUTORY_DUTY,
        fields=wanted,
        named=False,
        agreement=agreement,
    )
    [row] = decide(missouri, ctx, [person("snap", opted_out=True)])
    assert [d.effect for d in row] == [Effect.GENERALIZE, Effect.DISCLOSE, Effect.WITHHOLD]
    assert row[0].obligations.generalize_to == "county"
    assert row[0].compelled
    assert row[0].needs_review
    # The decision names the agreement and its protocol document.
    assert any("agr-usda-2026" in r and "protocols, v1" in r for r in row[0].reasons)
    # Without agreed protocols (the 2025 statewide demand), nothing leaves; legal review looks.
    loose = dataclasses.replace(agreement, protocol_document="")
    [row] = decide(missouri, dataclasses.replace(ctx, agreement=loose), [person("snap")])
    assert all(d.effect is Effect.WITHHOLD and d.needs_review for d in row)
    expired = dataclasses.replace(ctx, today=dt.date(2027, 1, 1))
    [row] = decide(missouri, expired, [person("snap")])
    assert all(d.effect is Effect.WITHHOLD for d in row)


def test_equal_facts_share_one_decision(missouri: Pack) -> None:
    people = [person("snap"), person("snap"), None, person("snap", opted_out=True)]
    rows = decide(missouri, _fleeing_felon("snap/address"), people)
    assert len(rows) == 4
    assert rows[0] is rows[1]
    assert class_key(people[0]) == class_key(person("snap"))
    assert class_key(people[0]) != class_key(people[3]) != class_key(None)
    assert len(class_key(None)) == 16


def test_evaluation_failure_withholds_and_asks_for_review(missouri: Pack) -> None:
    # A pack whose compiled schema no longer matches the request shape gives NoDecision.
    broken = dataclasses.replace(missouri)
    object.__setattr__(broken, "cedar_schema", missouri.cedar_schema)
    object.__setattr__(broken, "cedar_entities", "not json")
    [row] = decide(broken, _fleeing_felon("snap/address"), [person("snap")])
    assert row[0].effect is Effect.WITHHOLD
    assert row[0].rule_ids == ("custos-evaluation-error",)
    assert row[0].needs_review


def test_broken_pack_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    pack = tmp_path / "broken"
    shutil.copytree(POLICIES / "missouri-dss", pack)
    (pack / "policies" / "99-bad.cedar").write_text("permit(principal, action resource);")
    with pytest.raises(PolicyError, match="broken") as info:
        load_pack(pack)
    assert "does not parse" in info.value.diagnostics()


def test_empty_rule_set_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "empty"
    shutil.copytree(POLICIES / "missouri-dss", pack)
    for f in (pack / "policies").glob("*.cedar"):
        f.unlink()
    with pytest.raises(PolicyError) as info:
        load_pack(pack)
    assert "empty rule set" in info.value.diagnostics()


def test_unknown_field_name_for_a_program_is_not_confused(missouri: Pack) -> None:
    assert FieldRef.parse("snap/photo") in missouri.catalogue
    assert FieldRef.parse("tanf/photo") not in missouri.catalogue
    assert TODAY.year == 2026


def test_remembered_answers_never_outlive_the_policies_that_gave_them(missouri: Pack) -> None:
    # Cedar's answers are remembered per pack object (issue 18). The same question asked
    # again answers alike; a pack derived with other policies asks Cedar afresh.
    ctx, people = _fleeing_felon("snap/address"), [person("snap")]
    first = decide(missouri, ctx, people)
    assert decide(missouri, ctx, people) == first
    assert first[0][0].effect is Effect.DISCLOSE
    silent = dataclasses.replace(missouri, cedar_policies=cedarpy.PolicySet.from_str(""))
    [row] = decide(silent, ctx, people)
    assert row[0].effect is Effect.WITHHOLD
    assert row[0].rule_ids == ("mo-default-deny",)


def test_a_repeated_request_reuses_its_remembered_decisions(missouri: Pack) -> None:
    # Whole decisions are remembered per pack, request context and class of facts (issue 18).
    people = [person("snap"), None]
    first = decide(missouri, _fleeing_felon("snap/address", "snap/ssn"), people)
    again = decide(missouri, _fleeing_felon("snap/address", "snap/ssn"), people)
    assert again[0] is first[0]
    assert again[1] is first[1]
    # Another field list is another question: decided afresh, not read from the first.
    other = decide(missouri, _fleeing_felon("snap/ssn"), people)
    assert other[0] is not first[0]
    assert [d.field for d in other[0]] == list(refs("snap/ssn"))


def test_a_failed_evaluation_is_not_remembered(
    missouri: Pack, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = dataclasses.replace(missouri)  # an empty memo of its own
    ctx, people = _fleeing_felon("snap/address"), [person("snap")]

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("evaluator down")

    monkeypatch.setattr(cedarpy, "is_authorized_batch", broken)
    [failed] = decide(pack, ctx, people)
    assert failed[0].rule_ids == ("custos-evaluation-error",)
    monkeypatch.undo()
    [row] = decide(pack, ctx, people)
    assert row[0].effect is Effect.DISCLOSE
