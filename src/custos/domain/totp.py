"""Time-based one-time passwords (RFC 6238): the requesting officers' second factor.

Pure: the caller passes the time, so a test or a fixed demo clock gets the same answers as a
phone. A code is accepted in the time step it belongs to or one step either side (RFC 6238
§5.2 allows a small window for clock drift and typing time), and never in a step at or before
the last one accepted, so an overheard code cannot be replayed.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

import pyotp

#: Digits of a code, as authenticator apps show it.
DIGITS = 6
#: Steps either side of the current one that are still accepted.
DRIFT_STEPS = 1

_CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh random base32 secret (160 bits, the RFC 4226 §4 recommendation)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://` URI an authenticator app reads from a QR code or a paste."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def code_at(secret: str, at: dt.datetime) -> str:
    """The code for `at` (what the officer's app shows then)."""
    return pyotp.TOTP(secret).at(at)


def normalise(code: str) -> str:
    """The code as typed, without the spaces apps print in the middle ("123 456")."""
    return "".join(code.split())


def accepted_step(secret: str, code: str, at: dt.datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to if it is accepted at `at`, else None.

    Refuses anything that is not six digits, codes outside the drift window, and codes of a
    step at or before `last_step` (already used: RFC 6238 §5.2, "the verifier MUST NOT accept
    the second attempt of the OTP after the successful validation").
    """
    typed = normalise(code)
    if _CODE.match(typed) is None:
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None
