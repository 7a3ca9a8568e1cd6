"""A small populated world for workflow and API tests: staff, requesters, demo people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from pyrage import x25519
from sqlalchemy import func, select

from custos import records
from custos.api.app import create_app
from custos.domain import second_factor
from custos.domain.disclosure import RequesterKind
from custos.domain.principals import StaffPrincipal
from custos.domain.programs import Program
from custos.domain.roles import Role
from custos.ledger import generate_key
from custos.store import tables as t
from custos.workflow import accounts, documents, ledger, officers, requests, tokens, totp_seal
from custos.workflow.context import Context
from custos.workflow.intake import RequestInput
from tests.conftest import Clock

PASSWORD = "correct horse battery staple"
#: The test administrator's TOTP secret: administrators must have a second factor.
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(ctx: Context, username: str) -> str:
    """The code `username`'s authenticator app shows now, or "" without a second factor.

    Test clocks stand still, and a code is accepted once per 30-second step: the step last
    used is forgotten first, as the clock moving on would.
    """
    with ctx.transaction() as s:
        row = s.scalar(select(t.Staff).where(t.Staff.username == username))
        if row is None or row.totp_secret is None:
            return ""
        row.totp_last_step = None
        secret = totp_seal.unseal(
            ctx.settings, owner=totp_seal.staff_owner(row.id), stored=row.totp_secret
        )
        return second_factor.code_at(secret, ctx.now())


def seed_second_factor(ctx: Context, staff_id: str, secret: str = ADMIN_TOTP_SECRET) -> None:
    """Give a staff member a second factor as enrolled, without an enrolment entry in the log."""
    with ctx.transaction() as s:
        s.get_one(t.Staff, staff_id).totp_secret = totp_seal.seal(
            ctx.settings, owner=totp_seal.staff_owner(staff_id), secret=secret
        )


@dataclass
class World:
    ctx: Context
    staff: dict[str, StaffPrincipal] = field(default_factory=dict)
    requesters: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    identities: dict[str, x25519.Identity] = field(default_factory=dict)
    #: One officer per requester (same keys): what the portal's sign-in asks for.
    officers: dict[str, officers.RegisteredOfficer] = field(default_factory=dict)

    def person(self, key: str) -> records.DemoPerson:
        return next(p for p in records.demo_people() if p.key == key)


def build_world(ctx: Context) -> World:
    world = World(ctx=ctx)
    for username, roles in {
        "admin": {Role.ADMIN},
        "intake": {Role.INTAKE},
        "counsel": {Role.LEGAL_REVIEWER},
        "approver1": {Role.APPROVER},
        "approver2": {Role.APPROVER},
        "auditor": {Role.AUDITOR},
    }.items():
        world.staff[username] = accounts.create_staff(
            ctx,
            actor=None,
            username=username,
            display_name=username,
            password=PASSWORD,
            roles=roles,
        )
    seed_second_factor(ctx, world.staff["admin"].id)
    for key, name, kind in (
        ("ice", "ICE ERO Kansas City Field Office", RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT),
        ("police", "Columbia Police Department", RequesterKind.LOCAL_LAW_ENFORCEMENT),
    ):
        identity = x25519.Identity.generate()
        view = accounts.register_requester(
            ctx,
            actor=world.staff["admin"],
            name=name,
            kind=kind,
            age_recipients=[str(identity.to_public())],
        )
        world.requesters[key] = view.id
        world.identities[key] = identity
        world.tokens[key] = tokens.issue_token(
            ctx, actor=world.staff["admin"], requester_id=view.id
        ).token
        world.officers[key] = officers.register(
            ctx,
            actor=world.staff["admin"],
            requester_id=view.id,
            username=f"{key}-officer",
            display_name=f"Officer Ortega ({key})",
            password=PASSWORD,
        )
    with ctx.transaction() as s:
        records.load(s, records.demo_records())
    return world


def officer_code(world: World, key: str = "police") -> str:
    """A code the officer's authenticator app would accept now, by the server's clock.

    Tests run on a clock that stands still, and a code is accepted once: a second sign-in in
    the same step uses the next step's code, which the drift window accepts, as a phone whose
    clock runs a little fast would show it."""
    officer = world.officers[key]
    with world.ctx.reading() as s:
        last = s.get(t.RequesterOfficer, officer.officer.id)
        used = last.totp_last_step if last is not None else None
    clock = pyotp.TOTP(officer.totp_secret)
    step = clock.timecode(world.ctx.now())
    if used is not None and used >= step:
        step = used + 1
    return clock.generate_otp(step)


def give_ledger_key(ctx: Context, directory: Path) -> str:
    """Configure an agency key (the ledger's signer key file); returns its verifier key."""
    signer, verifier = generate_key(ctx.settings.ledger_origin)
    path = directory / "ledger.key"
    ledger.write_key_file(path, [signer])
    ctx.settings = ctx.settings.model_copy(update={"ledger_key_path": path})
    return verifier


@pytest.fixture
def world(ctx: Context) -> World:
    return build_world(ctx)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=world.ctx), raise_server_exceptions=False) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def staff_token(client: TestClient, username: str) -> dict[str, str]:
    code = totp_code(client.app.state.ctx, username)  # type: ignore[attr-defined]  # a FastAPI app
    r = client.post(
        "/v1/staff/session", json={"username": username, "password": PASSWORD, "code": code}
    )
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


