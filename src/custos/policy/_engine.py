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

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import cedarpy

from custos.domain.decisions import Effect, FieldDecision, Notify, Obligations
from custos.domain.programs import FieldRef
from custos.domain.subjects import SubjectFacts, SubjectIdentifier
from custos.policy._context import (
    AgreementFacts,
    DecisionContext,
    cedar_context,
    class_key,
)
from custos.policy._memo import request_key
from custos.policy._pack import DISCLOSE, REQUESTER_ID, REVIEW, Pack, Rule

__all__ = [
    "OUTSIDE_SCOPE",
    "AgreementFacts",
    "DecisionContext",
    "OutsideScope",
    "Subject",
    "cedar_context",
    "cedar_request",
    "class_key",
    "decide",
    "decide_classes",
    "within_scope",
]

#: Rule ids the engine itself uses when the pack's rules cannot speak.
UNKNOWN_FIELD_RULE = "custos-unknown-field"
EVALUATION_ERROR_RULE = "custos-evaluation-error"
#: Rule ids of the engine's own limits, which no rule of a pack can lift.
OPTED_OUT_RULE = "custos-opted-out"
OUTSIDE_SCOPE_RULE = "custos-outside-scope"
PROCESS_EXPIRED_RULE = "custos-process-expired"

OPTED_OUT_REASON = (
    "The person opted out of sharing that the law does not require, and no law requires this "
    "one, so it is not shared."
)
OUTSIDE_SCOPE_REASON = (
    "This information lies outside the document's scope (the people, programs or fields and "
    "period it names), so it is withheld."
)
PROCESS_EXPIRED_REASON = (
    "The legal process this request rests on has expired, so nothing is shared."
)

_UNKNOWN_FIELD_REASON = "This field is not in the pack's field catalogue, so it is withheld."
_EVALUATION_ERROR_REASON = (
    "The rules could not be evaluated for this field, so it is withheld and sent for review."
)
_NOTIFY_ORDER = {Notify.NONE: 0, Notify.AFTER: 1, Notify.BEFORE: 2}


class OutsideScope(enum.Enum):
    """A person the classified legal document does not name (see `within_scope`)."""

    PERSON = "outside-scope"


#: Stands, in a list of subjects to decide, for anyone the document does not name: matched or
#: not, every field is withheld as "outside the document's scope", decided without reading
#: the person's facts, so the decision reveals nothing about the records.
OUTSIDE_SCOPE: Final = OutsideScope.PERSON

#: What `decide` takes per subject: their facts, None (no record matched) or OUTSIDE_SCOPE.
Subject = SubjectFacts | None | Literal[OutsideScope.PERSON]


def within_scope(
    context: DecisionContext, identifier: SubjectIdentifier | None, facts: SubjectFacts | None
) -> Subject:
    """The subject to decide for a person named by `identifier`: `facts` (None if no record
    matched) when the document's recorded scope reaches them, else OUTSIDE_SCOPE."""
    return OUTSIDE_SCOPE if context.person_outside_scope(identifier) else facts


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
    pack: Pack, context: DecisionContext, facts: Sequence[Subject]
) -> list[tuple[FieldDecision, ...]]:
    """Decide every requested field for every person, in order.

    Returns one tuple per element of `facts`, holding one FieldDecision per field of
    `context.fields` in the same order. `None` means no record matched: every field is then
    withheld with exactly the reasons a matched person gets when no rule permits that field
    (neither confirm nor deny). `OUTSIDE_SCOPE` withholds every field as outside the document's
    scope, alike for a match and a no-match. Equal facts share the same tuple object.
    """
    table = decide_classes(pack, context, dict.fromkeys(facts))
    return list(map(table.__getitem__, facts))


