"""Deciding a request under a pack, field by field, with Cedar.

Per person × field the effect is disclose, generalize or withhold, with the rules, citations
and obligations that decided it. The engine fails closed: a field missing from the catalogue,
a Cedar `NoDecision`, any evaluation error, or no permitting rule all withhold.

Speed (see the project's Cedar notes): a call through the binding costs tens of microseconds,
so decisions are computed once per equivalence class of the facts the policies read
(`SubjectFacts` is hashable), never once per person. A million people who share their facts
cost one Cedar call per field and action.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cedarpy

from custos.domain.decisions import Effect, FieldDecision, Notify, Obligations
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import FleeingFelonStatements, LegalProcess
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts
from custos.policy._pack import DISCLOSE, REQUESTER_ID, REVIEW, Pack, Rule

#: Rule ids the engine itself uses when the pack's rules cannot speak.
UNKNOWN_FIELD_RULE = "custos-unknown-field"
EVALUATION_ERROR_RULE = "custos-evaluation-error"

_UNKNOWN_FIELD_REASON = "This field is not in the pack's field catalogue, so it is withheld."
_EVALUATION_ERROR_REASON = (
    "The rules could not be evaluated for this field, so it is withheld and sent for review."
)
_NOTIFY_ORDER = {Notify.NONE: 0, Notify.AFTER: 1, Notify.BEFORE: 2}


@dataclass(frozen=True, kw_only=True)
class AgreementFacts:
    """A data-sharing agreement (MOU) as the policies see it.

    It covers a field only when the field's program, the field itself and the request's purpose
    are all listed and the request date lies inside its validity. Empty sets cover nothing.
    """

    programs: frozenset[Program]
    fields: frozenset[FieldRef]
    purposes: frozenset[Purpose]
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until

    def covers(self, ref: FieldRef, purpose: Purpose, day: dt.date) -> bool:
        return (
            self.valid_on(day)
            and ref.program in self.programs
            and ref in self.fields
            and purpose in self.purposes
        )


@dataclass(frozen=True, kw_only=True)
class DecisionContext:
    """Everything about a request the policies read, apart from the people it names."""

    requester_kind: RequesterKind
    purpose: Purpose
    #: As classified on intake or review; policies trust the classification, not the label.
    legal_process: LegalProcess
    statements: FleeingFelonStatements = field(default_factory=FleeingFelonStatements)
    fields: tuple[FieldRef, ...]
    #: Named people (True) or a bulk criterion (False).
    named: bool
    agreement: AgreementFacts | None = None
    emergency: bool = False
    preservation: bool = False
    today: dt.date


def class_key(facts: SubjectFacts | None) -> str:
    """A stable short hex key for an equivalence class of facts (16 hex digits).

    People with equal facts get equal decisions, so callers may store decisions once per class.
    `None` (no record matched) has its own key.
    """
    if facts is None:
        text = "custos-class-v1\nno-match"
    else:
        text = (
            "custos-class-v1\n"
            f"programs={','.join(sorted(facts.programs))}\n"
            f"determination_on_file={int(facts.determination_on_file)}\n"
            f"opted_out={int(facts.opted_out)}"
        )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, kw_only=True)
class _Verdict:
    """One Cedar answer, reduced to what a decision needs."""

    decision: str  # "Allow", "Deny" or "NoDecision"
    rule_ids: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return self.decision == "NoDecision" or bool(self.errors)


_NOT_ROUTED = _Verdict(decision="Deny", rule_ids=(), errors=())


def decide(
    pack: Pack, context: DecisionContext, facts: Sequence[SubjectFacts | None]
) -> list[tuple[FieldDecision, ...]]:
    """Decide every requested field for every person, in order.

    Returns one tuple per element of `facts`, holding one FieldDecision per field of
    `context.fields` in the same order. `None` means no record matched: every field is then
    withheld with exactly the reasons a matched person gets when no rule permits that field
    (neither confirm nor deny). Equal facts share the same tuple object.
    """
    table = decide_classes(pack, context, dict.fromkeys(facts))
    return list(map(table.__getitem__, facts))


def decide_classes(
    pack: Pack,
    context: DecisionContext,
    classes: Iterable[SubjectFacts | None],
    *,
    validate_requests: bool = True,
    review: bool = True,
) -> dict[SubjectFacts | None, tuple[FieldDecision, ...]]:
    """Decide once per distinct class of facts; the building block of `decide`.

    `validate_requests=False` skips Cedar's per-request schema check. Only scenario sweeps
    (`diff`, `check`) use it, on requests this module builds itself for policies already
    validated against the schema at load; real requests are always validated. Sweeps that
    only ask what is disclosed pass `review=False` to skip the review action.
    """
    unique = list(dict.fromkeys(classes))
    known = [ref for ref in dict.fromkeys(context.fields) if ref in pack.catalogue]
    # A stand-in for "no record": enrolled in every requested program, nothing else on file.
    # Only the forbids and review rules it triggers are kept (see _no_match).
    phantom = SubjectFacts(
        programs=frozenset(ref.program.value for ref in known),
        determination_on_file=False,
        opted_out=False,
    )
    subjects: list[SubjectFacts] = [f for f in unique if f is not None]
    if None in unique and phantom not in subjects:
        subjects.append(phantom)

    actions = (DISCLOSE, REVIEW) if review else (DISCLOSE,)
    verdicts = _evaluate(pack, context, subjects, known, actions, validate=validate_requests)
    out: dict[SubjectFacts | None, tuple[FieldDecision, ...]] = {}
    for facts in unique:
        row: list[FieldDecision] = []
        for ref in context.fields:
            if ref not in pack.catalogue:
                row.append(_unknown_field(pack, ref))
                continue
            subject = phantom if facts is None else facts
            disclose = verdicts[(subject, ref, DISCLOSE)]
            routed = verdicts.get((subject, ref, REVIEW), _NOT_ROUTED)
            if facts is None:
                row.append(_no_match(pack, ref, disclose, routed))
            else:
                row.append(_field_decision(pack, ref, disclose, routed))
        out[facts] = tuple(row)
    return out


def _evaluate(
    pack: Pack,
    context: DecisionContext,
    subjects: Sequence[SubjectFacts],
    refs: Sequence[FieldRef],
    actions: tuple[str, ...],
    *,
    validate: bool,
) -> dict[tuple[SubjectFacts, FieldRef, str], _Verdict]:
    keys: list[tuple[SubjectFacts, FieldRef, str]] = []
    requests: list[dict[str, Any]] = []
    for subject in subjects:
        for ref in refs:
            ctx = cedar_context(context, subject, ref)
            for action in actions:
                keys.append((subject, ref, action))
                requests.append(cedar_request(ref, action, ctx))
    if not requests:
        return {}
    try:
        results = cedarpy.is_authorized_batch(
            requests,
            pack.cedar_policies,
            pack.cedar_entities,
            pack.cedar_schema if validate else None,
        )
    except Exception as exc:  # noqa: BLE001 - any failure of the evaluator withholds (fail closed)
        failed = _Verdict(decision="NoDecision", rule_ids=(), errors=(type(exc).__name__,))
        return dict.fromkeys(keys, failed)
    return {key: _verdict(result) for key, result in zip(keys, results, strict=True)}


def cedar_request(ref: FieldRef, action: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """The Cedar request for one field and action (public for the benchmark's naive path)."""
    return {
        "principal": {"type": "Requester", "id": REQUESTER_ID},
        "action": {"type": "Action", "id": action},
        "resource": {"type": "Field", "id": str(ref)},
        "context": ctx,
    }


def cedar_context(context: DecisionContext, subject: SubjectFacts, ref: FieldRef) -> dict[str, Any]:
    """The Cedar context record of the shared schema (`schema.cedarschema`)."""
    agreement = context.agreement
    return {
        "requester_kind": context.requester_kind.value,
        "purpose": context.purpose.value,
        "legal_process": context.legal_process.kind.value,
        "statements": {
            "fleeing_or_violating": context.statements.fleeing_or_violating,
            "locating_is_official_duty": context.statements.locating_is_official_duty,
            "proper_exercise_of_duty": context.statements.proper_exercise_of_duty,
        },
        "named": context.named,
        "emergency": context.emergency,
        "preservation": context.preservation,
        "agreement": {
            "present": agreement is not None and agreement.valid_on(context.today),
            "covers": agreement is not None
            and agreement.covers(ref, context.purpose, context.today),
        },
        "subject": {
            "programs": sorted(subject.programs),
            "determination_on_file": subject.determination_on_file,
            "opted_out": subject.opted_out,
        },
    }


def _verdict(result: Any) -> _Verdict:
    names: Mapping[str, str] = result.diagnostics.id_annotations_by_reason
    return _Verdict(
        decision=str(result.decision.value),
        rule_ids=tuple(sorted(names.get(r, r) for r in result.diagnostics.reasons)),
        errors=tuple(str(e) for e in result.diagnostics.errors),
    )


def _rules(pack: Pack, ids: Iterable[str]) -> list[Rule]:
    return [pack.rules[i] for i in ids if i in pack.rules]


def _citations(rules: Iterable[Rule]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for r in rules for c in r.citations))


