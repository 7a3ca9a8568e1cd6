"""The input shape of a disclosure request, shared by the API and the CLI.

Pydantic checks the shape (types, enums, dates); `to_domain` then builds the domain request,
whose own invariants turn into field problems. Either way the caller learns every bad field
at once, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from custos.domain import text
from custos.domain.disclosure import BulkCriterion, DisclosureRequest, Purpose
from custos.domain.errors import FieldProblem, InvalidInputError
from custos.domain.legal import (
    DocumentScope,
    FleeingFelonStatements,
    LegalProcess,
    LegalProcessKind,
)
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectIdentifier

#: Validators for any text field: one line, or several lines (see `custos.domain.text`).
OneLine = AfterValidator(text.check)
Lines = AfterValidator(partial(text.check, multiline=True))
#: Several lines of free text (a purpose, a statement, a reason): no control characters but
#: line breaks and tabs (`custos.domain.text`).
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    Lines,
]
#: One line of text (a name, a docket number, an identifier): no control characters at all.
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), OneLine]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

#: Named-subject requests are for a handful of people; more is a bulk request in disguise.
MAX_NAMED_SUBJECTS = 100


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubjectInput(_Input):
    case_number: Short | None = None
    ssn: Short | None = None
    full_name: Short | None = None
    birth_date: dt.date | None = None

    def to_domain(self) -> SubjectIdentifier:
        """Raises ValueError unless exactly one identifying route is given."""
        return SubjectIdentifier(
            case_number=self.case_number,
            ssn=self.ssn,
            full_name=self.full_name,
            birth_date=self.birth_date,
        )


class BulkInput(_Input):
    programs: list[Program] = Field(min_length=1)
    counties: list[Short] = Field(default_factory=list)
    description: Text = ""


class ScopeInput(_Input):
    """What a legal document names, as counsel records it on classification."""

    programs: list[Program] = Field(default_factory=list)
    fields: list[Short] = Field(default_factory=list, max_length=200)
    #: The people the document names, by the identifiers as they appear on it.
    people: list[SubjectInput] = Field(default_factory=list, max_length=MAX_NAMED_SUBJECTS)
    period_from: dt.date | None = None
    period_until: dt.date | None = None

    def to_domain(self) -> DocumentScope:
        """Raises ValueError on a malformed field or person, or an inverted period."""
        return DocumentScope(
            programs=frozenset(self.programs),
            fields=frozenset(FieldRef.parse(f) for f in self.fields),
            people=frozenset(p.to_domain() for p in self.people),
            period_from=self.period_from,
            period_until=self.period_until,
        )


class LegalProcessInput(_Input):
    kind: LegalProcessKind
    issuer: Short = ""
    docket_number: Short = ""
    signer: Short = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    document_sha256: Sha256 | None = None
    nondisclosure_until: dt.date | None = None
    #: Recorded by counsel when classifying the document; a requester never sets it.
    scope: ScopeInput | None = None

    def to_domain(self) -> LegalProcess:
        return LegalProcess(
            kind=self.kind,
            issuer=self.issuer,
            docket_number=self.docket_number,
            signer=self.signer,
            issued_on=self.issued_on,
            expires_on=self.expires_on,
            document_sha256=self.document_sha256 or "",
            nondisclosure_until=self.nondisclosure_until,
            scope=self.scope.to_domain() if self.scope is not None else None,
        )


class StatementsInput(_Input):
    fleeing_or_violating: bool = False
    locating_is_official_duty: bool = False
    proper_exercise_of_duty: bool = False


class RequestInput(_Input):
    """A disclosure request as submitted (JSON)."""

    subjects: list[SubjectInput] = Field(default_factory=list, max_length=MAX_NAMED_SUBJECTS)
    bulk: BulkInput | None = None
    fields: list[Short] = Field(default_factory=list, max_length=200)
    purpose: Purpose
    purpose_text: Text = Field(min_length=1)
    legal_process: LegalProcessInput
    statements: StatementsInput = Field(default_factory=StatementsInput)
    agreement_id: Short | None = None
    emergency_statement: Text | None = None
    preservation: bool = False

    def _subject_identifiers(self, problems: list[FieldProblem]) -> list[SubjectIdentifier]:
        subjects: list[SubjectIdentifier] = []
        for i, s in enumerate(self.subjects):
            try:
                subjects.append(s.to_domain())
            except ValueError as exc:
                problems.append(FieldProblem(path=f"subjects[{i}]", message=str(exc)))
        return subjects

    def _field_refs(self, problems: list[FieldProblem]) -> list[FieldRef]:
        fields: list[FieldRef] = []
        for i, f in enumerate(self.fields):
            try:
                fields.append(FieldRef.parse(f))
            except ValueError:
                problems.append(
                    FieldProblem(
                        path=f"fields[{i}]", message="expected program/field, e.g. snap/address"
                    )
                )
        return fields

    def _process_problems(self) -> list[FieldProblem]:
        problems: list[FieldProblem] = []
        lp = self.legal_process
        problems.extend(scope_problems(lp))
        if lp.issued_on and lp.expires_on and lp.expires_on < lp.issued_on:
            problems.append(
                FieldProblem(path="legal_process.expires_on", message="before issued_on")
            )
        if lp.kind is not LegalProcessKind.NONE and lp.document_sha256 is None:
            problems.append(
                FieldProblem(
                    path="legal_process.document_sha256",
                    message="upload the legal document first and give its SHA-256",
                )
            )
        return problems

    def to_domain(self, requester_id: str) -> DisclosureRequest:
        """Build the domain request, or raise InvalidInputError naming every bad field."""
        problems: list[FieldProblem] = []
        subjects = self._subject_identifiers(problems)
        fields = self._field_refs(problems)
        problems.extend(self._process_problems())
        bulk = None
        if self.bulk is not None:
            bulk = BulkCriterion(
                programs=frozenset(self.bulk.programs),
                counties=frozenset(self.bulk.counties),
                description=self.bulk.description,
            )
        # The request's own invariants are checked even when some fields were bad, so the
        # answer names every problem at once; only when every subject and field was read
        # (otherwise a dropped one could raise a problem that is not there).
        complete = len(subjects) == len(self.subjects) and len(fields) == len(self.fields)
        if problems and not complete:
            raise InvalidInputError("the request is invalid", problems)
        try:
            built = DisclosureRequest(
                requester_id=requester_id,
                purpose=self.purpose,
                purpose_text=self.purpose_text,
                legal_process=self.legal_process.to_domain(),
                fields=tuple(fields),
                subjects=tuple(subjects),
                bulk=bulk,
                agreement_id=self.agreement_id,
                statements=FleeingFelonStatements(**self.statements.model_dump()),
                emergency_statement=self.emergency_statement,
                preservation=self.preservation,
            )
        except ValueError as exc:
            problems.append(FieldProblem(path="request", message=str(exc)))
        if problems:
            raise InvalidInputError("the request is invalid", problems)
        return built


def scope_problems(lp: LegalProcessInput) -> list[FieldProblem]:
    """Every malformed part of a recorded scope: a field, a person, or a period inverted."""
    if lp.scope is None:
        return []
    problems: list[FieldProblem] = []
    base = "legal_process.scope"
    for i, f in enumerate(lp.scope.fields):
        try:
            FieldRef.parse(f)
        except ValueError:
            problems.append(
                FieldProblem(
                    path=f"{base}.fields[{i}]", message="expected program/field, e.g. snap/address"
                )
            )
    for i, person in enumerate(lp.scope.people):
        try:
            person.to_domain()
        except ValueError as exc:
            problems.append(FieldProblem(path=f"{base}.people[{i}]", message=str(exc)))
    begins, ends = lp.scope.period_from, lp.scope.period_until
    if begins is not None and ends is not None and ends < begins:
        problems.append(
            FieldProblem(path=f"{base}.period_until", message="the period ends before it begins")
        )
    return problems
