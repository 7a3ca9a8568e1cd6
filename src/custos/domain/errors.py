"""One error hierarchy for all of Custos.

Domain and capability code raise these; the edges map them: the API to RFC 9457 problem
documents, the CLI to exit codes. Messages are written for the person reading them and never
carry personal data, because they may be shown to a requester.
"""

from __future__ import annotations

from dataclasses import dataclass


class CustosError(Exception):
    """Base of every error Custos raises on purpose."""

    #: A stable, machine-readable kind, used as the last path segment of the problem type URI.
    kind: str = "error"
    #: The HTTP status the API maps this error to.
    status: int = 500
    #: The CLI exit code this error maps to.
    exit_code: int = 1

    def diagnostics(self) -> str:
        """A text for people: what went wrong and what to do."""
        return str(self)


@dataclass(frozen=True, kw_only=True)
class FieldProblem:
    """One bad input field: where it is (a dotted path) and what is wrong with it."""

    path: str
    message: str


class InvalidInputError(CustosError):
    """Input failed validation; nothing was stored."""

    kind = "invalid-input"
    status = 422
    exit_code = 2

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[FieldProblem] = list(problems or [])

    def diagnostics(self) -> str:
        lines = [str(self)]
        lines += [f"  {p.path}: {p.message}" for p in self.problems]
        return "\n".join(lines)


class NotFoundError(CustosError):
    """The thing does not exist, or the caller may not know that it does.

    Raised identically in both cases so that existence never leaks (neither confirm nor deny).
    """

    kind = "not-found"
    status = 404
    exit_code = 3


class AuthenticationError(CustosError):
    """Credentials missing, malformed, forged, expired or revoked."""

    kind = "unauthenticated"
    status = 401
    exit_code = 4


class PermissionDeniedError(CustosError):
    """The caller is known but their role does not allow this action."""

    kind = "forbidden"
    status = 403
    exit_code = 4


class ConflictError(CustosError):
    """The action does not fit the current state (for example an illegal transition)."""

    kind = "conflict"
    status = 409
    exit_code = 5


class IllegalTransitionError(ConflictError):
    """A request may not move between these two states."""

    kind = "illegal-transition"


class PolicyError(CustosError):
    """A policy pack is broken or could not be evaluated. Callers fail closed."""

    kind = "policy-error"
    status = 500
    exit_code = 6


class IntegrityError(CustosError):
    """Stored or supplied data does not verify (a log, a proof, a signature, a hash)."""

    kind = "integrity"
    status = 422
    exit_code = 7


@dataclass(frozen=True, kw_only=True)
class RowProblem:
    """One bad row of an import file."""

    row: int
    column: str
    message: str


class ImportRejectedError(InvalidInputError):
    """An import file had bad rows; nothing was imported."""

    kind = "import-rejected"

    def __init__(self, message: str, rows: list[RowProblem]) -> None:
        super().__init__(message)
        self.rows = rows

    def diagnostics(self) -> str:
        shown = self.rows[:50]
        lines = [str(self)] + [f"  row {r.row}, {r.column}: {r.message}" for r in shown]
        if len(self.rows) > len(shown):
            lines.append(f"  … and {len(self.rows) - len(shown)} more")
        return "\n".join(lines)