def _review_part(pack: Pack, review: _Verdict) -> tuple[bool, list[Rule], tuple[str, ...]]:
    """Whether a person must look, the rules that say so, and extra reasons."""
    if review.failed:
        return True, [], (_EVALUATION_ERROR_REASON,)
    if review.decision == "Allow":
        return True, _rules(pack, review.rule_ids), ()
    return False, [], ()


def _withheld(
    pack: Pack,
    ref: FieldRef,
    rules: list[Rule],
    review: _Verdict,
    *,
    failed: bool = False,
) -> FieldDecision:
    needs_review, review_rules, review_reasons = _review_part(pack, review)
    if failed:
        ids: tuple[str, ...] = (EVALUATION_ERROR_RULE,)
        citations = pack.default_deny.citations_for(ref.program)
        reasons: tuple[str, ...] = (_EVALUATION_ERROR_REASON,)
        needs_review = True
    elif rules:
        ids = tuple(r.id for r in rules)
        citations = _citations(rules)
        reasons = tuple(r.summary for r in rules)
    else:
        ids = (pack.default_deny.rule_id,)
        citations = pack.default_deny.citations_for(ref.program)
        reasons = (pack.default_deny.summary,)
    notify = _strongest(r.notify for r in review_rules)
    return FieldDecision(
        field=ref,
        effect=Effect.WITHHOLD,
        rule_ids=ids + tuple(r.id for r in review_rules),
        citations=tuple(dict.fromkeys(citations + _citations(review_rules))),
        obligations=Obligations(notify=notify),
        needs_review=needs_review,
        reasons=tuple(dict.fromkeys(reasons + tuple(r.summary for r in review_rules)))
        + review_reasons,
    )


