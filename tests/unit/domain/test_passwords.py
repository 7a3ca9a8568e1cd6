"""The staff password rule: length without surrounding spaces, and the common-password list."""

from __future__ import annotations

import pytest

from custos.domain.passwords import MIN_PASSWORD_LENGTH, common_passwords, password_problem


@pytest.mark.parametrize(
    "password",
    [" " * 12, " " * 40, "short", "   eleven   ", "\t" * 12 + "abc"],
)
def test_too_short_or_blank_passwords_are_refused(password: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert str(MIN_PASSWORD_LENGTH) in problem


@pytest.mark.parametrize(
    "password", ["password1234", "Password1234", "PASSWORD 1234", "qwertyuiop123", "123456789012"]
)
def test_common_passwords_are_refused_whatever_their_case_and_spaces(password: str) -> None:
    assert password_problem(password) == (
        "too common: it is on a list of passwords attackers try first"
    )


def test_a_long_uncommon_password_is_accepted() -> None:
    assert password_problem("correct horse battery staple") is None
    assert password_problem("q7-Vt!m2#Lp9") is None


def test_the_shipped_list_holds_only_passwords_the_length_rule_lets_through() -> None:
    # Shorter entries would be dead weight: the length rule refuses them first.
    words = common_passwords()
    assert len(words) >= 100
    assert all(len(w) >= MIN_PASSWORD_LENGTH for w in words)
