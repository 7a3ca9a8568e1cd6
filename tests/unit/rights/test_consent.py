"""A consent names at least one scope, lasts one day to a year, and ends when revoked."""

from __future__ import annotations

import datetime as dt

import pytest

from custos.domain.errors import InvalidInputError
from custos.rights import MAX_CONSENT_DAYS, PersonScope, check_consent, consent_expiry, consent_live

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_scopes_are_stored_sorted_and_once() -> None:
    chosen = check_consent([PersonScope.OPT_OUT, PersonScope.VIEW, "view"], 30)
    assert chosen == ["opt_out", "view"]


@pytest.mark.parametrize(
    ("scopes", "days", "paths"),
    [
        ([], 30, ["scopes"]),
        ([PersonScope.VIEW], 0, ["days"]),
        ([PersonScope.VIEW], MAX_CONSENT_DAYS + 1, ["days"]),
        ([], 0, ["scopes", "days"]),
    ],
)
def test_an_invalid_consent_names_every_problem(
    scopes: list[PersonScope], days: int, paths: list[str]
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        check_consent(scopes, days)
    assert [p.path for p in exc.value.problems] == paths


def test_an_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="everything"):
        check_consent(["everything"], 30)


def test_a_consent_lives_until_it_expires_or_is_revoked() -> None:
    expires = consent_expiry(NOW, 30)
    assert expires == NOW + dt.timedelta(days=30)
    assert consent_live(None, expires, NOW)
    assert not consent_live(None, expires, expires)
    assert not consent_live(NOW, expires, NOW + dt.timedelta(seconds=1))
