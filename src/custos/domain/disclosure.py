"""A disclosure request as it arrives: who asks, about whom, for what, under which process."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from custos.domain.legal import FleeingFelonStatements, LegalProcess
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectIdentifier


class RequesterKind(StrEnum):
    FEDERAL_IMMIGRATION_ENFORCEMENT = "federal_immigration_enforcement"
    OTHER_FEDERAL = "other_federal"
    STATE = "state"
    LOCAL_LAW_ENFORCEMENT = "local_law_enforcement"
    COURT = "court"
    OTHER = "other"
    #: The Comptroller General (GAO), auditing under authority of other law: 7 U.S.C.
    #: 2020(e)(8)(B) keeps the SNAP safeguards from preventing its audits.
    COMPTROLLER_GENERAL = "comptroller_general"


class Purpose(StrEnum):
    """Enumerated purposes; the free text beside them is for people, policies read only these."""

    PROGRAM_ADMINISTRATION = "program_administration"
    PROGRAM_AUDIT = "program_audit"
    PROGRAM_VIOLATION_INVESTIGATION = "program_violation_investigation"
    FLEEING_FELON = "fleeing_felon"
    UNLAWFUL_PRESENCE_REPORT = "unlawful_presence_report"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    CIVIL_IMMIGRATION_ENFORCEMENT = "civil_immigration_enforcement"
    COURT_PROCEEDING = "court_proceeding"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class BulkCriterion:
    """A request about everyone matching a criterion instead of named people."""

    programs: frozenset[Program]
    #: Missouri county names; empty means statewide.
    counties: frozenset[str] = frozenset()
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class DisclosureRequest:
    """What a requester asks. Validated on construction; a built request is well-formed."""

    requester_id: str
    purpose: Purpose
    purpose_text: str
    legal_process: LegalProcess
    fields: tuple[FieldRef, ...]
    subjects: tuple[SubjectIdentifier, ...] = ()
    bulk: BulkCriterion | None = None
    agreement_id: str | None = None
    statements: FleeingFelonStatements = field(default_factory=FleeingFelonStatements)
    #: A written statement of the harm an emergency request would prevent; None if routine.
    emergency_statement: str | None = None
    #: A preservation request asks only that records be kept; it discloses nothing.
    preservation: bool = False

    def __post_init__(self) -> None:
        if bool(self.subjects) == (self.bulk is not None):
            raise ValueError("a request names people or gives a bulk criterion, exactly one")
        if not self.preservation and not self.fields:
            raise ValueError("a disclosure request names at least one field")
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("a field is named twice")
        if self.emergency_statement is not None and not self.emergency_statement.strip():
            raise ValueError("an emergency request states the harm it would prevent")

    @property
    def is_bulk(self) -> bool:
        return self.bulk is not None

    @property
    def emergency(self) -> bool:
        return self.emergency_statement is not None


@dataclass(frozen=True, kw_only=True)
class AgreementProtocols:
    """What a data-sharing agreement records beyond its parties, fields and purposes.

    7 U.S.C. 2020(a)(3)(B) opens SNAP records to USDA "subject to data and security protocols
    agreed upon by the State agency and Secretary": protocols count as agreed only when their
    document is named, use is limited to the program's administration and enforcement, and
    onward sharing is barred. `administers` lists the programs the other party administers or
    enforces under the agreement (7 U.S.C. 2020(e)(8)(A); the legal notes, finding 6).
    """

    protocol_document: str = ""
    use_limited_to_program: bool = False
    no_onward_sharing: bool = False
    administers: frozenset[Program] = frozenset()

    @property
    def agreed(self) -> bool:
        return (
            bool(self.protocol_document.strip())
            and self.use_limited_to_program
            and self.no_onward_sharing
        )
