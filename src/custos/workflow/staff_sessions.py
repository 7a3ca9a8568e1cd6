"""Staff sign-in and sessions, and the sign-in's throttle.

Sessions are bearer secrets stored as SHA-256 (`custos.workflow.bearer`), 8 hours, revocable.
Wrong passwords are counted per username, then the username locks.

A staff member with a TOTP second factor (`custos.domain.second_factor`) signs in with the
code too; a wrong or replayed code counts like a wrong password, and every failure reads the
same. An administrator without one may sign in with the password only to enrol: until then
their session opens nothing else (`staff_from_session` refuses it unless `enrolling`), and the
API, which cannot enrol, refuses the sign-in itself.

The policy is the one people's sign-in follows (`custos.rights.lock_until`,
`custos.rights.still_locked`): after `MAX_SIGNIN_FAILURES` wrong passwords a username is
locked for `LOCKOUT_MINUTES`, during which even the right password is refused without being
checked. Unknown usernames are counted like real ones, so a lockout says nothing about which
accounts exist. Each lockout is logged and raises an oversight alert in the same transaction:
a run of wrong passwords against a staff account is someone trying to get in.

The requester portal's officers sign in through the same throttle (`check`, `fail`, `clear`)
in their own `SignInRealm`: their usernames are counted apart from staff ones, and their
lockouts carry their own event tag and alert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from custos.domain import second_factor
from custos.domain.errors import AuthenticationError
from custos.domain.events import EventTag
from custos.domain.principals import SYSTEM_ACTOR, StaffPrincipal
from custos.domain.roles import Role
from custos.oversight import AlertKind
from custos.rights import lock_until, still_locked
from custos.store import tables as t
from custos.workflow import bearer, journal, totp_seal
from custos.workflow.context import Context
from custos.workflow.hashing import dummy_hash, verify_secret

STAFF_SESSION_HOURS = 8

#: What every failed staff sign-in says, whichever part was wrong.
SIGNIN_FAILED = "wrong username, password or code"
#: What an administrator without a second factor is told outside the enrolment page.
ENROL_FIRST = (
    "an administrator must set up a second factor (an authenticator app) in the staff "
    "console before doing anything else"
)


class SecondFactorEnrolmentRequiredError(AuthenticationError):
    """An administrator signed in without a second factor: they must enrol one first."""

    kind = "second-factor-enrolment-required"


class StaffSignInLockedError(AuthenticationError):
    """Too many wrong passwords for this username; reads the same for every username."""

    kind = "sign-in-locked"
    status = 429


def locked_message(until: dt.datetime) -> str:
    return (
        "too many wrong passwords for this username; try again after "
        f"{until.strftime('%Y-%m-%d %H:%M')} UTC or ask an administrator"
    )


@dataclass(frozen=True, kw_only=True)
class SignInRealm:
    """Whose sign-in is throttled: keeps each realm's counts apart and names its lockouts."""

    #: Mixed into the key's hash, so one realm's username never shares a count with another's.
    salt: bytes
    lockout: EventTag
    alert: AlertKind
    #: The lockout event's field naming the account, and the alert's words for it.
    account_field: str
    account_words: str


STAFF_REALM = SignInRealm(
    salt=b"custos-staff-signin",
    lockout=EventTag.STAFF_SIGNIN_LOCKOUT,
    alert=AlertKind.STAFF_SIGNIN_LOCKOUT,
    account_field="staff",
    account_words="staff account",
)


def throttle_key(username: str, realm: SignInRealm = STAFF_REALM) -> str:
    """The throttle row's key: a hash of the folded username (never the username itself)."""
    folded = username.strip().casefold().encode()
    return hashlib.sha256(realm.salt + b"\0" + folded).hexdigest()


def check(
    session: Session, username: str, now: dt.datetime, realm: SignInRealm = STAFF_REALM
) -> t.StaffSignInThrottle | None:
    """The username's throttle row, locked for update; raises while the username is locked."""
    row = session.scalar(
        select(t.StaffSignInThrottle)
        .where(t.StaffSignInThrottle.key == throttle_key(username, realm))
        .with_for_update()
    )
    if row is not None and row.locked_until is not None:
        if still_locked(row.locked_until, now):
            raise StaffSignInLockedError(locked_message(row.locked_until))
        row.failures, row.locked_until = 0, None
    return row


def clear(session: Session, row: t.StaffSignInThrottle | None) -> None:
    """A successful sign-in forgets earlier failures."""
    if row is not None:
        session.delete(row)


