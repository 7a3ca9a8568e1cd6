"""Legal process: the document a request rests on, and how strong it is.

The ladder follows the project's legal notes (weakest to strongest). The order matters only
for reporting and review routing; what a kind of process permits is decided by the policy pack,
never here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectIdentifier


class LegalProcessKind(StrEnum):
    """Kinds of legal process, weakest first.

    An order of an immigration judge (EOIR, part of the Department of Justice) is an
    administrative order, not a court order: counsel classifies it as `administrative_subpoena`
    or `written_request`, never as `court_order` (see the legal notes on a document's scope).
    """

    NONE = "none"
    WRITTEN_REQUEST = "written_request"
    ADMINISTRATIVE_WARRANT = "administrative_warrant"
    ADMINISTRATIVE_SUBPOENA = "administrative_subpoena"
    STATUTORY_DUTY = "statutory_duty"
    GRAND_JURY_SUBPOENA = "grand_jury_subpoena"
    COURT_ORDER = "court_order"
    JUDICIAL_WARRANT = "judicial_warrant"

    @property
    def rank(self) -> int:
        """Position on the ladder, 0 for none."""
        return _LADDER.index(self)

    @property
    def judicial(self) -> bool:
        """Whether a judge or court issues this kind (an administrative paper is not)."""
        return self in {
            LegalProcessKind.GRAND_JURY_SUBPOENA,
            LegalProcessKind.COURT_ORDER,
            LegalProcessKind.JUDICIAL_WARRANT,
        }


_LADDER = list(LegalProcessKind)


@dataclass(frozen=True, kw_only=True)
class FleeingFelonStatements:
    """The three statements 7 U.S.C. 2020(e)(8)(E) requires of a law-enforcement officer.

    All three must be made, for a named person, before SNAP address, SSN and photograph may be
    disclosed on that ground.
    """

    #: The member is fleeing prosecution or custody for a felony, or violating probation or
    #: parole, or has information needed for the officer to conduct such a duty.
    fleeing_or_violating: bool = False
    #: Locating or apprehending the member is an official duty of the officer.
    locating_is_official_duty: bool = False
    #: The request is made in the proper exercise of that duty.
    proper_exercise_of_duty: bool = False

    @property
    def complete(self) -> bool:
        return (
            self.fleeing_or_violating
            and self.locating_is_official_duty
            and self.proper_exercise_of_duty
        )


@dataclass(frozen=True, kw_only=True)
class DocumentScope:
    """What a legal document names, as counsel records it when classifying the document.

    A disclosure never exceeds the scope of the document it rests on, whatever the document's
    kind (compare 45 CFR 164.512(e)(1)(i): "only the protected health information expressly
    authorized by such order"). What lies outside is withheld as "outside the document's scope".

    `programs` names whole programs; `fields` names single fields (`program/field`); a field is
    inside the scope when either names it. `people` holds the people the document names, by the
    identifiers as they appear on it (case number, SSN, or full name with birth date), empty
    when it names nobody in particular (a criterion); a request's subject whose identifier is
    not among them lies outside the scope, whether or not the records hold that person.
    `period_from`/`period_until` bound the records' dates the document reaches, when it says.
    """

    programs: frozenset[Program] = frozenset()
    fields: frozenset[FieldRef] = frozenset()
    people: frozenset[SubjectIdentifier] = frozenset()
    period_from: dt.date | None = None
    period_until: dt.date | None = None

    def __post_init__(self) -> None:
        if (
            self.period_from is not None
            and self.period_until is not None
            and self.period_until < self.period_from
        ):
            raise ValueError("a document's period ends before it begins")

    def names_field(self, ref: FieldRef) -> bool:
        """Whether the document reaches this field (by its program or by the field itself)."""
        return ref.program in self.programs or ref in self.fields

    def names_person(self, identifier: SubjectIdentifier | None) -> bool:
        """Whether the document reaches a subject named by `identifier` (None: a bulk subject).

        A document that names nobody in particular reaches everyone the request names; one that
        names people reaches only them, compared by route and normalized value (never by what
        the records hold, so the answer is the same for a person the records lack).
        """
        if not self.people:
            return True
        if identifier is None:
            return False
        return identifier.key() in {p.key() for p in self.people}

    def covers_day(self, day: dt.date) -> bool:
        """Whether a record dated `day` lies inside the document's period (open ends reach all)."""
        if self.period_from is not None and day < self.period_from:
            return False
        return self.period_until is None or day <= self.period_until


@dataclass(frozen=True, kw_only=True)
class LegalProcess:
    """The legal process a request cites, as entered and as classified on review."""

    kind: LegalProcessKind
    issuer: str = ""
    docket_number: str = ""
    signer: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    #: SHA-256 (hex) of the stored document; empty when no document was supplied.
    document_sha256: str = ""
    #: A written non-disclosure requirement with an end date delays notice to the person.
    nondisclosure_until: dt.date | None = None
    #: What the document names, recorded by counsel on classification; None until then. A
    #: decision under a recorded scope never exceeds it.
    scope: DocumentScope | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on < today
