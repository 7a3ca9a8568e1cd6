"""Who is acting: a staff member, a requester agency, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

from custos.domain.disclosure import RequesterKind
from custos.domain.errors import PermissionDeniedError
from custos.domain.roles import Role


@dataclass(frozen=True, kw_only=True)
class StaffPrincipal:
    id: str
    username: str
    roles: frozenset[Role]

    @property
    def actor(self) -> str:
        return f"staff:{self.id}"

    def require(self, *roles: Role) -> None:
        """Raise unless the member holds at least one of `roles` (admin is not a wildcard)."""
        if not self.roles.intersection(roles):
            names = ", ".join(r.value for r in roles)
            raise PermissionDeniedError(f"this action needs one of the roles: {names}")


class Scope:
    """Token scopes a requester may hold."""

    REQUESTS_WRITE = "requests:write"
    REQUESTS_READ = "requests:read"
    RELEASES_READ = "releases:read"
    ALL = (REQUESTS_WRITE, REQUESTS_READ, RELEASES_READ)


@dataclass(frozen=True, kw_only=True)
class RequesterPrincipal:
    id: str
    kind: RequesterKind
    scopes: frozenset[str]
    #: The officer signed in to the portal; None for the agency's API token (machine clients).
    officer_id: str | None = None

    @property
    def actor(self) -> str:
        return f"requester:{self.id}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDeniedError(f"this token lacks the scope {scope}")


SYSTEM_ACTOR = "system"