def _strongest(values: Iterable[Notify | None]) -> Notify:
    best = Notify.NONE
    for value in values:
        if value is not None and _NOTIFY_ORDER[value] > _NOTIFY_ORDER[best]:
            best = value
    return best


def _field_decision(
    pack: Pack, ref: FieldRef, disclose: _Verdict, review: _Verdict
) -> FieldDecision:
    if disclose.failed:
        return _withheld(pack, ref, [], review, failed=True)
    rules = _rules(pack, disclose.rule_ids)
    if disclose.decision != "Allow" or not rules:
        # Deny: the reasons are the forbids that fired, or none (no rule permits it).
        return _withheld(pack, ref, [r for r in rules if r.effect == "forbid"], review)
    needs_review, review_rules, review_reasons = _review_part(pack, review)
    compelled = [r for r in rules if r.compelled]
    generalizing = [r for r in rules if r.generalize]
    # A compelled rule without coarsening must be met in full; otherwise minimize.
    if generalizing and not any(r.generalize is None for r in compelled):
        effect, generalize_to = Effect.GENERALIZE, generalizing[0].generalize
    else:
        effect, generalize_to = Effect.DISCLOSE, None
    retention = [r.retention_days for r in rules if r.retention_days is not None]
    obligations = Obligations(
        notify=_strongest([r.notify for r in rules] + [r.notify for r in review_rules]),
        notice_delay_requires_statement=any(r.notice_delay_requires for r in rules),
        retention_days=min(retention) if retention else pack.default_retention_days,
        no_onward_sharing=all(r.no_onward_sharing is not False for r in rules),
        generalize_to=generalize_to,
    )
    return FieldDecision(
        field=ref,
        effect=effect,
        rule_ids=tuple(r.id for r in rules) + tuple(r.id for r in review_rules),
        citations=_citations(rules + review_rules),
        obligations=obligations,
        compelled=bool(compelled),
        needs_review=needs_review,
        reasons=tuple(r.summary for r in rules + review_rules) + review_reasons,
    )


def _no_match(pack: Pack, ref: FieldRef, disclose: _Verdict, review: _Verdict) -> FieldDecision:
    """Withhold as a matched person is withheld when no rule permits the field."""
    if disclose.failed:
        return _withheld(pack, ref, [], review, failed=True)
    forbids = [r for r in _rules(pack, disclose.rule_ids) if r.effect == "forbid"]
    return _withheld(pack, ref, forbids if disclose.decision != "Allow" else [], review)


def _unknown_field(pack: Pack, ref: FieldRef) -> FieldDecision:
    return FieldDecision(
        field=ref,
        effect=Effect.WITHHOLD,
        rule_ids=(UNKNOWN_FIELD_RULE,),
        citations=pack.default_deny.citations_for(ref.program),
        reasons=(_UNKNOWN_FIELD_REASON,),
    )
