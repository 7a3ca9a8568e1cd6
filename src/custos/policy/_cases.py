"""A pack's own test cases (`tests/*.toml`) and the runner behind `custos policy test`.

Each case states a request, one person (or no match) and the expected effect per field; it may
also pin the rules, the compelled flag and review routing. A case may give the requester's own
programs (`requester_programs`), the legal document's recorded `scope` (with the `people` it
names, each an inline table of `case_number`, `ssn`, or `full_name` and `birth_date`) and
`expires_on`, how the request names the person (`named_as`, same shape), and an agreement with
its protocol terms. Cases are data next to the rules,
so counsel can read what each rule is meant to do.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from custos.domain.decisions import Effect, FieldDecision
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import (
    DocumentScope,
    FleeingFelonStatements,
    LegalProcess,
    LegalProcessKind,
)
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts, SubjectIdentifier
from custos.policy._engine import AgreementFacts, DecisionContext, Subject, decide, within_scope
from custos.policy._pack import Pack, PackInvalidError

#: The date cases are decided on unless they give `today`.
CASE_DAY = dt.date(2026, 6, 1)


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    source: str
    context: DecisionContext
    #: The person's facts, None (no match), or OUTSIDE_SCOPE when the scope does not name them.
    facts: Subject
    expect: Mapping[FieldRef, Effect]
    compelled: frozenset[FieldRef] | None = None
    review: bool | None = None
    rules: Mapping[FieldRef, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Mismatch:
    """One field whose decision differs from the case's expectation."""

    field: FieldRef
    expected: str
    actual: str
    rules_fired: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CaseResult:
    case: Case
    decisions: tuple[FieldDecision, ...]
    mismatches: tuple[Mismatch, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True, kw_only=True)
class TestReport:
    pack: str
    results: tuple[CaseResult, ...]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def rules_fired(self) -> frozenset[str]:
        return frozenset(i for r in self.results for d in r.decisions for i in d.rule_ids)


def load_cases(pack: Pack) -> list[Case]:
    """Read every case of the pack; raises PackInvalidError naming each malformed case."""
    problems: list[str] = []
    cases: list[Case] = []
    for file in sorted((pack.path / "tests").glob("*.toml")):
        try:
            raw = tomllib.loads(file.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"tests/{file.name} is not valid TOML: {exc}")
            continue
        for i, entry in enumerate(raw.get("case", []), start=1):
            try:
                cases.append(_case(f"tests/{file.name}", entry))
            except (KeyError, ValueError, TypeError) as exc:
                name = entry.get("name", f"#{i}") if isinstance(entry, dict) else f"#{i}"
                problems.append(f"tests/{file.name}: case {name!r} is malformed ({exc})")
    if problems:
        raise PackInvalidError(pack.name, problems)
    return cases


def _refs(values: Any) -> list[FieldRef]:
    return [FieldRef.parse(str(v)) for v in values]


def _case(source: str, raw: dict[str, Any]) -> Case:
    statements = set(raw.get("statements", []))
    unknown = statements - {
        "fleeing_or_violating",
        "locating_is_official_duty",
        "proper_exercise_of_duty",
    }
    if unknown:
        raise ValueError(f"unknown statements {sorted(unknown)}")
    expect = {FieldRef.parse(k): Effect(v) for k, v in dict(raw["expect"]).items()}
    if not expect:
        raise ValueError("expect names no field")
    context = DecisionContext(
        requester_kind=RequesterKind(raw["requester_kind"]),
        purpose=Purpose(raw["purpose"]),
        legal_process=_process(raw),
        statements=FleeingFelonStatements(**dict.fromkeys(statements, True)),
        fields=tuple(expect),
        named=bool(raw.get("named", True)),
        agreement=_agreement(raw["agreement"]) if "agreement" in raw else None,
        emergency=bool(raw.get("emergency", False)),
        preservation=bool(raw.get("preservation", False)),
        today=raw.get("today", CASE_DAY),
        requester_programs=frozenset(Program(p) for p in raw.get("requester_programs", [])),
    )
    subject = raw["subject"]
    facts: SubjectFacts | None = None
    if subject != "no-match":
        facts = SubjectFacts(
            programs=frozenset(Program(p).value for p in subject["programs"]),
            determination_on_file=bool(subject.get("determination_on_file", False)),
            opted_out=bool(subject.get("opted_out", False)),
        )
    named_as = _identifier(raw["named_as"]) if "named_as" in raw else None
    return Case(
        name=str(raw["name"]),
        source=source,
        context=context,
        facts=within_scope(context, named_as, facts),
        expect=expect,
        compelled=frozenset(_refs(raw["compelled"])) if "compelled" in raw else None,
        review=bool(raw["review"]) if "review" in raw else None,
        rules={FieldRef.parse(k): tuple(v) for k, v in dict(raw.get("rules", {})).items()},
    )


