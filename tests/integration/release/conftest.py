"""Approved requests ready to release, over the shared `world`, and an agency signing key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from custos.domain.disclosure import AgreementProtocols, Purpose, RequesterKind
from custos.domain.principals import RequesterPrincipal
from custos.domain.programs import FieldRef, Program
from custos.workflow import accounts, agreements, documents, requests, tokens
from custos.workflow.context import Context
from custos.workflow.intake import RequestInput
from tests.integration.conftest import (
    World,
    add_snap_office,
    build_world,
    fleeing_felon,
    give_ledger_key,
    program_administration,
)


@pytest.fixture
def verifier(ctx: Context, tmp_path: Path) -> str:
    return give_ledger_key(ctx, tmp_path)


@pytest.fixture
def world(ctx: Context, verifier: str) -> World:
    return build_world(ctx)


def requester(world: World, key: str) -> RequesterPrincipal:
    return tokens.requester_from_token(world.ctx, world.tokens[key])


def approve(world: World, request_id: str) -> None:
    ctx = world.ctx
    requests.classify(ctx, actor=world.staff["counsel"], request_id=request_id)
    requests.approve(ctx, actor=world.staff["approver1"], request_id=request_id)
    requests.approve(ctx, actor=world.staff["approver2"], request_id=request_id)


def approved_felon(world: World) -> str:
    """The police's fleeing-felon request: address, SSN and photo of one person."""
    rid = felon_request(world)
    approve(world, rid)
    return rid


def admin_request(world: World) -> str:
    """A state SNAP office's program-administration request, submitted and not yet reviewed:
    discretionary, so the person is noticed before anything is sent."""
    ctx = world.ctx
    add_snap_office(world)
    office = requester(world, "snap_office")
    sha = documents.upload(
        ctx,
        actor=office,
        content=b"%PDF-1.4 written request\n",
        filename="r.pdf",
        content_type="application/pdf",
    )
    body = program_administration(sha, {"case_number": world.person("snap_fleeing_felon").dcn})
    return requests.submit(ctx, actor=office, data=RequestInput.model_validate(body))


def felon_request(world: World) -> str:
    """The same request, submitted and not yet reviewed (compelled: the person is told after)."""
    ctx = world.ctx
    police = requester(world, "police")
    sha = documents.upload(
        ctx,
        actor=police,
        content=b"%PDF-1.4 warrant\n",
        filename="w.pdf",
        content_type="application/pdf",
    )
    person = world.person("snap_fleeing_felon")
    body = fleeing_felon(sha, {"full_name": person.full_name, "birth_date": str(person.birth_date)})
    return requests.submit(ctx, actor=police, data=RequestInput.model_validate(body))


def add_usda(world: World) -> str:
    """A federal SNAP auditor with a data-sharing agreement (key "usda")."""
    from pyrage import x25519

    ctx = world.ctx
    admin = world.staff["admin"]
    identity = x25519.Identity.generate()
    view = accounts.register_requester(
        ctx,
        actor=admin,
        name="USDA Food and Nutrition Service",
        kind=RequesterKind.OTHER_FEDERAL,
        age_recipients=[str(identity.to_public())],
    )
    world.requesters["usda"] = view.id
    world.identities["usda"] = identity
    world.tokens["usda"] = tokens.issue_token(ctx, actor=admin, requester_id=view.id).token
    sha = documents.upload(
        ctx,
        actor=admin,
        content=b"%PDF-1.4 MOU\n",
        filename="mou.pdf",
        content_type="application/pdf",
    )
    agreements.register_agreement(
        ctx,
        actor=admin,
        requester_id=view.id,
        title="SNAP audit MOU",
        parties=["MO DSS", "USDA FNS"],
        programs=[Program.SNAP],
        fields=[
            FieldRef.parse(f) for f in ("snap/full_name", "snap/address", "snap/benefit_amount")
        ],
        purposes=[Purpose.PROGRAM_AUDIT],
        retention_days=1825,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2027, 12, 31),
        document_sha256=sha,
        protocols=AgreementProtocols(
            protocol_document="USDA-Missouri SNAP data and security protocols, v1",
            use_limited_to_program=True,
            no_onward_sharing=True,
            administers=frozenset({Program.SNAP}),
        ),
    )
    return view.id


def approved_bulk(world: World, *, counties: list[str] | None = None) -> str:
    """A statewide (or county) SNAP audit: names, benefit amounts, addresses as counties."""
    ctx = world.ctx
    if "usda" not in world.requesters:
        add_usda(world)
    usda = requester(world, "usda")
    agreement = agreements.list_agreements(ctx, actor=world.staff["admin"])[0]
    sha = documents.upload(
        ctx,
        actor=usda,
        content=b"%PDF-1.4 audit letter\n",
        filename="a.pdf",
        content_type="application/pdf",
    )
    body = {
        "bulk": {"programs": ["snap"], "counties": counties or [], "description": "audit"},
        "fields": ["snap/full_name", "snap/address", "snap/benefit_amount"],
        "purpose": "program_audit",
        "purpose_text": "Annual SNAP quality-control audit.",
        "legal_process": {"kind": "statutory_duty", "issuer": "USDA FNS", "document_sha256": sha},
        "agreement_id": agreement.id,
    }
    rid = requests.submit(ctx, actor=usda, data=RequestInput.model_validate(body))
    approve(world, rid)
    return rid
