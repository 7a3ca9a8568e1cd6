"""Staff accounts, requester agencies and their tokens, and agreements.

Every change here is logged in the ledger in the same transaction. Passwords are hashed with
Argon2id; tokens are bearer secrets stored as SHA-256 (see `custos.workflow.bearer`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pyrage import x25519
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from custos.domain import text
from custos.domain.disclosure import AgreementProtocols, Purpose, RequesterKind
from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.domain.events import EventTag
from custos.domain.passwords import password_problem
from custos.domain.permissions import Action, require
from custos.domain.principals import SYSTEM_ACTOR, RequesterPrincipal, Scope, StaffPrincipal
from custos.domain.programs import FieldRef, Program
from custos.domain.roles import Role
from custos.store import tables as t
from custos.store.core import run
from custos.workflow import bearer, journal
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.hashing import hash_secret
from custos.workflow.staff_sessions import staff_principal

MAX_USERNAME_LENGTH = 80


# --- staff ----------------------------------------------------------------------------------


def create_staff(
    ctx: Context,
    *,
    actor: StaffPrincipal | None,
    username: str,
    display_name: str,
    password: str,
    roles: set[Role],
) -> StaffPrincipal:
    """Create a staff account. `actor` None means the bootstrap operator on the server's CLI."""
    if actor is not None:
        require(actor, Action.STAFF_CREATE)
    problems = []
    if not username.strip() or len(username) > MAX_USERNAME_LENGTH:
        problems.append(FieldProblem(path="username", message="1 to 80 characters"))
    elif username != username.strip() or text.control_character(username) is not None:
        problems.append(
            FieldProblem(
                path="username",
                message="no control characters, and no spaces at either end",
            )
        )
    if (weak := password_problem(password)) is not None:
        problems.append(FieldProblem(path="password", message=weak))
    if not roles:
        problems.append(FieldProblem(path="roles", message="at least one role"))
    if problems:
        raise InvalidInputError("the staff account is invalid", problems)
    with ctx.transaction() as s:
        # `ADMIN` beside `admin` would let one person pass for another in the log and in
        # the two-person rule's messages: usernames are unique whatever their case.
        taken = select(t.Staff.id).where(func.lower(t.Staff.username) == username.lower())
        if s.scalar(taken) is not None:
            raise ConflictError("that username is taken")
        staff = t.Staff(
            id=new_id("stf"),
            username=username,
            display_name=display_name or username,
            password_hash=hash_secret(password),
            roles=sorted(r.value for r in roles),
            active=True,
            created_at=ctx.now(),
        )
        s.add(staff)
        s.flush()
        journal.record(
            ctx,
            s,
            EventTag.STAFF_ACCOUNT_CREATE,
            actor.actor if actor else SYSTEM_ACTOR,
            staff=staff.id,
            roles=staff.roles,
        )
    return staff_principal(staff)


def staff_by_username(ctx: Context, username: str) -> StaffPrincipal:
    with ctx.reading() as s:
        row = s.scalar(select(t.Staff).where(t.Staff.username == username))
        if row is None or not row.active:
            raise NotFoundError("no active staff member by that username")
        return staff_principal(row)


# --- requesters -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RequesterView:
    id: str
    name: str
    kind: RequesterKind
    age_recipients: tuple[str, ...]
    contact: str
    registered_by: str
    active: bool
    #: Programs it administers or enforces; program-administration rules read them.
    programs: tuple[Program, ...] = ()


def _requester_view(row: t.Requester) -> RequesterView:
    return RequesterView(
        id=row.id,
        name=row.name,
        kind=RequesterKind(row.kind),
        age_recipients=tuple(row.age_recipients),
        contact=row.contact,
        registered_by=row.registered_by,
        active=row.active,
        programs=tuple(Program(p) for p in row.programs or ()),
    )


def _check_age_recipients(recipients: list[str]) -> list[FieldProblem]:
    problems = []
    if not recipients:
        problems.append(FieldProblem(path="age_recipients", message="at least one age recipient"))
    for i, r in enumerate(recipients):
        try:
            x25519.Recipient.from_str(r)
        except Exception:  # noqa: BLE001  (pyrage raises its own untyped errors)
            problems.append(
                FieldProblem(path=f"age_recipients[{i}]", message="not an age recipient (age1…)")
            )
    return problems


