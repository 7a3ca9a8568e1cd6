"""The accounting document: what the writer puts out, the verifier accepts, and a changed
summary or a foreign checkpoint fails."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from custos.domain.errors import IntegrityError
from custos.domain.events import EventTag
from custos.ledger import Checkpoint, MemoryTree, generate_key, hash_leaf, sign_note
from custos.rights import (
    FORMAT,
    Accounting,
    ChallengeView,
    DisclosureView,
    InclusionProof,
    PendingView,
    Withheld,
    accounting_json,
    parse_entry,
    verify_accounting,
)
from tests.unit.rights.maps import commit_body, completeness_of, map_of

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _body(release: str) -> bytes:
    doc = {
        "tag": EventTag.RELEASE_ACCOUNTING_ENTRY.value,
        "at": AT.isoformat(),
        "request": "req_1",
        "data": {
            "release": release,
            "requester_name": "Columbia Police Department",
            "fields": ["snap/address"],
            "compelled": True,
            "retention_until": "2031-03-01",
        },
    }
    return json.dumps(doc).encode()


def _accounting() -> tuple[Accounting, str]:
    bodies = [b'{"tag":"other"}', _body("rel_1"), _body("rel_2")]
    bodies.append(commit_body(map_of({"ps_abc": [(1, bodies[1]), (2, bodies[2])]}), 3))
    tree = MemoryTree(hash_leaf(b) for b in bodies)
    signer, verifier = generate_key("custos.example/log")
    note = sign_note(
        text=Checkpoint(origin="custos.example/log", size=tree.size, root=tree.root()).text(),
        signer_key=signer,
    )
    disclosures = tuple(
        DisclosureView(
            entry=parse_entry(i, bodies[i]),
            status="delivered",
            proof=InclusionProof(
                index=i,
                tree_size=tree.size,
                entry=bodies[i],
                inclusion=tuple(tree.inclusion_proof(i)),
            ),
        )
        for i in (1, 2)
    )
    acc = Accounting(
        subject_ref="ps_abc",
        name="Ana Pérez",
        generated_at=AT,
        opted_out=False,
        language="en",
        disclosures=disclosures,
        withheld=(Withheld(count=2, until=dt.date(2026, 6, 1)),),
        pending=(
            PendingView(
                request_id="req_9",
                requester_name="ICE Kansas City",
                fields=("snap/address",),
                purpose="immigration_enforcement",
                legal_process="administrative_subpoena",
                received_on=dt.date(2026, 3, 2),
                challenge_by=dt.date(2026, 3, 16),
                status="pending",
            ),
        ),
        challenges=(
            ChallengeView(
                id="chl_1",
                request_id="req_9",
                target="pending",
                release_id=None,
                reason="not me",
                documents=(),
                filed_by="person:ps_abc",
                filed_at=AT,
                status="open",
                resolution=None,
                resolved_at=None,
                recall_needed=False,
            ),
        ),
        checkpoint=note,
        completeness=completeness_of(
            tree, bodies, "ps_abc", map_of({"ps_abc": [(1, bodies[1]), (2, bodies[2])]})
        ),
    )
    return acc, verifier


def test_what_the_writer_puts_out_the_verifier_proves() -> None:
    acc, verifier = _accounting()
    doc = json.loads(json.dumps(accounting_json(acc)))
    assert doc["format"] == FORMAT
    assert [d["release_id"] for d in doc["disclosures"]] == ["rel_1", "rel_2"]
    assert doc["disclosures"][0]["basis"] == "required by law"
    assert doc["withheld"] == [
        {
            "count": 2,
            "until": "2026-06-01",
            "message": "2 disclosures are temporarily withheld until 2026-06-01",
        }
    ]
    assert doc["pending"][0]["challenge_by"] == "2026-03-16"
    assert doc["challenges"][0]["resolved_at"] is None
    assert "reason" not in doc["challenges"][0]
    result = verify_accounting(doc, verifier_keys=[verifier])
    assert result.indices == (1, 2)
    assert result.checkpoint.size == 4
    assert result.complete.count == 2


def test_a_summary_that_differs_from_the_logged_entry_fails() -> None:
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    doc["disclosures"][1]["fields"] = ["snap/benefit"]
    with pytest.raises(IntegrityError, match="entry 2 does not match"):
        verify_accounting(doc, verifier_keys=[verifier])


def test_a_checkpoint_signed_by_another_key_fails() -> None:
    acc, _ = _accounting()
    _, stranger = generate_key("custos.example/log")
    with pytest.raises(IntegrityError, match="checkpoint does not verify"):
        verify_accounting(accounting_json(acc), verifier_keys=[stranger])