def stored_requests(world: World) -> tuple[int, int, int]:
    """(requests, request subjects, ledger entries) in the store: what a refused submit must
    leave as it found it."""
    with world.ctx.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(t.Request)) or 0,
            s.scalar(select(func.count()).select_from(t.RequestSubject)) or 0,
            s.scalar(select(func.count()).select_from(t.LedgerEntry)) or 0,
        )


def upload(client: TestClient, token: str, content: bytes = b"%PDF-1.4 subpoena\n") -> str:
    r = client.post(
        "/v1/documents",
        content=content,
        headers={**bearer(token), "Content-Type": "application/pdf", "X-Filename": "process.pdf"},
    )
    assert r.status_code == 201, r.text
    sha: str = r.json()["sha256"]
    return sha


def ice_subpoena(sha: str, subject: dict[str, Any]) -> dict[str, Any]:
    return {
        "subjects": [subject],
        "fields": ["snap/address", "snap/immigration_status"],
        "purpose": "civil_immigration_enforcement",
        "purpose_text": "Locate for civil immigration enforcement.",
        "legal_process": {
            "kind": "administrative_subpoena",
            "issuer": "ICE ERO Kansas City",
            "docket_number": "ADM-2026-0147",
            "signer": "Supervisory Detention and Deportation Officer",
            "issued_on": "2026-02-20",
            "expires_on": "2026-06-30",
            "document_sha256": sha,
        },
    }


def fleeing_felon(sha: str, subject: dict[str, Any], *, statements: bool = True) -> dict[str, Any]:
    return {
        "subjects": [subject],
        "fields": ["snap/address", "snap/ssn", "snap/photo", "snap/benefit_amount"],
        "purpose": "fleeing_felon",
        "purpose_text": "Felony warrant 26-CR-0113; locating the subject is my official duty.",
        "legal_process": {
            "kind": "written_request",
            "issuer": "Columbia Police Department",
            "signer": "Det. R. Alvarez",
            "issued_on": "2026-02-27",
            "document_sha256": sha,
        },
        "statements": {
            "fleeing_or_violating": statements,
            "locating_is_official_duty": True,
            "proper_exercise_of_duty": True,
        },
    }


def paper_fleeing_felon(world: World) -> RequestInput:
    """A fleeing-felon request received on paper and entered by intake, with its document."""
    sha = documents.upload(
        world.ctx,
        actor=world.staff["intake"],
        content=b"%PDF-1.4 written request with the three statements\n",
        filename="request.pdf",
        content_type="application/pdf",
    )
    person = world.person("snap_fleeing_felon")
    return RequestInput.model_validate(fleeing_felon(sha, {"ssn": person.ssn}))


