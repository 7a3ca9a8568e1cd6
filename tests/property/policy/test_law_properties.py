"""Properties of the law as the engine applies it, under all three packs.

1. An opt-out never blocks a compelled disclosure and never lets a discretionary one through.
2. No disclosed field lies outside the legal document's recorded scope: neither a field nor a
   person it does not name (and such a person's decision reads the same as a no-match's).
3. A legal process that has expired never releases anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import (
    DocumentScope,
    FleeingFelonStatements,
    LegalProcess,
    LegalProcessKind,
)
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts, SubjectIdentifier
from custos.policy import AgreementFacts, DecisionContext, decide, load_pack, within_scope

POLICIES = Path(__file__).resolve().parents[3] / "policies"
PACKS = {
    name: load_pack(POLICIES / name) for name in ("missouri-dss", "sanctuary", "federal-floor")
}
CATALOGUE = sorted({ref for p in PACKS.values() for ref in p.catalogue})
TODAY = dt.date(2026, 6, 1)

refs = st.lists(st.sampled_from(CATALOGUE), min_size=1, max_size=6, unique=True).map(tuple)
programs = st.frozensets(st.sampled_from(list(Program)))
scopes = st.one_of(
    st.none(),
    st.builds(
        DocumentScope,
        programs=programs,
        fields=st.frozensets(st.sampled_from(CATALOGUE), max_size=6),
    ),
)
agreements = st.one_of(
    st.none(),
    st.builds(
        AgreementFacts,
        programs=programs,
        fields=st.frozensets(st.sampled_from(CATALOGUE), max_size=8),
        purposes=st.frozensets(st.sampled_from(list(Purpose))),
        agreement_id=st.just("agr"),
        protocol_document=st.sampled_from(["", "protocols v1"]),
        use_limited_to_program=st.booleans(),
        no_onward_sharing=st.booleans(),
        administers=programs,
    ),
)
contexts = st.builds(
    DecisionContext,
    requester_kind=st.sampled_from(list(RequesterKind)),
    purpose=st.sampled_from(list(Purpose)),
    legal_process=st.builds(
        LegalProcess, kind=st.sampled_from(list(LegalProcessKind)), scope=scopes
    ),
    statements=st.builds(
        FleeingFelonStatements,
        fleeing_or_violating=st.booleans(),
        locating_is_official_duty=st.booleans(),
        proper_exercise_of_duty=st.booleans(),
    ),
    fields=refs,
    named=st.booleans(),
    agreement=agreements,
    emergency=st.booleans(),
    preservation=st.just(value=False),
    today=st.just(TODAY),
    requester_programs=programs,
)
people = st.builds(
    SubjectFacts,
    programs=st.frozensets(st.sampled_from([p.value for p in Program]), min_size=1),
    determination_on_file=st.booleans(),
    opted_out=st.just(value=False),
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(PACKS)), ctx=contexts, person=people)
def test_opt_out_binds_discretionary_rules_only(
    name: str, ctx: DecisionContext, person: SubjectFacts
) -> None:
    pack = PACKS[name]
    opted = dataclasses.replace(person, opted_out=True)
    before, after = decide(pack, ctx, [person, opted])
    for d, o in zip(before, after, strict=True):
        if d.discloses and d.compelled:
            assert o.effect is d.effect, "an opt-out never blocks a compelled disclosure"
            assert o.compelled
        if o.discloses:
            assert o.compelled, "an opt-out never lets a discretionary disclosure through"
        elif d.discloses:
            assert o.rule_ids[0] == "custos-opted-out"


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(PACKS)), ctx=contexts, person=people)
def test_nothing_outside_the_recorded_scope_is_disclosed(
    name: str, ctx: DecisionContext, person: SubjectFacts
) -> None:
    scope = ctx.legal_process.scope
    [row] = decide(PACKS[name], ctx, [person])
    for d in row:
        if scope is not None and not scope.names_field(d.field):
            assert not d.discloses
            assert d.rule_ids[0] == "custos-outside-scope"


identifiers = st.one_of(
    st.builds(SubjectIdentifier, case_number=st.sampled_from(["1000000001", "1000000002"])),
    st.builds(SubjectIdentifier, ssn=st.sampled_from(["123-45-6789", "987654321"])),
    st.builds(
        SubjectIdentifier,
        full_name=st.sampled_from(["Ana María López", "ANA MARIA LOPEZ", "Li Wei"]),
        birth_date=st.sampled_from([dt.date(1990, 4, 2), dt.date(1985, 1, 9)]),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(PACKS)),
    ctx=contexts,
    person=st.one_of(st.none(), people),
    named_people=st.frozensets(identifiers, min_size=1, max_size=3),
    subject=st.one_of(st.none(), identifiers),
)
def test_nobody_the_recorded_scope_leaves_out_is_disclosed(
    name: str,
    ctx: DecisionContext,
    person: SubjectFacts | None,
    named_people: frozenset[SubjectIdentifier],
    subject: SubjectIdentifier | None,
) -> None:
    """A scope naming people reaches only them: anyone else (a bulk subject too) gets nothing,
    withheld as outside the scope exactly as a no-match would be; a person it names is decided
    as if the scope named nobody in particular."""
    pack = PACKS[name]
    open_scope = ctx.legal_process.scope or DocumentScope(programs=frozenset(Program))
    scoped = dataclasses.replace(
        ctx,
        legal_process=dataclasses.replace(
            ctx.legal_process, scope=dataclasses.replace(open_scope, people=named_people)
        ),
    )
    [row] = decide(pack, scoped, [within_scope(scoped, subject, person)])
    named = subject is not None and subject.key() in {p.key() for p in named_people}
    if not named:
        [as_no_match] = decide(pack, scoped, [within_scope(scoped, subject, None)])
        assert row == as_no_match
        for d in row:
            assert not d.discloses
            if d.field in pack.catalogue and not ctx.legal_process.expired(TODAY):
                assert d.rule_ids[0] == "custos-outside-scope"
    else:
        unbounded = dataclasses.replace(
            ctx, legal_process=dataclasses.replace(ctx.legal_process, scope=open_scope)
        )
        assert row == decide(pack, unbounded, [person])[0]


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(PACKS)),
    ctx=contexts,
    person=people,
    days=st.integers(min_value=1, max_value=3650),
)
def test_an_expired_process_never_releases(
    name: str, ctx: DecisionContext, person: SubjectFacts, days: int
) -> None:
    expired = dataclasses.replace(
        ctx,
        legal_process=dataclasses.replace(
            ctx.legal_process, expires_on=TODAY - dt.timedelta(days=days)
        ),
    )
    for row in decide(PACKS[name], expired, [person, None]):
        for d in row:
            assert not d.discloses
            if d.field in PACKS[name].catalogue:
                assert d.rule_ids[0] == "custos-process-expired"


def test_the_strategies_reach_both_sides() -> None:
    """Guard against a vacuous property: some contexts disclose, some compelled."""
    pack = PACKS["missouri-dss"]
    ctx = DecisionContext(
        requester_kind=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        purpose=Purpose.PROGRAM_VIOLATION_INVESTIGATION,
        legal_process=LegalProcess(kind=LegalProcessKind.WRITTEN_REQUEST),
        fields=(FieldRef.parse("snap/address"),),
        named=True,
        today=TODAY,
    )
    [[d]] = decide(
        pack,
        ctx,
        [SubjectFacts(programs=frozenset({"snap"}), determination_on_file=False, opted_out=True)],
    )
    assert d.discloses
    assert d.compelled
