"""`custos policy check`: everything that must hold before counsel signs a pack off.

1. The pack loads: metadata, catalogue, Cedar syntax, schema validation, annotations on every
   rule, every citation known (see `_pack`).
2. Its test cases pass, and every rule is exercised by at least one case.
3. No conflict with a compelled federal duty: each probe of `authorities.toml` is disclosed
   and marked compelled, and no forbid overrides a compelled permit anywhere in the scenario
   space.
4. Every disclose permit citing an authority whose text says "shall be made available" (marked
   `compels` in `authorities.toml`) is marked compelled: otherwise an opt-out would block it.
5. Tension with 8 U.S.C. 1373 / 1644 is reported: a forbid that singles out immigration status
   for the immigration agency is flagged for counsel (a warning: its enforceability is
   litigated, see the legal notes, finding 3); so is a pack that withholds status from the
   immigration agency by default with no rule that addresses 1373 / 1644 at all.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cedarpy

from custos.domain.decisions import Effect
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import FleeingFelonStatements, LegalProcess, LegalProcessKind
from custos.domain.programs import FieldRef, Sensitivity
from custos.domain.subjects import SubjectFacts
from custos.policy._authorities import authorities
from custos.policy._cases import TestReport, run_tests
from custos.policy._engine import AgreementFacts, DecisionContext, decide
from custos.policy._pack import DISCLOSE, Pack, PackInvalidError, load_pack
from custos.policy._scenarios import (
    ALL_STATEMENTS,
    SCENARIO_DAY,
    Scenario,
    decide_scenarios,
    sweep,
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, kw_only=True)
class Finding:
    severity: Severity
    #: A stable code: load, test-failure, untested-rule, compelled-duty, forbid-over-compelled,
    #: compelled-not-marked, status-sharing-1373, status-default-deny-1373, no-spanish-summary.
    code: str
    message: str


@dataclass(frozen=True, kw_only=True)
class CheckReport:
    pack: str
    findings: tuple[Finding, ...]
    tests: TestReport | None = None

    @property
    def passed(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)


def check(path: Path) -> CheckReport:
    """Run every check on the pack folder; never raises for a broken pack, reports it."""
    name = Path(path).name
    try:
        pack = load_pack(Path(path))
    except PackInvalidError as exc:
        return CheckReport(pack=name, findings=tuple(_err("load", p) for p in exc.problems))
    findings: list[Finding] = []
    try:
        tests = run_tests(pack)
    except PackInvalidError as exc:
        return CheckReport(pack=pack.label, findings=tuple(_err("load", p) for p in exc.problems))
    if not tests.results:
        findings.append(_err("test-failure", "the pack has no test cases (tests/*.toml)"))
    findings.extend(
        _err(
            "test-failure",
            f"case {failure.case.name!r} ({failure.case.source}): {m.field} expected "
            f"{m.expected}, got {m.actual} (rules: {', '.join(m.rules_fired)})",
        )
        for failure in tests.failures
        for m in failure.mismatches
    )
    fired = tests.rules_fired
    findings.extend(
        _err(
            "untested-rule",
            f"rule {rule.id} ({rule.source}) is not exercised by any test case; "
            "add a case in tests/ where it decides a field",
        )
        for rule in pack.rules.values()
        if rule.id not in fired
    )
    findings.extend(_compelled_duties(pack))
    findings.extend(_forbids_over_compelled(pack))
    findings.extend(_compelled_not_marked(pack))
    findings.extend(_status_sharing(pack))
    findings.extend(_status_default_deny(pack))
    findings.extend(_spanish_summaries(pack))
    return CheckReport(pack=pack.label, findings=tuple(findings), tests=tests)


def _spanish_summaries(pack: Pack) -> list[Finding]:
    """The public policy page is in English and Spanish: a rule without `@summary_es` shows
    its English text there, marked as such. A warning, not an error: a pack may be adopted
    before its translation is."""
    return [
        Finding(
            severity=Severity.WARNING,
            code="no-spanish-summary",
            message=(
                f"rule {rule.id} ({rule.source}) has no @summary_es: the Spanish policy page "
                "shows its English summary"
            ),
        )
        for rule in pack.rules.values()
        if not rule.summary_es
    ]


def _err(code: str, message: str) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message)


def _compelled_duties(pack: Pack) -> list[Finding]:
    out: list[Finding] = []
    for duty in authorities().compelled_duties:
        refs = tuple(FieldRef.parse(f) for f in duty.fields)
        agreement = None
        if duty.agreed_protocols:
            agreement = AgreementFacts(
                programs=frozenset(r.program for r in refs),
                fields=frozenset(refs),
                purposes=frozenset({Purpose(duty.purpose)}),
                agreement_id="probe",
                protocol_document="agreed data and security protocols",
                use_limited_to_program=True,
                no_onward_sharing=True,
            )
        ctx = DecisionContext(
            requester_kind=RequesterKind(duty.requester_kind),
            purpose=Purpose(duty.purpose),
            legal_process=LegalProcess(kind=LegalProcessKind(duty.legal_process)),
            statements=ALL_STATEMENTS if duty.statements else FleeingFelonStatements(),
            fields=refs,
            named=duty.named,
            agreement=agreement,
            today=SCENARIO_DAY,
        )
        facts = SubjectFacts(
            programs=duty.programs,
            determination_on_file=duty.determination_on_file,
            opted_out=duty.opted_out,
        )
        [row] = decide(pack, ctx, [facts])
        out.extend(
            _err(
                "compelled-duty",
                f"conflict with a compelled federal duty ({duty.citation}: {duty.description}): "
                f"{d.field} is {d.effect.value}"
                f"{'' if d.compelled else ' and not marked compelled'} "
                f"(rules: {', '.join(d.rule_ids)})",
            )
            for d in row
            if not (d.discloses and d.compelled)
        )
    return out


def compelled_only(pack: Pack) -> Pack:
    """The same pack with only its compelled permits: what the law alone would require."""
    raw = json.loads(cedarpy.policies_to_json_str(pack.policy_text))
    raw["staticPolicies"] = {
        k: v
        for k, v in raw["staticPolicies"].items()
        if v.get("effect") == "permit" and v.get("annotations", {}).get("compelled") == "true"
    }
    policies = cedarpy.PolicySet.from_json_str(json.dumps(raw))
    return dataclasses.replace(pack, cedar_policies=policies)


def _forbids_over_compelled(pack: Pack) -> list[Finding]:
    if not any(r.compelled for r in pack.rules.values()):
        return []
    # Where would the compelled permits alone disclose? Decide only those under the full pack.
    loose = {s: d for s, d in sweep(compelled_only(pack), review=False).items() if d.compelled}
    full = decide_scenarios(pack, loose, review=False)
    seen: set[tuple[str, ...]] = set()
    out: list[Finding] = []
    for scenario, decision in sorted(full.items()):
        other = loose[scenario]
        if not decision.discloses:
            key = decision.rule_ids
            if key in seen:
                continue
            seen.add(key)
            out.append(
                _err(
                    "forbid-over-compelled",
                    f"{', '.join(decision.rule_ids)} withholds what compelled rule(s) "
                    f"{', '.join(r for r in other.rule_ids if pack.rules[r].compelled)} require, "
                    f"e.g. {_describe(scenario)}",
                )
            )
    return out


def _compelled_not_marked(pack: Pack) -> list[Finding]:
    """A permit citing a "shall be made available" authority must be marked compelled."""
    known = authorities().known
    out: list[Finding] = []
    for rule in pack.rules.values():
        if rule.effect != "permit" or rule.action != DISCLOSE or rule.compelled:
            continue
        compelling = [c for c in rule.citations if c in known and known[c].compels]
        if compelling:
            out.append(
                _err(
                    "compelled-not-marked",
                    f"rule {rule.id} ({rule.source}) cites {', '.join(compelling)}, whose text "
                    'says the information "shall be made available", but is not marked '
                    '@compelled("true"): an opt-out would block what the law requires',
                )
            )
    return out


#: Authorities a pack cites to show counsel weighed the bar on restricting status sharing.
STATUS_SHARING_AUTHORITIES = frozenset({"8 U.S.C. 1373", "8 U.S.C. 1644"})


def _status_default_deny(pack: Pack) -> list[Finding]:
    """Warn when status is withheld from DHS by default and no rule addresses 1373 / 1644."""
    if any(set(r.citations) & STATUS_SHARING_AUTHORITIES for r in pack.rules.values()):
        return []
    kind = RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT
    status = [
        ref
        for ref, spec in pack.catalogue.items()
        if spec.sensitivity is Sensitivity.IMMIGRATION_STATUS
    ]
    example = next(
        (
            s
            for s, d in sorted(sweep(pack, status, review=False, kinds=frozenset({kind})).items())
            if d.rule_ids == (pack.default_deny.rule_id,)
        ),
        None,
    )
    if example is None:
        return []
    return [
        Finding(
            severity=Severity.WARNING,
            code="status-default-deny-1373",
            message=(
                "the pack withholds immigration status from the immigration agency by default "
                f"(e.g. {_describe(example)}) and no rule addresses 8 U.S.C. 1373 or 8 U.S.C. "
                "1644, which bar restricting such sharing: a policy risk counsel must weigh"
            ),
        )
    ]


def _status_sharing(pack: Pack) -> list[Finding]:
    """Flag forbids that fire on immigration status but not on other fields alike."""
    full = sweep(
        pack, review=False, kinds=frozenset({RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT})
    )
    by_key: dict[tuple[object, ...], dict[FieldRef, set[str]]] = {}
    for scenario, decision in full.items():
        if scenario.requester_kind is not RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT:
            continue
        forbids = {
            i for i in decision.rule_ids if i in pack.rules and pack.rules[i].effect == "forbid"
        }
        key = (
            scenario.legal_process,
            scenario.purpose,
            scenario.program,
            scenario.opted_out,
            scenario.determination_on_file,
        )
        by_key.setdefault(key, {})[scenario.field] = forbids
    flagged: dict[str, str] = {}
    for fields in by_key.values():
        status = [
            f for f in fields if pack.catalogue[f].sensitivity is Sensitivity.IMMIGRATION_STATUS
        ]
        others = [f for f in fields if f not in status]
        common = set.intersection(*(fields[f] for f in others)) if others else set()
        for f in status:
            for rule_id in sorted(fields[f] - common):
                flagged.setdefault(rule_id, str(f))
    return [
        Finding(
            severity=Severity.WARNING,
            code="status-sharing-1373",
            message=(
                f"rule {rule_id} forbids sharing immigration status ({example}) with the "
                "immigration agency: in tension with 8 U.S.C. 1373 and 8 U.S.C. 1644, which "
                "bar restricting such sharing; its enforceability is litigated, counsel must "
                "review it"
            ),
        )
        for rule_id, example in sorted(flagged.items())
    ]


def _describe(s: Scenario) -> str:
    return (
        f"{s.requester_kind.value} / {s.legal_process.value} / {s.purpose.value} / {s.field}"
        f"{' / opted out' if s.opted_out else ''}"
        f"{' / determination on file' if s.determination_on_file else ''}"
    )


def effect_word(effect: Effect) -> str:
    return {Effect.DISCLOSE: "disclose", Effect.GENERALIZE: "generalize"}.get(effect, "withhold")
