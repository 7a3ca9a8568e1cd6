"""Enrolling a staff member's TOTP second factor (the rules: `custos.domain.second_factor`).

Enrolment shows a fresh secret (and its `otpauth://` address and QR code); the secret is
kept only once the staff member proves their app has it by typing a code it shows. The code
is spent (it cannot then sign in), and the enrolment is logged in the same transaction.
Replacing a lost factor is not offered here: an administrator would reset it, and that path
is not built yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

from custos.domain import second_factor
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError
from custos.domain.events import EventTag
from custos.domain.principals import StaffPrincipal
from custos.store import tables as t
from custos.workflow import journal, totp_seal
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


def status(ctx: Context, *, actor: StaffPrincipal) -> Status:
    """Whether `actor` has a second factor, and whether their roles require one."""
    with ctx.reading() as s:
        row = s.get(t.Staff, actor.id)
        enrolled = row is not None and row.totp_secret is not None
    return Status(enrolled=enrolled, required=second_factor.required(actor.roles))


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
        row.totp_last_step = step
        journal.record(ctx, s, EventTag.STAFF_TOTP_ENROL, actor.actor, staff=actor.id)
