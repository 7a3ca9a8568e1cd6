"""Requesting agencies' officers: each a person with their own portal account.

An agency's API token is for its machine clients; people sign in to the portal as
themselves, with a password (the staff password rule, `custos.domain.passwords`) and a TOTP
second factor (`custos.domain.totp`), so every request submitted in the portal names the
officer who submitted it. Staff register officers and suspend or reinstate them; suspending
ends the officer's live portal sessions in the same transaction. An officer enrols their
second factor from the secret staff hand them at registration; when they lose it, an
administrator resets it (`reset_second_factor`): a new secret is handed over the same way, the
old one stops working and their sessions end. Every change is logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from custos.domain import text, totp
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.passwords import password_problem
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.store import tables as t
from custos.workflow import journal, totp_seal
from custos.workflow._ids import new_id
from custos.workflow.accounts import MAX_USERNAME_LENGTH, get_requester
from custos.workflow.context import Context
from custos.workflow.hashing import hash_secret


class OfficerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, kw_only=True)
class OfficerView:
    id: str
    requester_id: str
    requester_name: str
    username: str
    display_name: str
    email: str
    status: OfficerStatus
    created_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class RegisteredOfficer:
    """A new officer and the secrets to hand them, shown once and never stored in clear
    (the password) or never shown again (the TOTP secret)."""

    officer: OfficerView
    password: str
    totp_secret: str
    otpauth_uri: str


@dataclass(frozen=True, kw_only=True)
class NewSecondFactor:
    """An officer's new TOTP secret after a reset, shown once to hand to the officer."""

    officer: OfficerView
    totp_secret: str
    otpauth_uri: str


def _view(row: t.RequesterOfficer, requester_name: str) -> OfficerView:
    return OfficerView(
        id=row.id,
        requester_id=row.requester_id,
        requester_name=requester_name,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        status=OfficerStatus(row.status),
        created_at=row.created_at,
    )


def _problems(username: str, display_name: str, email: str, password: str) -> list[FieldProblem]:
    problems = []
    if not username.strip() or len(username) > MAX_USERNAME_LENGTH:
        problems.append(FieldProblem(path="username", message="1 to 80 characters"))
    elif (
        username != username.strip()
        or any(c.isspace() for c in username)
        or text.control_character(username) is not None
    ):
        problems.append(FieldProblem(path="username", message="no spaces or control characters"))
    if not display_name.strip():
        problems.append(FieldProblem(path="display_name", message="required"))
    if email and ("@" not in email or any(c.isspace() for c in email)):
        problems.append(FieldProblem(path="email", message="an email address, name@example.org"))
    if (weak := password_problem(password)) is not None:
        problems.append(FieldProblem(path="password", message=weak))
    return problems


