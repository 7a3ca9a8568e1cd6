"""Properties of `decide`: a field no rule permits is never disclosed; errors never disclose."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import FleeingFelonStatements, LegalProcess, LegalProcessKind
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts
from custos.policy import DecisionContext, Pack, decide, load_pack
from custos.policy._check import compelled_only

POLICIES = Path(__file__).resolve().parents[3] / "policies"
PACKS = {
    name: load_pack(POLICIES / name) for name in ("missouri-dss", "sanctuary", "federal-floor")
}
CATALOGUE = sorted({ref for p in PACKS.values() for ref in p.catalogue})
EXTRA = [
    FieldRef(program=Program.SNAP, name="shoe_size"),
    FieldRef(program=Program.TANF, name="photo"),
]
#: Each pack with only its compelled permits: nothing discretionary may leave under it.
NO_DISCRETION = {n: dataclasses.replace(compelled_only(p)) for n, p in PACKS.items()}

facts = st.builds(
    SubjectFacts,
    programs=st.frozensets(st.sampled_from([p.value for p in Program])),
    determination_on_file=st.booleans(),
    opted_out=st.booleans(),
)
contexts = st.builds(
    DecisionContext,
    requester_kind=st.sampled_from(list(RequesterKind)),
    purpose=st.sampled_from(list(Purpose)),
    legal_process=st.builds(LegalProcess, kind=st.sampled_from(list(LegalProcessKind))),
    statements=st.builds(
        FleeingFelonStatements,
        fleeing_or_violating=st.booleans(),
        locating_is_official_duty=st.booleans(),
        proper_exercise_of_duty=st.booleans(),
    ),
    fields=st.lists(st.sampled_from(CATALOGUE + EXTRA), min_size=1, max_size=6, unique=True).map(
        tuple
    ),
    named=st.booleans(),
    agreement=st.none(),
    emergency=st.booleans(),
    preservation=st.booleans(),
    today=st.just(dt.date(2026, 6, 1)),
)
people = st.lists(st.one_of(st.none(), facts), min_size=1, max_size=5)


def _permitted(pack: Pack, ctx: DecisionContext, f: SubjectFacts | None, ref: FieldRef) -> bool:
    """Whether some permit (and no forbid) of the pack allows it, asked directly of Cedar."""
    if f is None or ref not in pack.catalogue:
        return False
    [row] = decide(pack, dataclasses.replace(ctx, fields=(ref,)), [f])
    return row[0].discloses and all(i in pack.rules for i in row[0].rule_ids)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(PACKS)), ctx=contexts, subjects=people)
def test_unpermitted_fields_are_never_disclosed(
    name: str, ctx: DecisionContext, subjects: list[SubjectFacts | None]
) -> None:
    pack = PACKS[name]
    for f, row in zip(subjects, decide(pack, ctx, subjects), strict=True):
        assert [d.field for d in row] == list(ctx.fields)
        for d in row:
            if d.discloses:
                assert f is not None, "a no-match is never disclosed"
                assert d.field in pack.catalogue, "an unknown field is never disclosed"
                assert _permitted(pack, ctx, f, d.field)
                assert any(pack.rules[i].effect == "permit" for i in d.rule_ids)
                if f.opted_out:
                    assert d.compelled, "an opt-out leaves only compelled disclosures"


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(PACKS)), ctx=contexts, subjects=people)
def test_without_discretionary_permits_only_compelled_leaves(
    name: str, ctx: DecisionContext, subjects: list[SubjectFacts | None]
) -> None:
    pack = NO_DISCRETION[name]
    for row in decide(pack, ctx, subjects):
        assert all(d.compelled for d in row if d.discloses)


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(PACKS)),
    ctx=contexts,
    subjects=people,
    broken=st.sampled_from(["entities", "schema"]),
)
def test_cedar_errors_and_no_decision_never_disclose(
    name: str, ctx: DecisionContext, subjects: list[SubjectFacts | None], broken: str
) -> None:
    pack = dataclasses.replace(PACKS[name])
    if broken == "entities":
        # The evaluator itself fails: every request errors.
        object.__setattr__(pack, "cedar_entities", "not an entity list")
    else:
        # A schema that no request satisfies: Cedar answers NoDecision.
        import cedarpy

        object.__setattr__(
            pack,
            "cedar_schema",
            cedarpy.Schema.from_str(
                'entity Requester; entity Field; action "disclose", "route_to_review" '
                "appliesTo { principal: [Requester], resource: [Field], "
                "context: { never: Long } };"
            ),
        )
    for row in decide(pack, ctx, subjects):
        for d in row:
            assert not d.discloses
            if d.field in pack.catalogue:
                assert d.needs_review
