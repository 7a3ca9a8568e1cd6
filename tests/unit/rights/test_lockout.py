"""The sign-in lockout: five wrong sign-ins lock a case number for fifteen minutes."""

from __future__ import annotations

import datetime as dt

from custos.domain.errors import AuthenticationError
from custos.rights import (
    LOCKOUT_MINUTES,
    MAX_SIGNIN_FAILURES,
    SignInLockedError,
    lock_until,
    locked_message,
    still_locked,
)

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_attempts_below_the_limit_do_not_lock() -> None:
    for failures in range(MAX_SIGNIN_FAILURES):
        assert lock_until(failures, NOW) is None


def test_the_last_allowed_failure_locks_for_the_lockout_time() -> None:
    assert lock_until(MAX_SIGNIN_FAILURES, NOW) == NOW + dt.timedelta(minutes=LOCKOUT_MINUTES)
    assert lock_until(MAX_SIGNIN_FAILURES + 3, NOW) == NOW + dt.timedelta(minutes=LOCKOUT_MINUTES)


def test_a_lock_holds_until_its_end_and_not_after() -> None:
    until = NOW + dt.timedelta(minutes=LOCKOUT_MINUTES)
    assert still_locked(until, NOW)
    assert still_locked(until, until - dt.timedelta(seconds=1))
    assert not still_locked(until, until)
    assert not still_locked(None, NOW)


def test_the_locked_message_says_when_to_try_again_and_the_other_way_in() -> None:
    message = locked_message(dt.datetime(2026, 3, 2, 9, 45, tzinfo=dt.UTC))
    assert "try again after 2026-03-02 09:45 UTC" in message
    assert "ask the agency for a new letter" in message


def test_a_lockout_is_an_authentication_failure_with_its_own_kind() -> None:
    err = SignInLockedError(locked_message(NOW))
    assert isinstance(err, AuthenticationError)
    assert err.kind == "sign-in-locked"
    assert err.status == 429
