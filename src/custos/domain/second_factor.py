"""The staff second factor: time-based one-time passwords (TOTP, RFC 6238).

Pure rules, no storage: a new shared secret, the `otpauth://` address an authenticator app
reads, and whether a code matches. A code is accepted for the current 30-second step and the
steps either side (clocks drift, RFC 6238 §5.2 and §6), and only for a step later than the
last one that signed in, so an overheard code cannot be replayed (§5.2: "the verifier MUST
NOT accept the second attempt of the same OTP after the successful validation").

Who must have one: administrators, who create staff accounts and so could make themselves
anyone (NIST SP 800-63B AAL2 for privileged accounts). Others may enrol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import pyotp

from custos.domain.roles import Role

#: Seconds a code lasts, and its digits: what every authenticator app uses by default.
STEP_SECONDS: Final = 30
DIGITS: Final = 6
#: Steps either side of now that are still accepted.
DRIFT_STEPS: Final = 1
#: Roles that must have a second factor before doing anything else.
REQUIRED_FOR: Final = frozenset({Role.ADMIN})


def new_secret() -> str:
    """A fresh random shared secret: 32 base32 characters (160 bits, RFC 4226 §4 R6)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://totp/…` address an authenticator app enrols from (a QR code of it)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def step_of(now: dt.datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, now: dt.datetime) -> str:
    """The code an authenticator app shows at `now` (for the demo and for tests)."""
    return pyotp.TOTP(secret).at(now)


def matching_step(
    secret: str, code: str, now: dt.datetime, *, last_step: int | None = None
) -> int | None:
    """The time step `code` belongs to, or None when it matches no step still open or was
    used already. Spaces in the code are ignored (apps show `123 456`)."""
    given = "".join(code.split())
    if len(given) != DIGITS or not given.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), given):
            return step
    return None


def required(roles: Iterable[Role]) -> bool:
    """Whether holding `roles` means a second factor is required."""
    return bool(REQUIRED_FOR.intersection(roles))
