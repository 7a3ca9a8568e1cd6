"""What a staff password must be: long enough, not blank, not on a list of common passwords.

NIST SP 800-63B §5.1.1.2: a minimum length, no composition rules, and a check against
passwords known to be common or breached. Length counts the password without its surrounding
spaces, so twelve spaces are no password at all. The list (`common-passwords.txt`, shipped in
the package) holds the commonest passwords long enough to pass the length rule; it is compared
without case and with inner spaces removed, so "Password 1234" is refused like "password1234".
"""

from __future__ import annotations

import functools
from importlib import resources

#: Fewest characters a password may have (not counting spaces around it).
MIN_PASSWORD_LENGTH = 12
#: Most characters (Argon2 hashes anything, but a megabyte of password is an attack).
MAX_PASSWORD_LENGTH = 1000


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, folded the way `password_problem` folds a password."""
    text = resources.files(__package__).joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        _fold(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _fold(password: str) -> str:
    return "".join(password.split()).casefold()


def password_problem(password: str) -> str | None:
    """Why `password` may not be used, in words for the person choosing it; None if it may."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters, not counting spaces at either end"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    if _fold(password) in common_passwords():
        return "too common: it is on a list of passwords attackers try first"
    return None
