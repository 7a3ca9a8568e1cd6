"""How a request names the people it is about.

Matching is exact and strict on purpose: case number, or SSN, or normalized full name plus
birth date. There is no fuzzy or partial search, because that would help find people beyond
what a lawful request compels.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
_SSN = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")


def normalize_name(name: str) -> str:
    """Case-fold, strip accents and punctuation, and collapse spaces.

    "José  O'Brien-Smith" and "jose obrien smith" normalize alike; nothing else is loosened.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(
        c if c.isalnum() or c.isspace() else (" " if c == "-" else "") for c in letters
    )
    return _SPACES.sub(" ", cleaned).strip().casefold()


def normalize_ssn(ssn: str) -> str:
    """Digits only; raises ValueError when it is not nine digits in the usual shape."""
    if not _SSN.match(ssn.strip()):
        raise ValueError("an SSN is nine digits, optionally as 123-45-6789")
    return ssn.replace("-", "").strip()


@dataclass(frozen=True, kw_only=True)
class SubjectIdentifier:
    """One person named by a request: exactly one of the three identifying routes."""

    case_number: str | None = None
    ssn: str | None = None
    full_name: str | None = None
    birth_date: dt.date | None = None

    def __post_init__(self) -> None:
        routes = [
            self.case_number is not None,
            self.ssn is not None,
            self.full_name is not None or self.birth_date is not None,
        ]
        if sum(routes) != 1:
            raise ValueError(
                "name a person by exactly one of: case number, SSN, full name + birth date"
            )
        if (self.full_name is None) != (self.birth_date is None):
            raise ValueError("a full name must come with a birth date")
        if self.ssn is not None:
            normalize_ssn(self.ssn)
        if self.full_name is not None and not normalize_name(self.full_name):
            raise ValueError("the full name is empty")

    @property
    def route(self) -> str:
        if self.case_number is not None:
            return "case_number"
        if self.ssn is not None:
            return "ssn"
        return "name_birth_date"

    def key(self) -> str:
        """The identifier as a document's scope compares it: its route and normalized value.

        "123-45-6789" and "123456789" are one SSN; "José O'Brien" born 1990-01-02 and "jose
        obrien" born the same day are one name. Different routes never compare equal.
        """
        if self.case_number is not None:
            return "case_number:" + self.case_number.strip().casefold()
        if self.ssn is not None:
            return "ssn:" + normalize_ssn(self.ssn)
        born = self.birth_date.isoformat() if self.birth_date is not None else ""
        return f"name_birth_date:{normalize_name(self.full_name or '')}|{born}"

    def as_dict(self) -> dict[str, str]:
        """Plain form for storage. This is personal data: never put it in the ledger."""
        out: dict[str, str] = {}
        if self.case_number is not None:
            out["case_number"] = self.case_number
        if self.ssn is not None:
            out["ssn"] = normalize_ssn(self.ssn)
        if self.full_name is not None and self.birth_date is not None:
            out["full_name"] = self.full_name
            out["birth_date"] = self.birth_date.isoformat()
        return out


@dataclass(frozen=True, kw_only=True)
class SubjectFacts:
    """What the policies may read about a matched person, and nothing more.

    The policy engine groups people by these facts, so a million people with the same facts
    cost one decision. Add a fact here only when a rule needs it.
    """

    #: Programs the person is enrolled in.
    programs: frozenset[str]
    #: A formal determination of unlawful presence (e.g. a final removal order) is on file.
    determination_on_file: bool
    #: The person opted out of discretionary sharing.
    opted_out: bool

    def key(self) -> str:
        """A short stable key of these facts: people with equal facts share one decision."""
        programs = ",".join(sorted(self.programs))
        text = f"{programs}|{int(self.determination_on_file)}|{int(self.opted_out)}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


#: The decision-class key of identifiers that matched nobody. Stored only inside the agency.
NO_MATCH_KEY = "none"
#: The decision-class key of the people a classified document does not name, matched or not:
#: one class, decided without looking at anyone's facts, so it reveals no match.
OUTSIDE_SCOPE_KEY = "outside-scope"
