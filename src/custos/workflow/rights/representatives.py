"""Representatives (legal aid, advocates) and the consents under which they act for a person.

A registered representative acts for nobody until a person consents; a consent is the
person's own act, within scopes and for a time (`custos.rights._consent`), and the
representative's sessions end as soon as it is revoked or expires. The log names the
representative by id and the person by pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import AuthenticationError, FieldProblem, InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.rights import PersonPrincipal, PersonScope, check_consent, consent_expiry, consent_live
from custos.store import rights_tables as r
from custos.workflow import _secrets
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.journal import record
from custos.workflow.rights.sessions import OpenedSession, open_session


@dataclass(frozen=True, kw_only=True)
class RepresentativeView:
    id: str
    name: str
    organization: str
    active: bool


@dataclass(frozen=True, kw_only=True)
class RegisteredRepresentative:
    representative: RepresentativeView
    #: The representative's bearer token, shown once.
    token: str


@dataclass(frozen=True, kw_only=True)
class ConsentView:
    id: str
    representative_id: str
    representative_name: str
    organization: str
    scopes: tuple[PersonScope, ...]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool


def register_representative(
    ctx: Context, *, actor: StaffPrincipal, name: str, organization: str
) -> RegisteredRepresentative:
    """Register a legal aid organization or advocate. They act for nobody until a person
    consents."""
    require(actor, Action.REPRESENTATIVE_REGISTER)
    problems = []
    if not name.strip():
        problems.append(FieldProblem(path="name", message="required"))
    if not organization.strip():
        problems.append(FieldProblem(path="organization", message="required"))
    if problems:
        raise InvalidInputError("the representative is invalid", problems)
    rep_id = new_id("rep")
    token, secret_hash = _secrets.mint(rep_id)
    with ctx.transaction() as s:
        row = r.Representative(
            id=rep_id,
            name=name.strip(),
            organization=organization.strip(),
            secret_hash=secret_hash,
            registered_by=actor.id,
            active=True,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        record(
            ctx,
            s,
            EventTag.PERSON_REPRESENTATIVE_REGISTER,
            actor.actor,
            representative=row.id,
            organization=row.organization,
        )
        return RegisteredRepresentative(representative=_rep_view(row), token=token)


def _rep_view(row: r.Representative) -> RepresentativeView:
    return RepresentativeView(
        id=row.id, name=row.name, organization=row.organization, active=row.active
    )


def list_representatives(ctx: Context) -> list[RepresentativeView]:
    """Registered representatives (public: people choose whom to consent to)."""
    with ctx.reading() as s:
        return [
            _rep_view(x)
            for x in s.scalars(
                select(r.Representative)
                .where(r.Representative.active.is_(True))
                .order_by(r.Representative.organization)
            )
        ]


def representative_from_token(ctx: Context, token: str) -> str:
    row_id, secret = _secrets.split(token)
    with ctx.reading() as s:
        row = s.get(r.Representative, row_id)
        if row is None or not _secrets.matches(secret, row.secret_hash) or not row.active:
            raise AuthenticationError("the token is not valid")
        return row.id


def _live(row: r.RepresentativeConsent, now: dt.datetime) -> bool:
    return consent_live(row.revoked_at, row.expires_at, now)


def _consent_view(s: Session, row: r.RepresentativeConsent, now: dt.datetime) -> ConsentView:
    rep = s.get(r.Representative, row.representative_id)
    assert rep is not None
    return ConsentView(
        id=row.id,
        representative_id=rep.id,
        representative_name=rep.name,
        organization=rep.organization,
        scopes=tuple(PersonScope(x) for x in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        active=_live(row, now),
    )


def _require_person_self(principal: PersonPrincipal) -> None:
    """Consents are the person's own act: a representative cannot grant or widen one."""
    if principal.is_representative:
        raise NotFoundError("no such consent")


def grant_consent(
    ctx: Context,
    *,
    principal: PersonPrincipal,
    representative_id: str,
    scopes: Iterable[PersonScope],
    days: int,
) -> ConsentView:
    """The person lets a representative act for them, within `scopes`, for `days`."""
    _require_person_self(principal)
    chosen = check_consent(scopes, days)
    with ctx.transaction() as s:
        rep = s.get(r.Representative, representative_id)
        if rep is None or not rep.active:
            raise NotFoundError("no such representative")
        now = ctx.now()
        row = r.RepresentativeConsent(
            id=new_id("cst"),
            person_id=principal.person_id,
            representative_id=rep.id,
            scopes=chosen,
            granted_by=principal.actor,
            created_at=now,
            expires_at=consent_expiry(now, days),
        )
        s.add(row)
        s.flush()
        record(
            ctx,
            s,
            EventTag.PERSON_REPRESENTATIVE_GRANT,
            principal.actor,
            subject_ref=principal.subject_ref,
            consent=row.id,
            representative=rep.id,
            scopes=chosen,
            expires=row.expires_at.date().isoformat(),
        )
        return _consent_view(s, row, now)


def revoke_consent(ctx: Context, *, principal: PersonPrincipal, consent_id: str) -> None:
    """The person ends a consent; the representative's sessions stop working at once."""
    _require_person_self(principal)
    with ctx.transaction() as s:
        row = s.get(r.RepresentativeConsent, consent_id)
        if row is None or row.person_id != principal.person_id:
            raise NotFoundError("no such consent")
        if row.revoked_at is not None:
            return
        row.revoked_at = ctx.now()
        row.revoked_by = principal.actor
        record(
            ctx,
            s,
            EventTag.PERSON_REPRESENTATIVE_REVOKE,
            principal.actor,
            subject_ref=principal.subject_ref,
            consent=row.id,
            representative=row.representative_id,
        )


def list_consents(ctx: Context, *, principal: PersonPrincipal) -> list[ConsentView]:
    _require_person_self(principal)
    with ctx.reading() as s:
        rows = s.scalars(
            select(r.RepresentativeConsent)
            .where(r.RepresentativeConsent.person_id == principal.person_id)
            .order_by(r.RepresentativeConsent.created_at)
        )
        return [_consent_view(s, row, ctx.now()) for row in rows]


def act_for(ctx: Context, *, representative_id: str, consent_id: str) -> OpenedSession:
    """A representative opens a session for a person who consented, within the consent."""
    with ctx.transaction() as s:
        consent = s.get(r.RepresentativeConsent, consent_id)
        if (
            consent is None
            or consent.representative_id != representative_id
            or not _live(consent, ctx.now())
        ):
            raise NotFoundError("no such consent")
        return open_session(
            ctx,
            s,
            person_id=consent.person_id,
            method="representative",
            scopes=[PersonScope(x) for x in consent.scopes],
            representative_id=representative_id,
            consent_id=consent.id,
            expires_at=consent.expires_at,
        )


def representative_consents(ctx: Context, *, representative_id: str) -> list[ConsentView]:
    """The live consents a representative holds (to pick whom to act for)."""
    with ctx.reading() as s:
        rows = s.scalars(
            select(r.RepresentativeConsent)
            .where(r.RepresentativeConsent.representative_id == representative_id)
            .order_by(r.RepresentativeConsent.created_at)
        )
        now = ctx.now()
        return [_consent_view(s, row, now) for row in rows if _live(row, now)]
