"""Staff accounts and requester agencies (their tokens: `custos.workflow.tokens`; their
agreements: `custos.workflow.agreements`).

Every change here is logged in the ledger in the same transaction. Passwords are hashed with
Argon2id; tokens are bearer secrets stored as SHA-256 (see `custos.workflow.bearer`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyrage import x25519
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from custos.domain import text
from custos.domain.disclosure import RequesterKind
from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.domain.events import EventTag
from custos.domain.passwords import password_problem
from custos.domain.permissions import Action, require
from custos.domain.principals import SYSTEM_ACTOR, StaffPrincipal
from custos.domain.programs import Program
from custos.domain.roles import Role
from custos.store import tables as t
from custos.store.core import Prepared
from custos.workflow import journal
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
    def stored(cls, active: object, kind: str, programs: Iterable[str]) -> RequesterStanding:
        """From the requester's columns as stored."""
        return cls(
            active=bool(active),
            kind=RequesterKind(kind),
            programs=frozenset(map(Program, programs)),
        )

    @classmethod
    def of(cls, row: t.Requester) -> RequesterStanding:
        return cls.stored(row.active, row.kind, row.programs)


_STANDING = Prepared(
    select(t.Requester.active, t.Requester.kind, t.Requester.programs).where(
        t.Requester.id == bindparam("rid")
    )
)


def requester_standing(session: Session, requester_id: str) -> RequesterStanding:
    """A requester's standing, read in the caller's transaction as one Core statement: intake
    needs no more of the row, and loading it through the ORM cost a fifth of a millisecond
    (issue 18)."""
    found = _STANDING.first(session, {"rid": requester_id})
    if found is None:
        raise NotFoundError("no such requester")
    return RequesterStanding.stored(*found)


def requester_view(ctx: Context, requester_id: str) -> RequesterView:
    with ctx.reading() as s:
        return _requester_view(get_requester(s, requester_id))


def list_requesters(ctx: Context, *, actor: StaffPrincipal) -> list[RequesterView]:
    require(actor, Action.REQUESTER_LIST)
    with ctx.reading() as s:
        return [
            _requester_view(r) for r in s.scalars(select(t.Requester).order_by(t.Requester.name))
        ]
