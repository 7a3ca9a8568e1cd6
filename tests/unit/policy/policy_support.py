"""Helpers shared by the policy tests: building contexts and people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import FleeingFelonStatements, LegalProcess, LegalProcessKind
from custos.domain.programs import FieldRef
from custos.domain.subjects import SubjectFacts
from custos.policy import DecisionContext

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TODAY = dt.date(2026, 3, 2)
ALL_STATEMENTS = FleeingFelonStatements(
    fleeing_or_violating=True, locating_is_official_duty=True, proper_exercise_of_duty=True
)


def refs(*names: str) -> tuple[FieldRef, ...]:
    return tuple(FieldRef.parse(n) for n in names)


def person(*programs: str, determination: bool = False, opted_out: bool = False) -> SubjectFacts:
    return SubjectFacts(
        programs=frozenset(programs), determination_on_file=determination, opted_out=opted_out
    )


def context(
    *,
    requester: RequesterKind,
    purpose: Purpose,
    process: LegalProcessKind,
    fields: tuple[FieldRef, ...],
    statements: FleeingFelonStatements = FleeingFelonStatements(),
    named: bool = True,
    **extra: object,
) -> DecisionContext:
    return DecisionContext(
        requester_kind=requester,
        purpose=purpose,
        legal_process=LegalProcess(kind=process),
        statements=statements,
        fields=fields,
        named=named,
        today=TODAY,
        **extra,  # type: ignore[arg-type]  # tests pass the remaining keyword fields through
    )