def register_requester(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    name: str,
    kind: RequesterKind,
    age_recipients: list[str],
    contact: str = "",
    programs: list[Program] | None = None,
) -> RequesterView:
    """Register an agency; `programs` are those it administers or enforces, if any."""
    require(actor, Action.REQUESTER_REGISTER)
    problems = _check_age_recipients(age_recipients)
    if not name.strip():
        problems.append(FieldProblem(path="name", message="required"))
    if problems:
        raise InvalidInputError("the requester is invalid", problems)
    with ctx.transaction() as s:
        row = t.Requester(
            id=new_id("rqr"),
            name=name.strip(),
            kind=kind.value,
            age_recipients=list(age_recipients),
            contact=contact,
            programs=[p.value for p in programs or ()],
            registered_by=actor.id,
            active=True,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        journal.record(
            ctx,
            s,
            EventTag.REQUESTER_ACCOUNT_REGISTER,
            actor.actor,
            requester=row.id,
            kind=kind.value,
            name=row.name,
        )
        return _requester_view(row)


def get_requester(session: Session, requester_id: str) -> t.Requester:
    row = session.get(t.Requester, requester_id)
    if row is None:
        raise NotFoundError("no such requester")
    return row


@dataclass(frozen=True, slots=True)
class RequesterStanding:
    """What deciding a request reads of its requester: whether it may submit, its kind and
    the programs it administers."""

    active: bool
    kind: RequesterKind
    programs: frozenset[Program]

    @classmethod
    def of(cls, row: t.Requester) -> RequesterStanding:
        return cls(
            active=bool(row.active),
            kind=RequesterKind(row.kind),
            programs=frozenset(map(Program, row.programs)),
        )


_STANDING = select(t.Requester.active, t.Requester.kind, t.Requester.programs).where(
    t.Requester.id == bindparam("rid")
)


def requester_standing(session: Session, requester_id: str) -> RequesterStanding:
    """A requester's standing, read in the caller's transaction as one Core statement: intake
    needs no more of the row, and loading it through the ORM cost a fifth of a millisecond
    (issue 18)."""
    found = run(session, _STANDING, {"rid": requester_id}).first()
    if found is None:
        raise NotFoundError("no such requester")
    return RequesterStanding(
        active=bool(found.active),
        kind=RequesterKind(found.kind),
        programs=frozenset(map(Program, found.programs)),
    )


def requester_view(ctx: Context, requester_id: str) -> RequesterView:
    with ctx.reading() as s:
        return _requester_view(get_requester(s, requester_id))


def list_requesters(ctx: Context, *, actor: StaffPrincipal) -> list[RequesterView]:
    require(actor, Action.REQUESTER_LIST)
    with ctx.reading() as s:
        return [
            _requester_view(r) for r in s.scalars(select(t.Requester).order_by(t.Requester.name))
        ]


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
_TOKEN_AND_REQUESTER = (
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
    found = run(session, _TOKEN_AND_REQUESTER, {"row_id": row_id}).first()
    if found is None or not bearer.matches(secret, found.secret_hash):
        raise AuthenticationError("the token is not valid")
    if found.revoked_at is not None:
        raise AuthenticationError("the token has been revoked")
    if found.expires_at <= ctx.now():
        raise AuthenticationError("the token has expired")
    if not found.active:
        raise AuthenticationError("the token is not valid")
    kind = RequesterKind(found.kind)
    return (
        RequesterPrincipal(id=found.id, kind=kind, scopes=frozenset(found.scopes)),
        RequesterStanding(active=True, kind=kind, programs=frozenset(map(Program, found.programs))),
    )


# --- agreements -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgreementView:
    id: str
    requester_id: str
    title: str
    parties: tuple[str, ...]
    programs: tuple[Program, ...]
    fields: tuple[FieldRef, ...]
    purposes: tuple[Purpose, ...]
    retention_days: int
    valid_from: dt.date
    valid_until: dt.date
    document_sha256: str
    protocols: AgreementProtocols = field(default_factory=AgreementProtocols)

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until


def agreement_view(row: t.Agreement) -> AgreementView:
    return AgreementView(
        id=row.id,
        requester_id=row.requester_id,
        title=row.title,
        parties=tuple(row.parties),
        programs=tuple(Program(p) for p in row.programs),
        fields=tuple(FieldRef.parse(f) for f in row.fields),
        purposes=tuple(Purpose(p) for p in row.purposes),
        retention_days=row.retention_days,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        document_sha256=row.document_sha256,
        protocols=AgreementProtocols(
            protocol_document=row.protocol_document or "",
            use_limited_to_program=bool(row.use_limited_to_program),
            no_onward_sharing=bool(row.no_onward_sharing),
            administers=frozenset(Program(p) for p in row.administers or ()),
        ),
    )


def _agreement_problems(
    *,
    title: str,
    programs: list[Program],
    retention_days: int,
    valid_from: dt.date,
    valid_until: dt.date,
) -> list[FieldProblem]:
    problems = []
    if not title.strip():
        problems.append(FieldProblem(path="title", message="required"))
    if valid_until < valid_from:
        problems.append(FieldProblem(path="valid_until", message="before valid_from"))
    if retention_days < 1:
        problems.append(FieldProblem(path="retention_days", message="at least one day"))
    if not programs:
        problems.append(FieldProblem(path="programs", message="at least one program"))
    return problems


def _record_agreement(ctx: Context, session: Session, row: t.Agreement, *, actor: str) -> None:
    journal.record(
        ctx,
        session,
        EventTag.AGREEMENT_RECORD_REGISTER,
        actor,
        agreement=row.id,
        requester=row.requester_id,
        programs=row.programs,
        fields=row.fields,
        purposes=row.purposes,
        valid_from=row.valid_from.isoformat(),
        valid_until=row.valid_until.isoformat(),
        document_sha256=row.document_sha256,
        protocol_document=row.protocol_document,
    )


def _require_document(session: Session, sha: str) -> None:
    """An agreement binds through its signed document: it must be uploaded first."""
    if session.get(t.Document, sha) is None:
        raise InvalidInputError(
            "the agreement is invalid",
            [FieldProblem(path="document_sha256", message="upload the signed agreement first")],
        )


def register_agreement(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    requester_id: str,
    title: str,
    parties: list[str],
    programs: list[Program],
    fields: list[FieldRef],
    purposes: list[Purpose],
    retention_days: int,
    valid_from: dt.date,
    valid_until: dt.date,
    document_sha256: str,
    protocols: AgreementProtocols | None = None,
) -> AgreementView:
    """Record an MOU or data-sharing agreement. The document's hash is what binds it.

    `protocols` records the agreed data-and-security protocols (7 U.S.C. 2020(a)(3)(B)) and
    the programs the other party runs; without them an audit is never compelled.
    """
    terms = protocols or AgreementProtocols()
    require(actor, Action.AGREEMENT_REGISTER)
    problems = _agreement_problems(
        title=title,
        programs=programs,
        retention_days=retention_days,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if problems:
        raise InvalidInputError("the agreement is invalid", problems)
    sha = document_sha256
    with ctx.transaction() as s:
        requester = get_requester(s, requester_id)
        _require_document(s, sha)
        row = t.Agreement(
            id=new_id("agr"),
            requester_id=requester.id,
            title=title.strip(),
            parties=list(parties),
            programs=[p.value for p in programs],
            fields=[str(f) for f in fields],
            purposes=[p.value for p in purposes],
            retention_days=retention_days,
            valid_from=valid_from,
            valid_until=valid_until,
            document_sha256=sha,
            protocol_document=terms.protocol_document,
            use_limited_to_program=terms.use_limited_to_program,
            no_onward_sharing=terms.no_onward_sharing,
            administers=sorted(p.value for p in terms.administers),
            registered_by=actor.id,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        _record_agreement(ctx, s, row, actor=actor.actor)
        return agreement_view(row)


def list_agreements(
    ctx: Context, *, actor: StaffPrincipal, requester_id: str | None = None
) -> list[AgreementView]:
    require(actor, Action.AGREEMENT_LIST)
    with ctx.reading() as s:
        q = select(t.Agreement).order_by(t.Agreement.created_at)
        if requester_id is not None:
            q = q.where(t.Agreement.requester_id == requester_id)
        return [agreement_view(r) for r in s.scalars(q)]
