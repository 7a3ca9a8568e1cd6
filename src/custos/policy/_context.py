"""What the policies read about a request: the decision context and its Cedar form.

The Cedar context (see each pack's `schema.cedarschema`) holds the request's facts, the
person's programs and determination, and three facts the engine computes per field: whether
the requester's own program holds it, whether the stated purpose needs it (the catalogue's
per-purpose field lists), and whether the legal document's recorded scope names it. A person's
opt-out is deliberately not in it: the engine applies opt-outs itself, so that no rule can let
an opt-out block a compelled disclosure or let a discretionary one through.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import FleeingFelonStatements, LegalProcess
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts, SubjectIdentifier


@dataclass(frozen=True, kw_only=True)
class AgreementFacts:
    """A data-sharing agreement (MOU) as the policies see it.

    It covers a field only when the field's program, the field itself and the request's purpose
    are all listed and the request date lies inside its validity. Empty sets cover nothing.

    7 U.S.C. 2020(a)(3)(B) makes SNAP records available to USDA "subject to data and security
    protocols agreed upon by the State agency and Secretary". Such protocols count as agreed
    for a field only when the agreement covers it, names its protocol document, limits use to
    the program's administration and enforcement, and forbids onward sharing.
    """

    programs: frozenset[Program]
    fields: frozenset[FieldRef]
    purposes: frozenset[Purpose]
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    agreement_id: str = ""
    #: The agreed data-and-security protocol document (title or SHA-256); empty when none.
    protocol_document: str = ""
    use_limited_to_program: bool = False
    no_onward_sharing: bool = False
    #: Programs the other party administers or enforces under this agreement.
    administers: frozenset[Program] = frozenset()

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

    def protocols_agreed(self, ref: FieldRef, purpose: Purpose, day: dt.date) -> bool:
        """Whether agreed protocols cover this field (7 U.S.C. 2020(a)(3)(B))."""
        return (
            self.covers(ref, purpose, day)
            and bool(self.protocol_document.strip())
            and self.use_limited_to_program
            and self.no_onward_sharing
        )

    def describe(self) -> str:
        """A sentence naming the agreement and its protocol document, for a decision's reasons."""
        name = self.agreement_id or "on file"
        return (
            f"Under data-sharing agreement {name}, with agreed protocols: {self.protocol_document}."
        )


@dataclass(frozen=True, kw_only=True)
class DecisionContext:
    """Everything about a request the policies read, apart from the people it names."""

    requester_kind: RequesterKind
    purpose: Purpose
    #: As classified on intake or review; policies trust the classification, not the label.
    #: Its `scope`, once counsel recorded it, bounds every decision.
    legal_process: LegalProcess
    statements: FleeingFelonStatements = field(default_factory=FleeingFelonStatements)
    fields: tuple[FieldRef, ...]
    #: Named people (True) or a bulk criterion (False).
    named: bool
    agreement: AgreementFacts | None = None
    emergency: bool = False
    preservation: bool = False
    today: dt.date
    #: Programs the requester administers or enforces, as its record (or its agreement) says.
    requester_programs: frozenset[Program] = frozenset()

    def programs_of_requester(self) -> frozenset[Program]:
        """The requester's own programs, with those its valid agreement records."""
        own = self.requester_programs
        if self.agreement is not None and self.agreement.valid_on(self.today):
            own = own | self.agreement.administers
        return own

    def outside_scope(self, ref: FieldRef) -> bool:
        """Whether a recorded scope leaves this field out (no scope recorded: not outside)."""
        scope = self.legal_process.scope
        return scope is not None and not scope.names_field(ref)

    def person_outside_scope(self, identifier: SubjectIdentifier | None) -> bool:
        """Whether a recorded scope leaves out the subject named by `identifier` (None: a
        bulk subject). No scope recorded: not outside. Never depends on the records."""
        scope = self.legal_process.scope
        return scope is not None and not scope.names_person(identifier)


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


def cedar_context(
    context: DecisionContext, subject: SubjectFacts, ref: FieldRef, *, needed: bool = False
) -> dict[str, Any]:
    """The Cedar context record of the shared schema (`schema.cedarschema`).

    `needed` says whether the catalogue lists this field for the request's purpose.
    """
    agreement = context.agreement
    day, purpose = context.today, context.purpose
    scope = context.legal_process.scope
    return {
        "requester_kind": context.requester_kind.value,
        "requester_programs": sorted(p.value for p in context.programs_of_requester()),
        "purpose": purpose.value,
        "field_needed": needed,
        "legal_process": context.legal_process.kind.value,
        "scope": {
            "recorded": scope is not None,
            "names_field": scope is not None and scope.names_field(ref),
        },
        "statements": {
            "fleeing_or_violating": context.statements.fleeing_or_violating,
            "locating_is_official_duty": context.statements.locating_is_official_duty,
            "proper_exercise_of_duty": context.statements.proper_exercise_of_duty,
        },
        "named": context.named,
        "emergency": context.emergency,
        "preservation": context.preservation,
        "agreement": {
            "present": agreement is not None and agreement.valid_on(day),
            "covers": agreement is not None and agreement.covers(ref, purpose, day),
            "protocols_agreed": agreement is not None
            and agreement.protocols_agreed(ref, purpose, day),
        },
        "subject": {
            "programs": sorted(subject.programs),
            "determination_on_file": subject.determination_on_file,
        },
    }
