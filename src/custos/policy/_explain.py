"""Explanations of decisions in words a caseworker understands (`custos policy explain`).

Every decision carries its reasons (house style, habit 5): which rules decided, what each says
in plain language, which authority it rests on, and what must be done next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from custos.domain.decisions import FieldDecision
from custos.policy._engine import DecisionContext
from custos.policy._pack import Pack
from custos.policy._words import citation_title, decision_words, obligation_words


@dataclass(frozen=True, kw_only=True)
class RuleNote:
    id: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class CitationNote:
    citation: str
    title: str


@dataclass(frozen=True, kw_only=True)
class FieldExplanation:
    field: str
    label: str
    effect: str
    #: One sentence: "Home address (SNAP): shared (required by law)."
    headline: str
    rules: tuple[RuleNote, ...]
    citations: tuple[CitationNote, ...]
    obligations: tuple[str, ...]
    compelled: bool
    needs_review: bool


@dataclass(frozen=True, kw_only=True)
class PersonExplanation:
    #: A pseudonym or a label such as "3 people with the same facts"; never personal data.
    subject: str
    fields: tuple[FieldExplanation, ...]


@dataclass(frozen=True, kw_only=True)
class Explanation:
    pack: str
    pack_hash: str
    request: tuple[str, ...]
    people: tuple[PersonExplanation, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        lines = [f"Decided under policy pack {self.pack} ({self.pack_hash[:12]})", ""]
        lines += [f"  {line}" for line in self.request]
        for person in self.people:
            lines += ["", f"{person.subject}:"]
            for f in person.fields:
                lines.append(f"  - {f.headline}")
                lines += [f"      because: {r.summary} [{r.id}]" for r in f.rules]
                lines += [
                    f"      authority: {c.citation}" + (f" — {c.title}" if c.title else "")
                    for c in f.citations
                ]
                lines += [f"      to do: {o}" for o in f.obligations]
        return "\n".join(lines) + "\n"


def _request_lines(context: DecisionContext) -> tuple[str, ...]:
    lines = [
        f"Requester: {context.requester_kind.value.replace('_', ' ')}",
        f"Purpose: {context.purpose.value.replace('_', ' ')}",
        f"Legal process (as classified): {context.legal_process.kind.value.replace('_', ' ')}",
        "About: named people" if context.named else "About: everyone matching a criterion (bulk)",
    ]
    if context.statements.complete:
        lines.append("All three fleeing-felon statements were made.")
    if context.agreement is not None:
        lines.append("A data-sharing agreement is on file.")
    if context.emergency:
        lines.append("Emergency request.")
    if context.preservation:
        lines.append("Preservation only: nothing is to be sent.")
    return tuple(lines)


def _rule_summary(pack: Pack, rule_id: str, d: FieldDecision) -> str:
    if rule_id in pack.rules:
        return pack.rules[rule_id].summary
    if rule_id == pack.default_deny.rule_id:
        return pack.default_deny.summary
    return d.reasons[0] if d.reasons else rule_id


def explain_field(pack: Pack, d: FieldDecision) -> FieldExplanation:
    spec = pack.catalogue.get(d.field)
    label = f"{spec.label} ({d.field.program.value.upper()})" if spec else str(d.field)
    rules = [RuleNote(id=i, summary=_rule_summary(pack, i, d)) for i in d.rule_ids]
    return FieldExplanation(
        field=str(d.field),
        label=label,
        effect=d.effect.value,
        headline=f"{label}: {decision_words(d)}.",
        rules=tuple(rules),
        citations=tuple(CitationNote(citation=c, title=citation_title(c)) for c in d.citations),
        obligations=tuple(obligation_words(d.obligations, disclosed=d.discloses))
        + (
            ("A person in legal review must look at this before anything is answered.",)
            if d.needs_review
            else ()
        ),
        compelled=d.compelled,
        needs_review=d.needs_review,
    )


def explain(
    pack: Pack,
    context: DecisionContext,
    decisions: Sequence[tuple[str, Sequence[FieldDecision]]],
) -> Explanation:
    """Explain decisions: `decisions` pairs a subject label with that subject's field decisions."""
    return Explanation(
        pack=pack.label,
        pack_hash=pack.content_hash,
        request=_request_lines(context),
        people=tuple(
            PersonExplanation(subject=label, fields=tuple(explain_field(pack, d) for d in row))
            for label, row in decisions
        ),
    )