def add_snap_office(world: World) -> str:
    """A state agency that administers SNAP (key "snap_office"): its program-administration
    requests are discretionary disclosures (7 U.S.C. 2020(e)(8)(A)) that an opt-out blocks."""
    if "snap_office" in world.requesters:
        return world.requesters["snap_office"]
    identity = x25519.Identity.generate()
    view = accounts.register_requester(
        world.ctx,
        actor=world.staff["admin"],
        name="Missouri SNAP Employment and Training office",
        kind=RequesterKind.STATE,
        age_recipients=[str(identity.to_public())],
        programs=[Program.SNAP],
    )
    world.requesters["snap_office"] = view.id
    world.identities["snap_office"] = identity
    world.tokens["snap_office"] = tokens.issue_token(
        world.ctx, actor=world.staff["admin"], requester_id=view.id
    ).token
    return view.id


def greene_county_order(
    world: World,
    *,
    subjects: list[dict[str, str]] | None = None,
    fields: tuple[str, ...] = ("tanf/address", "tanf/ssn", "tanf/immigration_status"),
) -> str:
    """A Greene County circuit court's child-support order about a TANF recipient (or
    `subjects`), entered by intake with its document; returns the request id."""
    ctx = world.ctx
    court = accounts.register_requester(
        ctx,
        actor=world.staff["admin"],
        name="Greene County Circuit Court",
        kind=RequesterKind.COURT,
        age_recipients=[
            accounts.list_requesters(ctx, actor=world.staff["admin"])[0].age_recipients[0]
        ],
    )
    sha = documents.upload(
        ctx,
        actor=world.staff["intake"],
        content=b"%PDF-1.4 order\n",
        filename="order.pdf",
        content_type="application/pdf",
    )
    body: dict[str, Any] = {
        "subjects": subjects or [{"case_number": world.person("tanf_determination").dcn}],
        "fields": list(fields),
        "purpose": "court_proceeding",
        "purpose_text": "Child support proceeding 26-DR-0042.",
        "legal_process": {
            "kind": "court_order",
            "issuer": "Greene County Circuit Court",
            "document_sha256": sha,
        },
    }
    return requests.submit(
        ctx,
        actor=world.staff["intake"],
        data=RequestInput.model_validate(body),
        requester_id=court.id,
    )


def program_administration(sha: str, subject: dict[str, Any]) -> dict[str, Any]:
    """A written program-administration request for a SNAP household's address and amount."""
    return {
        "subjects": [subject],
        "fields": ["snap/address", "snap/benefit_amount", "snap/immigration_status"],
        "purpose": "program_administration",
        "purpose_text": "Enrolling the household in SNAP Employment and Training.",
        "legal_process": {
            "kind": "written_request",
            "issuer": "Missouri SNAP E&T office",
            "signer": "Program manager",
            "issued_on": "2026-02-27",
            "document_sha256": sha,
        },
    }


def send_pending_letters(world: World, *, days_ago: int = 0) -> int:
    """Queue the letters due (the sweep) and mark every queued `disclosure_pending` letter sent
    `days_ago` days before the clock's now, as if it went out then (the clock is put back).
    Returns how many letters were marked sent. The challenge window runs from that day."""
    from custos.rights import NoticeKind
    from custos.workflow import rights

    ctx, intake = world.ctx, world.staff["intake"]
    rights.sweep_notices(ctx)
    queued = [
        n for n in rights.notice_queue(ctx, actor=intake) if n.kind is NoticeKind.DISCLOSURE_PENDING
    ]
    clock = ctx.clock
    now = clock()
    if days_ago and not isinstance(clock, Clock):
        raise TypeError("backdating needs the tests' Clock")
    if isinstance(clock, Clock):
        clock.now = now - dt.timedelta(days=days_ago)
    try:
        for n in queued:
            rights.mark_notice_sent(ctx, actor=intake, notice_id=n.id)
    finally:
        if isinstance(clock, Clock):
            clock.now = now
    return len(queued)
