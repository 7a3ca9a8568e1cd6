"""The one Argon2id hasher for every stored secret: staff and officers' passwords, requester
tokens and people's access codes.

Production uses RFC 9106's low-memory profile (argon2-cffi's default: t=3, 64 MiB, p=4). A
verification takes the parameters written in the stored hash, so hashes made under another
profile keep verifying.

`CUSTOS_INSECURE_FAST_HASHING_FOR_TESTS=1` switches new hashes to argon2-cffi's cheapest
profile. The test suite sets it: it builds hundreds of small worlds, each hashing a dozen
passwords, and the full profile made that a large share of the suite's time. Never set it
anywhere else: such hashes are trivial to brute-force.
"""

from __future__ import annotations

import functools
import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

FAST_FOR_TESTS = "CUSTOS_INSECURE_FAST_HASHING_FOR_TESTS"


@functools.cache
def _hasher() -> PasswordHasher:
    """Chosen once, on the first hash (nothing reads the environment at import time)."""
    fast = os.environ.get(FAST_FOR_TESTS) == "1"
    return PasswordHasher.from_parameters(
        profiles.CHEAPEST if fast else profiles.RFC_9106_LOW_MEMORY
    )


def hash_secret(secret: str) -> str:
    """The encoded Argon2id hash of `secret`, with its own salt and parameters."""
    return _hasher().hash(secret)


def verify_secret(stored: str, secret: str) -> bool:
    """Whether `secret` matches `stored`; False for a wrong secret or an unreadable hash."""
    try:
        return _hasher().verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash(purpose: str) -> str:
    """A valid hash of a fixed secret, verified against when no stored hash could match, so
    an unknown user (or case number) costs the time a wrong secret does. Made on first use."""
    return hash_secret(f"custos-dummy-{purpose}")