def decide_classes(
    pack: Pack,
    context: DecisionContext,
    classes: Iterable[Subject],
    *,
    validate_requests: bool = True,
    review: bool = True,
) -> dict[Subject, tuple[FieldDecision, ...]]:
    """Decide once per distinct class of facts; the building block of `decide`.

    `validate_requests=False` skips Cedar's per-request schema check. Only scenario sweeps
    (`diff`, `check`) use it, on requests this module builds itself for policies already
    validated against the schema at load; real requests are always validated. Sweeps that
    only ask what is disclosed pass `review=False` to skip the review action.

    A decision is a pure function of the pack and of the request's context and the class's
    facts, so it is remembered per pack (`Pack.decisions`) and a single-person request that
    repeats an earlier one's terms builds nothing (issue 18: 270 of a submit's 1,900 µs went
    to rebuilding the same decisions from remembered Cedar answers). A decision the evaluator
    failed on withholds, as always, and is not remembered.
    """
    unique = list(dict.fromkeys(classes))
    keys = [(context, validate_requests, review, facts) for facts in unique]

    def ask(positions: list[int]) -> list[tuple[FieldDecision, ...]]:
        wanted = [unique[i] for i in positions]
        table, failed = _decide_classes(
            pack, context, wanted, validate=validate_requests, review=review
        )
        if failed:
            raise _EvaluationFailedError
        return [table[facts] for facts in wanted]

    try:
        rows = pack.decisions.answers(keys, ask)
    except _EvaluationFailedError:
        # Withheld for review, and not remembered: the next request asks Cedar again.
        table, _ = _decide_classes(pack, context, unique, validate=validate_requests, review=review)
        return table
    return dict(zip(unique, rows, strict=True))


class _EvaluationFailedError(Exception):
    """Cedar could not evaluate a request: the decisions withhold and are not remembered."""


def _decide_classes(
    pack: Pack,
    context: DecisionContext,
    unique: Sequence[Subject],
    *,
    validate: bool,
    review: bool,
) -> tuple[dict[Subject, tuple[FieldDecision, ...]], bool]:
    """`decide_classes` without the memo, and whether the evaluator failed (the decisions
    then withhold what it could not evaluate)."""
    known = [ref for ref in dict.fromkeys(context.fields) if ref in pack.catalogue]
    # A stand-in for "no record": enrolled in every requested program, nothing else on file.
    # Only the forbids and review rules it triggers are kept (see _no_match).
    phantom = SubjectFacts(
        programs=frozenset(ref.program.value for ref in known),
        determination_on_file=False,
        opted_out=False,
    )
    subjects: list[SubjectFacts] = [f for f in unique if isinstance(f, SubjectFacts)]
    stand_in = None in unique or OUTSIDE_SCOPE in unique
    if stand_in and phantom not in subjects:
        subjects.append(phantom)

    actions = (DISCLOSE, REVIEW) if review else (DISCLOSE,)
    verdicts, failed = _evaluate(pack, context, subjects, known, actions, validate=validate)
    out: dict[Subject, tuple[FieldDecision, ...]] = {}
    for facts in unique:
        row: list[FieldDecision] = []
        for ref in context.fields:
            if ref not in pack.catalogue:
                row.append(_unknown_field(pack, ref))
                continue
            subject = facts if isinstance(facts, SubjectFacts) else phantom
            disclose = verdicts[(subject, ref, DISCLOSE)]
            routed = verdicts.get((subject, ref, REVIEW), _NOT_ROUTED)
            if isinstance(facts, SubjectFacts):
                decision = _field_decision(pack, ref, disclose, routed, opted_out=facts.opted_out)
            else:
                decision = _no_match(pack, ref, disclose, routed)
            outside = facts is OUTSIDE_SCOPE
            row.append(_bounded(pack, context, decision, routed, person_outside=outside))
        out[facts] = tuple(row)
    return out, failed


def _evaluate(
    pack: Pack,
    context: DecisionContext,
    subjects: Sequence[SubjectFacts],
    refs: Sequence[FieldRef],
    actions: tuple[str, ...],
    *,
    validate: bool,
) -> tuple[dict[tuple[SubjectFacts, FieldRef, str], _Verdict], bool]:
    """Cedar's verdict per subject, field and action, and whether the evaluator failed."""
    keys: list[tuple[SubjectFacts, FieldRef, str]] = []
    requests: list[dict[str, Any]] = []
    needed = pack.needs.get(context.purpose, frozenset())
    for subject in subjects:
        for ref in refs:
            ctx = cedar_context(context, subject, ref, needed=ref in needed)
            for action in actions:
                keys.append((subject, ref, action))
                requests.append(cedar_request(ref, action, ctx))
    if not requests:
        return {}, False

    def ask(positions: list[int]) -> list[_Verdict]:
        results = cedarpy.is_authorized_batch(
            [requests[i] for i in positions],
            pack.cedar_policies,
            pack.cedar_entities,
            pack.cedar_schema if validate else None,
        )
        return [_verdict(result) for result in results]

    try:
        texts = [request_key(request, validate=validate) for request in requests]
        verdicts = pack.answers.answers(texts, ask)
    except Exception as exc:  # noqa: BLE001 - any failure of the evaluator withholds (fail closed)
        failed = _Verdict(decision="NoDecision", rule_ids=(), errors=(type(exc).__name__,))
        return dict.fromkeys(keys, failed), True
    return dict(zip(keys, verdicts, strict=True)), False


