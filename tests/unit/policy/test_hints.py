"""What the requester form's purpose hint says a pack could give, against the pack's rules."""

from __future__ import annotations

from custos.domain.decisions import Effect
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.programs import FieldRef, Program
from custos.policy import Pack, permitted_fields
from custos.policy._scenarios import sweep

POLICE = RequesterKind.LOCAL_LAW_ENFORCEMENT
ICE = RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT


def test_fleeing_felon_gets_only_what_the_snap_rule_names(missouri: Pack) -> None:
    hints = permitted_fields(
        missouri,
        requester_kind=POLICE,
        requester_programs=frozenset(),
        purposes=(Purpose.FLEEING_FELON,),
    )
    snap = {ref.name for ref in hints[Purpose.FLEEING_FELON] if ref.program is Program.SNAP}
    assert snap == {"address", "ssn", "photo"}


def test_civil_immigration_enforcement_needs_a_judge(missouri: Pack) -> None:
    """Nothing is given to civil immigration enforcement on an agency's own paper."""
    hints = permitted_fields(
        missouri,
        requester_kind=ICE,
        requester_programs=frozenset(),
        purposes=(Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,),
    )
    given = hints[Purpose.CIVIL_IMMIGRATION_ENFORCEMENT]
    assert given
    for ref, processes in given.items():
        assert all(p.judicial for p in processes), (ref, processes)
    assert FieldRef(program=Program.SNAP, name="immigration_status") not in given


def test_every_disclosure_of_the_scenario_sweep_is_in_the_hint(missouri: Pack) -> None:
    """The hint is an upper bound: whatever the policy check's sweep discloses to a kind of
    requester (running every program) the hint lists, with that legal process. Fleeing-felon
    requests are the richest case: statements, compelled rules, judicial scope."""
    hints = permitted_fields(
        missouri,
        requester_kind=POLICE,
        requester_programs=frozenset(Program),
        purposes=(Purpose.FLEEING_FELON,),
    )
    decided = sweep(missouri, review=False, kinds=frozenset({POLICE}))
    for scenario, decision in decided.items():
        if scenario.purpose is not Purpose.FLEEING_FELON or scenario.opted_out:
            continue
        if decision.effect is Effect.WITHHOLD:
            continue
        assert scenario.legal_process in hints[scenario.purpose].get(scenario.field, ()), scenario
