"""One-time access codes for people: printed on a letter, typed by hand, stored hashed.

Twelve characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), grouped in threes
of four: 12 × log2(30) ≈ 59 bits. That is far beyond what the sign-in lockout lets anyone
guess, and short enough to type from paper.
"""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 12
GROUP = 4


def generate() -> str:
    """A new code in its printed form, e.g. `K7QM-3XRT-9BWP`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(code: str) -> str:
    """What a person typed, as compared: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def normalize_case_number(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()
