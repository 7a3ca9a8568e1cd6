"""The scripted story of the issue: what an ICE subpoena and a fleeing-felon request get."""

from __future__ import annotations

import dataclasses

from custos.domain.decisions import Effect, Notify
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import LegalProcessKind
from custos.policy import Pack, decide
from tests.unit.policy.policy_support import ALL_STATEMENTS, context, person, refs


def test_ice_administrative_subpoena_gets_nothing_and_goes_to_legal_review(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT,
        purpose=Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,
        process=LegalProcessKind.ADMINISTRATIVE_SUBPOENA,
        fields=refs("snap/address", "snap/immigration_status"),
    )
    [row] = decide(missouri, ctx, [person("snap")])
    assert [d.effect for d in row] == [Effect.WITHHOLD, Effect.WITHHOLD]
    for d in row:
        # No rule permits it; the subpoena is answered by asserting confidentiality.
        assert "mo-default-deny" in d.rule_ids
        assert "mo-subpoena-assert-confidentiality" in d.rule_ids
        assert "8 U.S.C. 1225(d)(4)" in d.citations
        assert d.needs_review
        assert not d.compelled


def test_fleeing_felon_request_gets_address_ssn_photo_but_not_benefit_amount(
    missouri: Pack,
) -> None:
    ctx = context(
        requester=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        purpose=Purpose.FLEEING_FELON,
        process=LegalProcessKind.WRITTEN_REQUEST,
        statements=ALL_STATEMENTS,
        fields=refs("snap/address", "snap/ssn", "snap/photo", "snap/benefit_amount"),
    )
    [row] = decide(missouri, ctx, [person("snap")])
    effects = {str(d.field): d.effect for d in row}
    assert effects == {
        "snap/address": Effect.DISCLOSE,
        "snap/ssn": Effect.DISCLOSE,
        "snap/photo": Effect.DISCLOSE,
        "snap/benefit_amount": Effect.WITHHOLD,
    }
    address = row[0]
    assert address.rule_ids == ("mo-snap-fleeing-felon",)
    assert address.citations == ("7 U.S.C. 2020(e)(8)(E)",)
    assert address.obligations.retention_days == 1825
    assert address.obligations.no_onward_sharing
    # "Shall be made available": compelled, and the person is told after, not before, so
    # that notice cannot tip off a fugitive.
    assert address.compelled
    assert address.obligations.notify is Notify.AFTER


def test_fleeing_felon_request_missing_one_statement_gets_nothing(missouri: Pack) -> None:
    for missing in ("fleeing_or_violating", "locating_is_official_duty", "proper_exercise_of_duty"):
        ctx = context(
            requester=RequesterKind.LOCAL_LAW_ENFORCEMENT,
            purpose=Purpose.FLEEING_FELON,
            process=LegalProcessKind.WRITTEN_REQUEST,
            statements=dataclasses.replace(ALL_STATEMENTS, **{missing: False}),
            fields=refs("snap/address", "snap/ssn", "snap/photo", "snap/benefit_amount"),
        )
        [row] = decide(missouri, ctx, [person("snap")])
        assert all(d.effect is Effect.WITHHOLD for d in row), missing


def test_fleeing_felon_needs_a_named_person(missouri: Pack) -> None:
    ctx = context(
        requester=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        purpose=Purpose.FLEEING_FELON,
        process=LegalProcessKind.WRITTEN_REQUEST,
        statements=ALL_STATEMENTS,
        fields=refs("snap/address"),
        named=False,
    )
    [row] = decide(missouri, ctx, [person("snap")])
    assert row[0].effect is Effect.WITHHOLD
    assert row[0].rule_ids == ("mo-bulk-needs-duty-and-agreement",)
