"""The sign-in lockout: how many wrong sign-ins a case number gets, and for how long it locks.

Wrong guesses are counted per case number (through a keyed hash, never the number itself),
whether or not the case number exists, so a lockout says nothing about who is on the rolls.
After `MAX_SIGNIN_FAILURES` wrong sign-ins the case number is locked for `LOCKOUT_MINUTES`;
once the lock has run out, the count starts again from zero. With codes of about 59 bits
(`custos.rights._codes`) this leaves nothing worth guessing.
"""

from __future__ import annotations

import datetime as dt

from custos.domain.errors import AuthenticationError

#: Wrong sign-ins for one case number before it is locked.
MAX_SIGNIN_FAILURES = 5
#: How long a locked case number stays locked.
LOCKOUT_MINUTES = 15

#: What every failed sign-in says, whichever part was wrong.
SIGNIN_FAILED = "the case number, date of birth and access code do not match"


class SignInLockedError(AuthenticationError):
    """Too many wrong sign-ins for this case number; read the same for every case number."""

    kind = "sign-in-locked"
    status = 429


def locked_message(until: dt.datetime) -> str:
    """What a locked-out person is told: when to try again, and the other way in."""
    return (
        "too many sign-in attempts for this case number; try again after "
        f"{until.strftime('%Y-%m-%d %H:%M')} UTC or ask the agency for a new letter"
    )


def still_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a lock set to end at `locked_until` still holds at `now`."""
    return locked_until is not None and locked_until > now


def lock_until(failures: int, now: dt.datetime) -> dt.datetime | None:
    """When a case number with `failures` wrong sign-ins (this one counted) is locked until;
    None while it has attempts left."""
    if failures < MAX_SIGNIN_FAILURES:
        return None
    return now + dt.timedelta(minutes=LOCKOUT_MINUTES)