def _process(raw: dict[str, Any]) -> LegalProcess:
    """`legal_process`, with an optional `expires_on` and a recorded `scope` table."""
    scope = None
    if "scope" in raw:
        s = raw["scope"]
        scope = DocumentScope(
            programs=frozenset(Program(p) for p in s.get("programs", [])),
            fields=frozenset(_refs(s.get("fields", []))),
            people=frozenset(_identifier(p) for p in s.get("people", [])),
            period_from=s.get("period_from"),
            period_until=s.get("period_until"),
        )
    return LegalProcess(
        kind=LegalProcessKind(raw["legal_process"]),
        expires_on=raw.get("expires_on"),
        scope=scope,
    )


def _identifier(raw: dict[str, Any]) -> SubjectIdentifier:
    """A person as a document or request names them; raises ValueError or TypeError if not one
    of the three routes."""
    return SubjectIdentifier(**{str(k): v for k, v in dict(raw).items()})


def _agreement(a: dict[str, Any]) -> AgreementFacts:
    return AgreementFacts(
        programs=frozenset(Program(p) for p in a.get("programs", [])),
        fields=frozenset(_refs(a.get("fields", []))),
        purposes=frozenset(Purpose(p) for p in a.get("purposes", [])),
        valid_from=a.get("valid_from"),
        valid_until=a.get("valid_until"),
        agreement_id=str(a.get("id", "")),
        protocol_document=str(a.get("protocol_document", "")),
        use_limited_to_program=bool(a.get("use_limited_to_program", False)),
        no_onward_sharing=bool(a.get("no_onward_sharing", False)),
        administers=frozenset(Program(p) for p in a.get("administers", [])),
    )


def run_case(pack: Pack, case: Case) -> CaseResult:
    [row] = decide(pack, case.context, [case.facts])
    mismatches: list[Mismatch] = []
    for d in row:
        expected = case.expect[d.field]
        if d.effect is not expected:
            mismatches.append(_mismatch(d, expected.value, d.effect.value))
        if case.compelled is not None and d.compelled != (d.field in case.compelled):
            want = "compelled" if d.field in case.compelled else "not compelled"
            have = "compelled" if d.compelled else "not compelled"
            mismatches.append(_mismatch(d, want, have))
        if case.review is not None and d.needs_review != case.review:
            mismatches.append(
                _mismatch(
                    d,
                    "needs review" if case.review else "no review",
                    "needs review" if d.needs_review else "no review",
                )
            )
        if d.field in case.rules and set(case.rules[d.field]) != set(d.rule_ids):
            mismatches.append(
                _mismatch(
                    d, "rules " + ", ".join(case.rules[d.field]), "rules " + ", ".join(d.rule_ids)
                )
            )
    return CaseResult(case=case, decisions=row, mismatches=tuple(mismatches))


def _mismatch(d: FieldDecision, expected: str, actual: str) -> Mismatch:
    return Mismatch(field=d.field, expected=expected, actual=actual, rules_fired=d.rule_ids)


def run_tests(pack: Pack) -> TestReport:
    """Run every case of the pack (`custos policy test`)."""
    return TestReport(pack=pack.label, results=tuple(run_case(pack, c) for c in load_cases(pack)))