def cedar_request(ref: FieldRef, action: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """The Cedar request for one field and action (public for the benchmark's naive path)."""
    return {
        "principal": {"type": "Requester", "id": REQUESTER_ID},
        "action": {"type": "Action", "id": action},
        "resource": {"type": "Field", "id": str(ref)},
        "context": ctx,
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
    limit: tuple[str, str] | None = None,
) -> FieldDecision:
    """A withheld field: by the forbids in `rules`, an engine `limit` (rule id, reason),
    an evaluation failure, or else the pack's default deny; plus any review routing."""
    needs_review, review_rules, review_reasons = _review_part(pack, review)
    if failed:
        ids: tuple[str, ...] = (EVALUATION_ERROR_RULE,)
        citations = pack.default_deny.citations_for(ref.program)
        reasons: tuple[str, ...] = (_EVALUATION_ERROR_REASON,)
        needs_review = True
    elif limit is not None:
        ids = (limit[0],)
        citations = _citations(rules) or pack.default_deny.citations_for(ref.program)
        reasons = (limit[1],)
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
    pack: Pack, ref: FieldRef, disclose: _Verdict, review: _Verdict, *, opted_out: bool
) -> FieldDecision:
    if disclose.failed:
        return _withheld(pack, ref, [], review, failed=True)
    rules = _rules(pack, disclose.rule_ids)
    if disclose.decision != "Allow" or not rules:
        # Deny: the reasons are the forbids that fired, or none (no rule permits it).
        return _withheld(pack, ref, [r for r in rules if r.effect == "forbid"], review)
    if opted_out:
        # An opt-out binds discretionary rules only: it never blocks a compelled one.
        rules = [r for r in rules if r.compelled]
        if not rules:
            return _withheld(pack, ref, [], review, limit=(OPTED_OUT_RULE, OPTED_OUT_REASON))
    needs_review, review_rules, review_reasons = _review_part(pack, review)
    compelled = [r for r in rules if r.compelled]
    generalizing = [r for r in rules if r.generalize]
    # A compelled rule without coarsening must be met in full; otherwise minimize.
    if generalizing and not any(r.generalize is None for r in compelled):
        effect, generalize_to = Effect.GENERALIZE, generalizing[0].generalize
    else:
        effect, generalize_to = Effect.DISCLOSE, None
    retention = [r.retention_days for r in rules if r.retention_days is not None]
    windows = [r.challenge_window_days for r in rules if r.challenge_window_days is not None]
    obligations = Obligations(
        notify=_strongest([r.notify for r in rules] + [r.notify for r in review_rules]),
        notice_delay_requires_statement=any(r.notice_delay_requires for r in rules),
        retention_days=min(retention) if retention else pack.default_retention_days,
        no_onward_sharing=all(r.no_onward_sharing is not False for r in rules),
        generalize_to=generalize_to,
        challenge_window_days=max(windows) if windows else None,
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


def _bounded(
    pack: Pack,
    context: DecisionContext,
    d: FieldDecision,
    review: _Verdict,
    *,
    person_outside: bool = False,
) -> FieldDecision:
    """Apply the limits no rule can lift: an expired process, a recorded scope (its fields,
    and `person_outside`: a person it does not name).

    Both apply alike to a matched person and to a no-match, so neither reveals a person. A
    decision that discloses under agreed protocols names the agreement and its protocol document.
    """
    if d.rule_ids and d.rule_ids[0] in {UNKNOWN_FIELD_RULE, EVALUATION_ERROR_RULE}:
        return d
    limit: tuple[str, str] | None = None
    if context.legal_process.expired(context.today):
        limit = (PROCESS_EXPIRED_RULE, PROCESS_EXPIRED_REASON)
    elif person_outside or context.outside_scope(d.field):
        limit = (OUTSIDE_SCOPE_RULE, OUTSIDE_SCOPE_REASON)
    if limit is not None:
        return _withheld(pack, d.field, [], review, limit=limit)
    agreement = context.agreement
    if (
        d.discloses
        and agreement is not None
        and any(pack.rules[i].requires_protocols for i in d.rule_ids if i in pack.rules)
    ):
        return dataclasses.replace(d, reasons=(*d.reasons, agreement.describe()))
    return d


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
