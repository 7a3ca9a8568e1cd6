"""Registering an agreement in the staff console: the signed document is uploaded and the
agreement is recorded with its hash; problems are shown by their fields."""

from __future__ import annotations

import hashlib
from typing import Any

from custos.workflow import agreements
from tests.integration.conftest import World
from tests.integration.web.conftest import staff_browser

PDF = b"%PDF-1.4 memorandum of understanding\n"


def _form(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "requester_id": world.requesters["police"],
        "title": "County sheriff MOU",
        "parties": "The agency, The county sheriff",
        "programs": ["snap"],
        "fields": ["snap/address"],
        "purposes": ["fleeing_felon"],
        "retention_days": "90",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        **changes,
    }


def test_a_legal_reviewer_registers_an_agreement_with_its_signed_document(world: World) -> None:
    counsel = staff_browser(world, "counsel")
    page = counsel.get("/staff/requesters")
    assert 'action="/staff/agreements" enctype="multipart/form-data"' in page.text
    assert 'name="csrf_token"' in page.text
    r = counsel.post(
        "/staff/agreements",
        _form(world),
        files={"document": ("mou.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text[-800:]
    (agreement,) = agreements.list_agreements(world.ctx, actor=world.staff["counsel"])
    assert agreement.document_sha256 == hashlib.sha256(PDF).hexdigest()
    assert agreement.parties == ("The agency", "The county sheriff")
    assert [str(f) for f in agreement.fields] == ["snap/address"]
    shown = counsel.get(r.headers["location"]).text
    assert "Agreement registered." in shown
    assert "County sheriff MOU" in shown


def test_agreement_problems_are_shown_next_to_their_fields(world: World) -> None:
    counsel = staff_browser(world, "counsel")
    counsel.get("/staff/requesters")
    cases: list[tuple[dict[str, object], bytes | None, str]] = [
        ({}, None, "document"),  # no signed document
        ({"valid_from": "soon"}, PDF, "valid_from"),
        ({"valid_until": "2025-01-01"}, PDF, "valid_until"),
        ({"programs": []}, PDF, "programs"),
        ({"title": " "}, PDF, "title"),
        ({"retention_days": "ninety"}, PDF, "retention_days"),
        ({"fields": ["nonsense"]}, PDF, "fields"),
        ({}, b"", "document"),
    ]
    for changes, content, field in cases:
        files = {"document": ("mou.pdf", content, "application/pdf")} if content is not None else {}
        r = counsel.post("/staff/agreements", _form(world, **changes), files=files or None)
        assert r.status_code == 422, (field, r.text[-500:])
        assert f'id="{field}-error"' in r.text, field
        assert f'aria-describedby="{field}-error"' in r.text, field
        assert 'value="County sheriff MOU"' in r.text or field == "title"
    assert agreements.list_agreements(world.ctx, actor=world.staff["counsel"]) == []


def test_only_admins_and_legal_reviewers_register_agreements(world: World) -> None:
    intake = staff_browser(world, "intake")
    page = intake.get("/staff/requesters")
    assert 'action="/staff/agreements"' not in page.text
    r = intake.post(
        "/staff/agreements",
        _form(world),
        files={"document": ("mou.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 403
    assert "this action needs one of the roles" in r.text
    assert agreements.list_agreements(world.ctx, actor=world.staff["admin"]) == []
