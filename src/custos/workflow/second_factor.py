"""Enrolling a staff member's TOTP second factor (the rules: `custos.domain.second_factor`).

Enrolment shows a fresh secret (and its `otpauth://` address and QR code); the secret is
kept only once the staff member proves their app has it by typing a code it shows. The code
is spent (it cannot then sign in), and the enrolment is logged in the same transaction.
A lost factor is reset by an administrator (`reset`), never by the staff member themselves:
the factor is removed, their sessions end, and their next sign-in leads to enrolment first.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

from custos.domain import second_factor
from custos.domain.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.store import tables as t
from custos.workflow import journal, staff_sessions, totp_seal
from custos.workflow.context import Context


@dataclass(frozen=True, kw_only=True)
class Enrolment:
    """What the enrolment page shows: the secret, the address an app reads, its QR code."""

    secret: str
    uri: str
    #: The QR code of `uri` as an inline SVG element (no script, no external file).
    qr_svg: str


@dataclass(frozen=True, kw_only=True)
class Status:
    enrolled: bool
    required: bool
    #: An administrator reset the factor: a new one must be enrolled, whatever the roles.
    reset: bool = False


def status(ctx: Context, *, actor: StaffPrincipal) -> Status:
    """Whether `actor` has a second factor, and whether their roles require one."""
    with ctx.reading() as s:
        row = s.get(t.Staff, actor.id)
        enrolled = row is not None and row.totp_secret is not None
        reset = row is not None and row.totp_reenrol
    return Status(
        enrolled=enrolled, required=reset or second_factor.required(actor.roles), reset=reset
    )


def begin(ctx: Context, *, actor: StaffPrincipal, secret: str | None = None) -> Enrolment:
    """A secret to enrol (a fresh one unless the form sends back the one it showed)."""
    chosen = secret if secret and _well_formed(secret) else second_factor.new_secret()
    uri = second_factor.provisioning_uri(
        chosen, account=actor.username, issuer=ctx.settings.agency_name or "Custos"
    )
    qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#1b1b1b", light="#ffffff")
    return Enrolment(secret=chosen, uri=uri, qr_svg=qr)


def _well_formed(secret: str) -> bool:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    return len(secret) == len(second_factor.new_secret()) and set(secret) <= alphabet


def enrol(ctx: Context, *, actor: StaffPrincipal, secret: str, code: str) -> None:
    """Keep `secret` as `actor`'s second factor once `code` proves their app holds it."""
    if not _well_formed(secret):
        raise InvalidInputError(
            "the enrolment is invalid",
            [FieldProblem(path="secret", message="start the enrolment again")],
        )
    now = ctx.now()
    step = second_factor.matching_step(secret, code, now)
    if step is None:
        raise InvalidInputError(
            "the code does not match",
            [
                FieldProblem(
                    path="code",
                    message="the code does not match: type the 6 digits your app shows now",
                )
            ],
        )
    with ctx.transaction() as s:
        row = s.get(t.Staff, actor.id)
        if row is None or not row.active:
            raise ConflictError("this staff account is not active")
        if row.totp_secret is not None:
            raise ConflictError("a second factor is already set up for this account")
        row.totp_secret = totp_seal.seal(
            ctx.settings, owner=totp_seal.staff_owner(row.id), secret=secret
        )
        row.totp_last_step, row.totp_reenrol = step, False
        journal.record(ctx, s, EventTag.STAFF_TOTP_ENROL, actor.actor, staff=actor.id)


def reset(ctx: Context, *, actor: StaffPrincipal, staff_id: str) -> str:
    """An administrator removes another staff member's lost second factor; returns their
    username.

    Their sessions end at once and their next sign-in enrols a new factor before anything
    else, whatever their roles. Nobody resets their own: a stolen password alone must not be
    enough to replace the factor that guards it.
    """
    require(actor, Action.SECOND_FACTOR_RESET)
    if staff_id == actor.id:
        raise PermissionDeniedError(
            "an administrator cannot reset their own second factor: ask another administrator"
        )
    with ctx.transaction() as s:
        row = s.get(t.Staff, staff_id)
        if row is None:
            raise NotFoundError("no such staff member")
        if row.totp_secret is None:
            raise ConflictError(f"{row.username} has no second factor to reset")
        row.totp_secret, row.totp_last_step, row.totp_reenrol = None, None, True
        staff_sessions.end_sessions(s, row.id, ctx.now())
        journal.record(ctx, s, EventTag.STAFF_TOTP_RESET, actor.actor, staff=row.id)
        return row.username
