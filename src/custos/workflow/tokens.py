"""Requesters' API tokens: issuing, revoking, and authenticating a bearer token.

Tokens are bearer secrets stored as SHA-256 (see `custos.workflow.bearer`); issuing and
revoking one is logged in the ledger in the same transaction. A token that does not exist,
one whose secret is wrong and one whose requester is deactivated are refused in the same words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.store import tables as t
from custos.store.core import Prepared
from custos.workflow import bearer, journal
from custos.workflow._ids import new_id
from custos.workflow.accounts import RequesterStanding, get_requester
from custos.workflow.context import Context


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: dt.datetime
    scopes: tuple[str, ...]


def issue_token(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    requester_id: str,
    scopes: list[str] | None = None,
    lifetime_days: int | None = None,
) -> IssuedToken:
    require(actor, Action.TOKEN_ISSUE)
    chosen = list(scopes) if scopes else list(Scope.ALL)
    bad = [sc for sc in chosen if sc not in Scope.ALL]
    if bad:
        raise InvalidInputError(
            "unknown scope", [FieldProblem(path="scopes", message=f"unknown: {', '.join(bad)}")]
        )
    days = lifetime_days or ctx.settings.token_lifetime_days
    with ctx.transaction() as s:
        requester = get_requester(s, requester_id)
        if not requester.active:
            raise ConflictError("the requester is deactivated")
        token_id = new_id("tok")
        token, secret_hash = bearer.mint(token_id)
        expires = ctx.now() + dt.timedelta(days=days)
        s.add(
            t.RequesterToken(
                id=token_id,
                requester_id=requester.id,
                secret_hash=secret_hash,
                scopes=chosen,
                created_at=ctx.now(),
                expires_at=expires,
                issued_by=actor.id,
            )
        )
        s.flush()
        journal.record(
            ctx,
            s,
            EventTag.REQUESTER_TOKEN_ISSUE,
            actor.actor,
            requester=requester.id,
            token=token_id,
            scopes=chosen,
            expires=expires.isoformat(),
        )
    return IssuedToken(token=token, token_id=token_id, expires_at=expires, scopes=tuple(chosen))


def revoke_token(ctx: Context, *, actor: StaffPrincipal, token_id: str) -> None:
    require(actor, Action.TOKEN_REVOKE)
    with ctx.transaction() as s:
        row = s.get(t.RequesterToken, token_id)
        if row is None:
            raise NotFoundError("no such token")
        if row.revoked_at is not None:
            return
        row.revoked_at = ctx.now()
        journal.record(
            ctx,
            s,
            EventTag.REQUESTER_TOKEN_REVOKE,
            actor.actor,
            requester=row.requester_id,
            token=row.id,
        )


#: Built once, and of columns only, run on the connection: this runs on every requester's
#: API call (issue 18).
_TOKEN_AND_REQUESTER = Prepared(
    select(
        t.RequesterToken.secret_hash,
        t.RequesterToken.revoked_at,
        t.RequesterToken.expires_at,
        t.RequesterToken.scopes,
        t.Requester.id,
        t.Requester.kind,
        t.Requester.active,
        t.Requester.programs,
    )
    .join(t.Requester, t.Requester.id == t.RequesterToken.requester_id)
    .where(t.RequesterToken.id == bindparam("row_id"))
)


def requester_from_token(ctx: Context, token: str) -> RequesterPrincipal:
    """Authenticate a requester's bearer token. Every failure reads the same."""
    with ctx.reading() as s:
        return authenticate_with_standing(ctx, s, token)[0]


def authenticate_with_standing(
    ctx: Context, session: Session, token: str
) -> tuple[RequesterPrincipal, RequesterStanding]:
    """The requester a token authenticates, and its standing, from one read in the caller's
    transaction: an API submit checks its token in the unit of work that takes the request in
    and needs no second read of the requester (issue 18)."""
    row_id, secret = bearer.split(token)
    # The token and its requester in one round trip: this runs on every API call.
    found = _TOKEN_AND_REQUESTER.first(session, {"row_id": row_id})
    if found is None:
        raise AuthenticationError("the token is not valid")
    secret_hash, revoked_at, expires_at, scopes, requester_id, kind, active, programs = found
    if not bearer.matches(secret, secret_hash):
        raise AuthenticationError("the token is not valid")
    if revoked_at is not None:
        raise AuthenticationError("the token has been revoked")
    if expires_at <= ctx.now():
        raise AuthenticationError("the token has expired")
    if not active:
        raise AuthenticationError("the token is not valid")
    standing = RequesterStanding.stored(active, kind, programs)
    return (
        RequesterPrincipal(id=requester_id, kind=standing.kind, scopes=frozenset(scopes)),
        standing,
    )
