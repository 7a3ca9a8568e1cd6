"""Requesting officers' portal sign-in and server-side sessions.

An officer signs in with username, password and a TOTP code. The session lives in the
database (`t.PortalSession`): the browser's cookie holds only a bearer token of 256 random bits
(`custos.workflow.bearer`), whose SHA-256 is all the table keeps. A session ends when the
officer signs out (its row is deleted, so a copied cookie is worthless afterwards), after
`IDLE_MINUTES` without use, after `ABSOLUTE_HOURS` whatever the use, and when staff suspend the
officer. Wrong sign-ins go through the staff sign-in's throttle (`staff_sessions.check`,
`fail`, `clear`) in the officers' own realm: the same lockout, its own event and alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from custos.domain import totp
from custos.domain.disclosure import RequesterKind
from custos.domain.errors import AuthenticationError
from custos.domain.events import EventTag
from custos.domain.principals import RequesterPrincipal, Scope
from custos.oversight import AlertKind
from custos.store import tables as t
from custos.workflow import bearer, staff_sessions, totp_seal
from custos.workflow.context import Context
from custos.workflow.hashing import dummy_hash, verify_secret
from custos.workflow.officers import OfficerStatus
from custos.workflow.staff_sessions import SignInRealm

#: A session unused this long has ended.
IDLE_MINUTES = 30
#: A session ends this long after sign-in, however busy.
ABSOLUTE_HOURS = 8
#: Activity is written back at most this often, so reading pages does not write every time.
_TOUCH_SECONDS = 60

#: What every failed sign-in says, whichever part was wrong.
SIGNIN_FAILED = "wrong username, password or code"

OFFICER_REALM = SignInRealm(
    salt=b"custos-officer-signin",
    lockout=EventTag.REQUESTER_SIGNIN_LOCKOUT,
    alert=AlertKind.REQUESTER_SIGNIN_LOCKOUT,
    account_field="officer",
    account_words="officer",
)


@dataclass(frozen=True, kw_only=True)
class PortalSignIn:
    """An opened session: the token for the cookie, and who it is."""

    token: str
    principal: RequesterPrincipal
    officer_name: str


def _principal(officer: t.RequesterOfficer, requester: t.Requester) -> RequesterPrincipal:
    return RequesterPrincipal(
        id=requester.id,
        kind=RequesterKind(requester.kind),
        scopes=frozenset(Scope.ALL),
        officer_id=officer.id,
    )


def _live(s: Session, officer: t.RequesterOfficer | None) -> t.Requester | None:
    """The officer's agency if both may act, else None."""
    if officer is None or officer.status != OfficerStatus.ACTIVE.value:
        return None
    requester = s.get(t.Requester, officer.requester_id)
    return requester if requester is not None and requester.active else None


def _secret(ctx: Context, officer: t.RequesterOfficer) -> str:
    """The officer's TOTP secret, unsealed (only once their password has matched)."""
    return totp_seal.unseal(
        ctx.settings, owner=totp_seal.officer_owner(officer.id), stored=officer.totp_secret
    )


def sign_in(ctx: Context, *, username: str, password: str, code: str) -> PortalSignIn:
    """Check password and TOTP code, then open a session.

    Every failure (unknown username, suspended officer, wrong password, wrong or reused code)
    reads the same and is counted; a locked username is refused before anything is checked.
    """
    failure: AuthenticationError | None = None
    now = ctx.now()
    with ctx.transaction() as s:
        throttle = staff_sessions.check(s, username, now, OFFICER_REALM)
        officer = s.scalar(
            select(t.RequesterOfficer).where(
                func.lower(t.RequesterOfficer.username) == username.strip().lower()
            )
        )
        requester = _live(s, officer)
        stored = officer.password_hash if officer and requester else dummy_hash("password")
        ok = verify_secret(stored, password)
        step = (
            totp.accepted_step(_secret(ctx, officer), code, now, officer.totp_last_step)
            if ok and officer is not None and requester is not None
            else None
        )
        if officer is None or requester is None or step is None:
            failure = staff_sessions.fail(
                ctx,
                s,
                username=username,
                staff_id=officer.id if officer else None,
                row=throttle,
                realm=OFFICER_REALM,
                requester_id=officer.requester_id if officer else None,
            )
            if failure.status == AuthenticationError.status:
                failure = AuthenticationError(SIGNIN_FAILED)
        else:
            staff_sessions.clear(s, throttle)
            officer.totp_last_step = step
            opened = PortalSignIn(
                token=_open(s, officer.id, now),
                principal=_principal(officer, requester),
                officer_name=officer.display_name,
            )
    if failure is not None:
        raise failure
    return opened


def _open(s: Session, officer_id: str, now: dt.datetime) -> str:
    minted = bearer.new_session("pss")
    s.add(
        t.PortalSession(
            id=minted.row_id,
            officer_id=officer_id,
            secret_hash=minted.secret_hash,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=ABSOLUTE_HOURS),
        )
    )
    return minted.token


def requester_from_session(ctx: Context, token: str) -> RequesterPrincipal:
    """The officer (as their agency's principal) a live session token belongs to.

    An ended session is deleted when it is found, so the table does not keep dead secrets.
    """
    bearer.split(token)  # a malformed token is refused before any transaction
    now = ctx.now()
    with ctx.transaction() as s:
        sess = bearer.held(s, t.PortalSession, token)
        if sess is None:
            raise AuthenticationError("the session is not valid; sign in again")
        idle_end = sess.last_seen_at + dt.timedelta(minutes=IDLE_MINUTES)
        officer = s.get(t.RequesterOfficer, sess.officer_id)
        requester = _live(s, officer)
        if sess.expires_at <= now or idle_end <= now or officer is None or requester is None:
            s.delete(sess)
            ended = True
        else:
            ended = False
            if (now - sess.last_seen_at).total_seconds() >= _TOUCH_SECONDS:
                sess.last_seen_at = now
            principal = _principal(officer, requester)
    if ended:
        raise AuthenticationError("the session has ended; sign in again")
    return principal


def purge_ended(ctx: Context) -> int:
    """Delete sessions that ended without a sign-out (idle or past their end); returns how
    many. Run by housekeeping, so hashes of dead secrets do not pile up."""
    now = ctx.now()
    with ctx.transaction() as s:
        ended = s.execute(
            delete(t.PortalSession).where(
                (t.PortalSession.expires_at <= now)
                | (t.PortalSession.last_seen_at <= now - dt.timedelta(minutes=IDLE_MINUTES))
            )
        )
        return int(getattr(ended, "rowcount", 0) or 0)


def officer_name(ctx: Context, officer_id: str) -> str:
    with ctx.reading() as s:
        row = s.get(t.RequesterOfficer, officer_id)
        return row.display_name if row is not None else ""


def sign_out(ctx: Context, token: str) -> None:
    """End the session: its row is deleted, so the cookie's token is worthless from now on."""
    try:
        bearer.split(token)
    except AuthenticationError:
        return
    with ctx.transaction() as s:
        sess = bearer.held(s, t.PortalSession, token)
        if sess is not None:
            s.delete(sess)
