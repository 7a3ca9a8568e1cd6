"""Staff sign-in safety: throttling, lockout with an alert, and the password rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custos.domain.errors import AuthenticationError, InvalidInputError
from custos.domain.events import EventTag
from custos.domain.roles import Role
from custos.oversight import AlertKind
from custos.rights import LOCKOUT_MINUTES, MAX_SIGNIN_FAILURES
from custos.store import tables as t
from custos.workflow import accounts, oversight, staff_sessions
from custos.workflow.staff_sessions import StaffSignInLockedError
from tests.conftest import Clock
from tests.integration.conftest import PASSWORD, World


def _wrong(world: World, username: str, times: int) -> list[AuthenticationError]:
    errors = []
    for i in range(times):
        with pytest.raises(AuthenticationError) as caught:
            staff_sessions.sign_in(world.ctx, username=username, password=f"wrong password {i}")
        errors.append(caught.value)
    return errors


def test_25_wrong_passwords_then_the_right_one_does_not_sign_in(world: World) -> None:
    errors = _wrong(world, "approver1", 25)
    assert not isinstance(errors[MAX_SIGNIN_FAILURES - 2], StaffSignInLockedError)
    assert all(isinstance(e, StaffSignInLockedError) for e in errors[MAX_SIGNIN_FAILURES - 1 :])
    with pytest.raises(StaffSignInLockedError):
        staff_sessions.sign_in(world.ctx, username="approver1", password=PASSWORD)
    # Other accounts are not locked by it.
    staff_sessions.sign_in(world.ctx, username="approver2", password=PASSWORD)


def test_the_lock_runs_out_and_a_success_clears_the_count(world: World, clock: Clock) -> None:
    _wrong(world, "intake", MAX_SIGNIN_FAILURES)
    clock.advance(minutes=LOCKOUT_MINUTES, seconds=1)
    token, staff = staff_sessions.sign_in(world.ctx, username="intake", password=PASSWORD)
    assert staff.username == "intake"
    assert staff_sessions.staff_from_session(world.ctx, token).id == staff.id
    # The count started again: four more wrong passwords do not lock.
    _wrong(world, "intake", MAX_SIGNIN_FAILURES - 1)
    staff_sessions.sign_in(world.ctx, username="intake", password=PASSWORD)


def test_a_lockout_is_logged_and_raises_an_oversight_alert(world: World) -> None:
    _wrong(world, "counsel", MAX_SIGNIN_FAILURES + 3)
    alerts = oversight.list_alerts(world.ctx, actor=world.staff["auditor"])
    lockouts = [a for a in alerts if a.alert == AlertKind.STAFF_SIGNIN_LOCKOUT]
    assert len(lockouts) == 1, "further refusals while locked raise no new alert"
    assert world.staff["counsel"].id in lockouts[0].summary
    assert "locked until" in lockouts[0].summary
    with world.ctx.reading() as s:
        tags = list(s.scalars(select(t.LedgerEntry.tag)))
    assert tags.count(EventTag.STAFF_SIGNIN_LOCKOUT.value) == 1


def test_unknown_usernames_lock_exactly_like_real_ones(world: World) -> None:
    real = _wrong(world, "auditor", MAX_SIGNIN_FAILURES)
    unknown = _wrong(world, "nobody-here", MAX_SIGNIN_FAILURES)
    assert [type(e) for e in real] == [type(e) for e in unknown]
    assert [str(e).split(" after ")[0] for e in real] == [
        str(e).split(" after ")[0] for e in unknown
    ]


@pytest.mark.parametrize("password", [" " * 12, "password1234", "Qwertyuiop123"])
def test_weak_staff_passwords_are_refused(world: World, password: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        accounts.create_staff(
            world.ctx,
            actor=world.staff["admin"],
            username="newbie",
            display_name="New",
            password=password,
            roles={Role.INTAKE},
        )
    assert [p.path for p in caught.value.problems] == ["password"]
