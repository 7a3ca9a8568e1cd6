"""A generated space of scenarios, for `diff`, and for `check`'s conflict and 1373 probes.

The space is requester kind × legal process × program × field × opt-out × determination on
file. Purpose is not a free dimension (most combinations are meaningless); each requester kind
is paired with the purposes such a requester states in practice. Fleeing-felon scenarios carry
all three statements; audit scenarios carry an agreement with agreed protocols covering every
field; a judicial document's recorded scope names every program; the requester runs every
program.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from custos.domain.decisions import FieldDecision
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import (
    DocumentScope,
    FleeingFelonStatements,
    LegalProcess,
    LegalProcessKind,
)
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts
from custos.policy._engine import AgreementFacts, DecisionContext, decide_classes
from custos.policy._pack import Pack

SCENARIO_DAY = dt.date(2026, 6, 1)

R, P = RequesterKind, Purpose
PURPOSES: dict[RequesterKind, tuple[Purpose, ...]] = {
    R.FEDERAL_IMMIGRATION_ENFORCEMENT: (
        P.CIVIL_IMMIGRATION_ENFORCEMENT,
        P.UNLAWFUL_PRESENCE_REPORT,
        P.FLEEING_FELON,
    ),
    R.OTHER_FEDERAL: (
        P.PROGRAM_ADMINISTRATION,
        P.PROGRAM_AUDIT,
        P.PROGRAM_VIOLATION_INVESTIGATION,
        P.CRIMINAL_INVESTIGATION,
        P.FLEEING_FELON,
    ),
    R.STATE: (P.PROGRAM_ADMINISTRATION, P.PROGRAM_VIOLATION_INVESTIGATION, P.FLEEING_FELON),
    R.LOCAL_LAW_ENFORCEMENT: (
        P.CRIMINAL_INVESTIGATION,
        P.FLEEING_FELON,
        P.PROGRAM_VIOLATION_INVESTIGATION,
    ),
    R.COMPTROLLER_GENERAL: (P.PROGRAM_AUDIT,),
    R.COURT: (P.COURT_PROCEEDING, P.PROGRAM_VIOLATION_INVESTIGATION),
    R.OTHER: (P.OTHER,),
}
ALL_STATEMENTS = FleeingFelonStatements(
    fleeing_or_violating=True, locating_is_official_duty=True, proper_exercise_of_duty=True
)


@dataclass(frozen=True, kw_only=True, order=True)
class Scenario:
    requester_kind: RequesterKind
    legal_process: LegalProcessKind
    purpose: Purpose
    field: FieldRef
    opted_out: bool
    determination_on_file: bool

    @property
    def program(self) -> Program:
        return self.field.program


def scenario_context(
    kind: RequesterKind,
    process: LegalProcessKind,
    purpose: Purpose,
    refs: tuple[FieldRef, ...],
) -> DecisionContext:
    """The request a scenario stands for: named, by a requester that runs every program,
    with the statements, the agreed protocols or a document naming every program as fits."""
    everything = AgreementFacts(
        programs=frozenset(Program),
        fields=frozenset(refs),
        purposes=frozenset(Purpose),
        agreement_id="scenario",
        protocol_document="agreed data and security protocols",
        use_limited_to_program=True,
        no_onward_sharing=True,
    )
    scope = DocumentScope(programs=frozenset(Program)) if process.judicial else None
    return DecisionContext(
        requester_kind=kind,
        purpose=purpose,
        legal_process=LegalProcess(kind=process, scope=scope),
        statements=ALL_STATEMENTS if purpose is Purpose.FLEEING_FELON else FleeingFelonStatements(),
        fields=refs,
        named=True,
        agreement=everything if purpose is Purpose.PROGRAM_AUDIT else None,
        today=SCENARIO_DAY,
        requester_programs=frozenset(Program),
    )


def contexts(
    refs: tuple[FieldRef, ...], kinds: frozenset[RequesterKind] | None = None
) -> Iterator[DecisionContext]:
    for kind, process in itertools.product(RequesterKind, LegalProcessKind):
        if kinds is not None and kind not in kinds:
            continue
        for purpose in PURPOSES[kind]:
            yield scenario_context(kind, process, purpose, refs)


def facts_of(scenario: Scenario) -> SubjectFacts:
    return SubjectFacts(
        programs=frozenset(p.value for p in Program),
        determination_on_file=scenario.determination_on_file,
        opted_out=scenario.opted_out,
    )


def decide_scenarios(
    pack: Pack, scenarios: Iterable[Scenario], *, review: bool = True
) -> dict[Scenario, FieldDecision]:
    """Decide the given scenarios only (grouped into as few Cedar batches as possible)."""
    groups: dict[tuple[RequesterKind, LegalProcessKind, Purpose], list[Scenario]] = {}
    for s in scenarios:
        groups.setdefault((s.requester_kind, s.legal_process, s.purpose), []).append(s)
    out: dict[Scenario, FieldDecision] = {}
    for (kind, process, purpose), members in groups.items():
        refs = tuple(sorted({s.field for s in members}))
        ctx = scenario_context(kind, process, purpose, refs)
        facts = {facts_of(s) for s in members}
        table = decide_classes(pack, ctx, facts, validate_requests=False, review=review)
        for s in members:
            row = table[facts_of(s)]
            out[s] = row[refs.index(s.field)]
    return out


def subject_classes() -> list[SubjectFacts]:
    """The person is enrolled in every program, so each field is theirs."""
    everywhere = frozenset(p.value for p in Program)
    return [
        SubjectFacts(programs=everywhere, determination_on_file=det, opted_out=opt)
        for opt, det in itertools.product((False, True), (False, True))
    ]


def sweep(
    pack: Pack,
    refs: Iterable[FieldRef] | None = None,
    *,
    review: bool = True,
    kinds: frozenset[RequesterKind] | None = None,
) -> dict[Scenario, FieldDecision]:
    """Decide every scenario under `pack` (cached per pack object and arguments)."""
    chosen = tuple(sorted(set(refs) if refs is not None else set(pack.catalogue)))
    return dict(_sweep(pack, chosen, review=review, kinds=kinds))


@cache
def _sweep(
    pack: Pack,
    refs: tuple[FieldRef, ...],
    *,
    review: bool,
    kinds: frozenset[RequesterKind] | None,
) -> tuple[tuple[Scenario, FieldDecision], ...]:
    out: list[tuple[Scenario, FieldDecision]] = []
    classes = subject_classes()
    for ctx in contexts(refs, kinds):
        table = decide_classes(pack, ctx, classes, validate_requests=False, review=review)
        for facts, row in table.items():
            if not isinstance(facts, SubjectFacts):  # never passed in; keeps the types honest
                continue
            for decision in row:
                scenario = Scenario(
                    requester_kind=ctx.requester_kind,
                    legal_process=ctx.legal_process.kind,
                    purpose=ctx.purpose,
                    field=decision.field,
                    opted_out=facts.opted_out,
                    determination_on_file=facts.determination_on_file,
                )
                out.append((scenario, decision))
    return tuple(out)
