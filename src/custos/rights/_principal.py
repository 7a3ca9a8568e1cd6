"""Who acts in a person's rights: the person, or a representative under a recorded consent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from custos.domain.errors import PermissionDeniedError


class PersonScope(StrEnum):
    """What a session may do. A person holds every scope; a representative those consented to."""

    VIEW = "view"
    CHALLENGE = "challenge"
    OPT_OUT = "opt_out"


ALL_SCOPES = frozenset(PersonScope)


@dataclass(frozen=True, kw_only=True)
class PersonPrincipal:
    """A signed-in person, or a representative acting for one.

    `actor` is what the ledger records: the person's pseudonym or the representative's id,
    never a name, so every action names who acted without putting personal data in the log.
    """

    person_id: str
    subject_ref: str
    scopes: frozenset[PersonScope]
    representative_id: str | None = None
    consent_id: str | None = None

    @property
    def actor(self) -> str:
        if self.representative_id is not None:
            return f"representative:{self.representative_id}"
        return f"person:{self.subject_ref}"

    @property
    def is_representative(self) -> bool:
        return self.representative_id is not None

    def require(self, scope: PersonScope) -> None:
        """Raise unless this session may take actions of `scope`."""
        if scope not in self.scopes:
            raise PermissionDeniedError(f"the consent does not cover {scope.value}")