def register(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    requester_id: str,
    username: str,
    display_name: str,
    email: str = "",
    password: str | None = None,
) -> RegisteredOfficer:
    """Register an officer of an agency; returns the secrets to hand them.

    Without `password` a random one is made (about 120 bits). The TOTP secret is always made
    here: the officer adds it to an authenticator app from the QR code or the URI.
    """
    require(actor, Action.OFFICER_REGISTER)
    chosen = password if password is not None else secrets.token_urlsafe(15)
    problems = _problems(username, display_name, email.strip(), chosen)
    if problems:
        raise InvalidInputError("the officer is invalid", problems)
    secret = totp.new_secret()
    with ctx.transaction() as s:
        requester = get_requester(s, requester_id)
        if not requester.active:
            raise ConflictError("the requester is deactivated")
        taken = select(t.RequesterOfficer.id).where(
            func.lower(t.RequesterOfficer.username) == username.lower()
        )
        if s.scalar(taken) is not None:
            raise ConflictError("that username is taken")
        officer_id = new_id("off")
        row = t.RequesterOfficer(
            id=officer_id,
            requester_id=requester.id,
            username=username,
            display_name=display_name.strip(),
            email=email.strip(),
            password_hash=hash_secret(chosen),
            totp_secret=totp_seal.seal(
                ctx.settings, owner=totp_seal.officer_owner(officer_id), secret=secret
            ),
            totp_last_step=None,
            status=OfficerStatus.ACTIVE.value,
            registered_by=actor.id,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        journal.record(
            ctx,
            s,
            EventTag.REQUESTER_OFFICER_REGISTER,
            actor.actor,
            requester=requester.id,
            officer=row.id,
            username=row.username,
        )
        view = _view(row, requester.name)
    uri = totp.provisioning_uri(secret, account=username, issuer=ctx.settings.agency_name)
    return RegisteredOfficer(officer=view, password=chosen, totp_secret=secret, otpauth_uri=uri)


def _set_status(
    ctx: Context, *, actor: StaffPrincipal, officer_id: str, status: OfficerStatus
) -> OfficerView:
    require(actor, Action.OFFICER_SUSPEND)
    tag = (
        EventTag.REQUESTER_OFFICER_SUSPEND
        if status is OfficerStatus.SUSPENDED
        else EventTag.REQUESTER_OFFICER_REINSTATE
    )
    with ctx.transaction() as s:
        row = s.get(t.RequesterOfficer, officer_id)
        if row is None:
            raise NotFoundError("no such officer")
        name = get_requester(s, row.requester_id).name
        if row.status == status.value:
            return _view(row, name)
        row.status = status.value
        if status is OfficerStatus.SUSPENDED:
            end_sessions(s, officer_id)
        journal.record(ctx, s, tag, actor.actor, requester=row.requester_id, officer=row.id)
        return _view(row, name)


def end_sessions(session: Session, officer_id: str) -> None:
    """Delete every portal session of the officer (suspension, a reset second factor)."""
    session.execute(delete(t.PortalSession).where(t.PortalSession.officer_id == officer_id))


def suspend(ctx: Context, *, actor: StaffPrincipal, officer_id: str) -> OfficerView:
    """Suspend an officer: they cannot sign in, and their open sessions end now."""
    return _set_status(ctx, actor=actor, officer_id=officer_id, status=OfficerStatus.SUSPENDED)


def reinstate(ctx: Context, *, actor: StaffPrincipal, officer_id: str) -> OfficerView:
    """Let a suspended officer sign in again (with the same password and second factor)."""
    return _set_status(ctx, actor=actor, officer_id=officer_id, status=OfficerStatus.ACTIVE)


def reset_second_factor(ctx: Context, *, actor: StaffPrincipal, officer_id: str) -> NewSecondFactor:
    """An administrator replaces an officer's lost second factor with a new secret.

    The old secret stops working at once and the officer's portal sessions end; the officer
    enrols the new secret (shown here once) in their app before their next sign-in, exactly
    as at registration.
    """
    require(actor, Action.SECOND_FACTOR_RESET)
    secret = totp.new_secret()
    with ctx.transaction() as s:
        row = s.get(t.RequesterOfficer, officer_id)
        if row is None:
            raise NotFoundError("no such officer")
        row.totp_secret = totp_seal.seal(
            ctx.settings, owner=totp_seal.officer_owner(row.id), secret=secret
        )
        row.totp_last_step = None
        end_sessions(s, row.id)
        journal.record(
            ctx,
            s,
            EventTag.REQUESTER_OFFICER_TOTP_RESET,
            actor.actor,
            requester=row.requester_id,
            officer=row.id,
        )
        view = _view(row, get_requester(s, row.requester_id).name)
    uri = totp.provisioning_uri(secret, account=view.username, issuer=ctx.settings.agency_name)
    return NewSecondFactor(officer=view, totp_secret=secret, otpauth_uri=uri)


def list_officers(
    ctx: Context, *, actor: StaffPrincipal, requester_id: str | None = None
) -> list[OfficerView]:
    """Officers, by agency then name; of one agency when `requester_id` is given."""
    require(actor, Action.OFFICER_LIST)
    with ctx.reading() as s:
        q = (
            select(t.RequesterOfficer, t.Requester.name)
            .join(t.Requester, t.Requester.id == t.RequesterOfficer.requester_id)
            .order_by(t.Requester.name, t.RequesterOfficer.display_name)
        )
        if requester_id is not None:
            q = q.where(t.RequesterOfficer.requester_id == requester_id)
        return [_view(row, name) for row, name in s.execute(q).all()]


def officer_names(session: Session, officer_ids: set[str]) -> dict[str, str]:
    """Display names of the given officers (for request pages that name who submitted)."""
    if not officer_ids:
        return {}
    rows = session.execute(
        select(t.RequesterOfficer.id, t.RequesterOfficer.display_name).where(
            t.RequesterOfficer.id.in_(officer_ids)
        )
    ).all()
    return {str(officer_id): str(name) for officer_id, name in rows}