def fail(
    ctx: Context,
    session: Session,
    *,
    username: str,
    staff_id: str | None,
    row: t.StaffSignInThrottle | None,
    realm: SignInRealm = STAFF_REALM,
    requester_id: str | None = None,
) -> AuthenticationError:
    """Count one wrong password; returns the error to raise once the count is committed.

    `staff_id` is the account the username names, if any (an officer's id in the officers'
    realm); `requester_id` the officer's agency, for the alert."""
    now = ctx.now()
    if row is None:
        row = t.StaffSignInThrottle(
            key=throttle_key(username, realm), failures=0, first_failure_at=now
        )
        session.add(row)
    row.failures += 1
    until = lock_until(row.failures, now)
    if until is None:
        return AuthenticationError(SIGNIN_FAILED)
    row.locked_until = until
    key = row.key[:16]
    journal.record(
        ctx,
        session,
        realm.lockout,
        SYSTEM_ACTOR,
        key=key,
        until=until.isoformat(),
        **{realm.account_field: staff_id},
    )
    journal.record(
        ctx,
        session,
        EventTag.OVERSIGHT_ALERT_RAISE,
        SYSTEM_ACTOR,
        alert=realm.alert.value,
        key=f"{realm.alert.value}:{key}:{now.isoformat()}",
        summary=(
            f"{row.failures} wrong passwords for "
            + (f"{realm.account_words} {staff_id}" if staff_id else "an unknown username")
            + f"; sign-in locked until {until.strftime('%Y-%m-%d %H:%M')} UTC"
        ),
        requester=requester_id,
        staff=staff_id if realm is STAFF_REALM else None,
    )
    return StaffSignInLockedError(locked_message(until))


def staff_principal(row: t.Staff) -> StaffPrincipal:
    return StaffPrincipal(
        id=row.id, username=row.username, roles=frozenset(Role(r) for r in row.roles)
    )


def sign_in(
    ctx: Context,
    *,
    username: str,
    password: str,
    code: str = "",
    enrolment_allowed: bool = True,
) -> tuple[str, StaffPrincipal]:
    """Check a password (and the TOTP code, if the account has a second factor) and open a
    session; returns (session token, principal).

    Throttled: a locked username is refused before its password is looked at, and a wrong
    password or code is counted even though the sign-in fails. With `enrolment_allowed`
    False (the API), an administrator without a second factor is refused: only the console
    can enrol one.
    """
    failure: AuthenticationError | None = None
    with ctx.transaction() as s:
        throttle = check(s, username, ctx.now())
        row = s.scalar(select(t.Staff).where(t.Staff.username == username))
        live = row is not None and row.active
        stored = row.password_hash if row is not None and live else dummy_hash("password")
        if (
            not verify_secret(stored, password)
            or row is None
            or not live
            or not _code_matches(ctx, row, code)
        ):
            failure = fail(
                ctx, s, username=username, staff_id=row.id if row else None, row=throttle
            )
        elif not enrolment_allowed and must_enrol(row):
            failure = SecondFactorEnrolmentRequiredError(ENROL_FIRST)
        else:
            clear(s, throttle)
            token = _open_session(ctx, s, row.id)
            principal = staff_principal(row)
    if failure is not None:
        raise failure
    return token, principal


def _code_matches(ctx: Context, row: t.Staff, code: str) -> bool:
    """No second factor: nothing to check. Otherwise the code must match a step not used yet,
    which is then spent. The secret is unsealed only here, after the password matched."""
    if row.totp_secret is None:
        return True
    secret = totp_seal.unseal(
        ctx.settings, owner=totp_seal.staff_owner(row.id), stored=row.totp_secret
    )
    step = second_factor.matching_step(secret, code, ctx.now(), last_step=row.totp_last_step)
    if step is None:
        return False
    row.totp_last_step = step
    return True


def must_enrol(row: t.Staff) -> bool:
    """An administrator (or anyone whose roles require it) without a second factor, or anyone
    whose second factor an administrator reset: they enrol a new one before anything else."""
    if row.totp_secret is not None:
        return False
    return row.totp_reenrol or second_factor.required(Role(r) for r in row.roles)


def end_sessions(session: Session, staff_id: str, now: dt.datetime) -> None:
    """Revoke every live session of a staff member (a reset of their second factor)."""
    session.execute(
        update(t.StaffSession)
        .where(t.StaffSession.staff_id == staff_id, t.StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _open_session(ctx: Context, s: Session, staff_id: str) -> str:
    minted, now = bearer.new_session("ses"), ctx.now()
    expires = now + dt.timedelta(hours=STAFF_SESSION_HOURS)
    s.add(
        t.StaffSession(
            id=minted.row_id,
            staff_id=staff_id,
            secret_hash=minted.secret_hash,
            created_at=now,
            expires_at=expires,
        )
    )
    return minted.token


def staff_from_session(ctx: Context, token: str, *, enrolling: bool = False) -> StaffPrincipal:
    """The staff member of a live session. An administrator still without a second factor
    gets only the enrolment page (`enrolling`); anything else raises
    SecondFactorEnrolmentRequiredError."""
    with ctx.reading() as s:
        sess = bearer.held(s, t.StaffSession, token)
        if sess is None:
            raise AuthenticationError("the session is not valid")
        if sess.revoked_at is not None or sess.expires_at <= ctx.now():
            raise AuthenticationError("the session has expired; sign in again")
        staff = s.get(t.Staff, sess.staff_id)
        if staff is None or not staff.active:
            raise AuthenticationError("the session is not valid")
        if not enrolling and must_enrol(staff):
            raise SecondFactorEnrolmentRequiredError(ENROL_FIRST)
        return staff_principal(staff)


def sign_out(ctx: Context, token: str) -> None:
    bearer.split(token)  # a malformed token is refused before any transaction
    with ctx.transaction() as s:
        sess = bearer.held(s, t.StaffSession, token)
        if sess is not None:
            sess.revoked_at = ctx.now()
