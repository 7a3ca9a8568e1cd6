"""A person's consent to a representative: what it may cover and how long it lives.

A consent is the person's own act (a representative cannot grant or widen one), names at
least one scope, lasts at most `MAX_CONSENT_DAYS`, and ends at its expiry or when revoked,
whichever comes first; a representative's session ends with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from custos.domain.errors import FieldProblem, InvalidInputError
from custos.rights._principal import PersonScope

#: Longest consent a person may give a representative.
MAX_CONSENT_DAYS = 366


def consent_live(revoked_at: dt.datetime | None, expires_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a consent still lets its representative act at `now`."""
    return revoked_at is None and expires_at > now


def check_consent(scopes: Iterable[PersonScope | str], days: int) -> list[str]:
    """The consent's scopes as stored (sorted, each once); raises InvalidInputError naming
    every problem when there is no scope or the lifetime is out of range."""
    chosen = sorted({PersonScope(x).value for x in scopes})
    problems = []
    if not chosen:
        problems.append(FieldProblem(path="scopes", message="at least one scope"))
    if not 1 <= days <= MAX_CONSENT_DAYS:
        problems.append(FieldProblem(path="days", message=f"1 to {MAX_CONSENT_DAYS}"))
    if problems:
        raise InvalidInputError("the consent is invalid", problems)
    return chosen


def consent_expiry(granted_at: dt.datetime, days: int) -> dt.datetime:
    """When a consent given at `granted_at` for `days` ends."""
    return granted_at + dt.timedelta(days=days)
