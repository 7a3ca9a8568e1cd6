"""The accounting document: what the writer puts out, the verifier accepts, and a changed
summary or a foreign checkpoint fails."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

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
from tests.unit.rights.maps import commit_body, completeness_of, lifecycle_of, map_of

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _body(release: str, subject: str = "ps_abc") -> bytes:
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
            "subject": subject,
        },
    }
    return json.dumps(doc).encode()


def _event(tag: EventTag, release: str) -> bytes:
    """A release lifecycle event, naming its release, as the release service logs it."""
    doc = {"tag": tag.value, "at": AT.isoformat(), "request": "req_1", "data": {"release": release}}
    return json.dumps(doc).encode()


def _accounting() -> tuple[Accounting, str]:
    """Two disclosures: rel_1 received by the recipient (a receipt event), rel_2 not yet."""
    bodies = [b'{"tag":"other"}', _body("rel_1"), _body("rel_2")]
    bodies.append(_event(EventTag.RELEASE_RECEIPT_ACKNOWLEDGE, "rel_1"))
    releases = map_of({"rel_1": [(3, bodies[3])]})
    people = map_of({"ps_abc": [(1, bodies[1]), (2, bodies[2])]})
    bodies.append(commit_body(people, 4, releases=releases))
    tree = MemoryTree(hash_leaf(b) for b in bodies)
    signer, verifier = generate_key("custos.example/log")
    note = sign_note(
        text=Checkpoint(origin="custos.example/log", size=tree.size, root=tree.root()).text(),
        signer_key=signer,
    )
    disclosures = tuple(
        DisclosureView(
            entry=parse_entry(i, bodies[i]),
            status="delivered" if i == 1 else "released",
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
        completeness=completeness_of(tree, bodies, "ps_abc", people),
        releases=tuple(lifecycle_of(tree, bodies, r, releases) for r in ("rel_1", "rel_2")),
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
    assert result.checkpoint.size == 5
    assert result.complete.count == 2
    assert result.statuses == {1: "delivered", 2: "released"}
    assert result.release_events == {"rel_1": 1, "rel_2": 0}


def test_a_summary_that_differs_from_the_logged_entry_fails() -> None:
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    doc["disclosures"][1]["fields"] = ["snap/benefit"]
    with pytest.raises(IntegrityError, match="entry 2: the fields shown"):
        verify_accounting(doc, verifier_keys=[verifier])


def test_a_checkpoint_signed_by_another_key_fails() -> None:
    acc, _ = _accounting()
    _, stranger = generate_key("custos.example/log")
    with pytest.raises(IntegrityError, match="checkpoint does not verify"):
        verify_accounting(accounting_json(acc), verifier_keys=[stranger])


def test_an_entry_about_someone_else_fails_even_with_a_valid_proof() -> None:
    """The proof is genuine, but the entry names another person: not this person's."""
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    doc["person"] = "ps_other"
    with pytest.raises(IntegrityError, match="entry 1 is about another person"):
        verify_accounting(doc, verifier_keys=[verifier])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(proof=None), "entry 1 is covered by the checkpoint but has no proof"),
        (lambda d: d.pop("proof"), "entry 1 is covered by the checkpoint but has no proof"),
        (lambda d: d.update(index=2), "entry 2 does not verify"),
        (lambda d: d.update(extra="x"), "entry 1 shows fields no entry proves"),
        (lambda d: d.pop("recipient"), "entry 1: the recipient shown"),
        (lambda d: d.update(status="deleted"), "entry 1: the status shown"),
        (lambda d: d.update(index=7), "entry 7 is newer than the checkpoint yet claims a proof"),
    ],
)
def test_each_way_of_breaking_a_disclosure_is_named(change: Any, message: str) -> None:
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    change(doc["disclosures"][0])
    with pytest.raises(IntegrityError, match=message):
        verify_accounting(doc, verifier_keys=[verifier])


def test_an_entry_newer_than_the_checkpoint_is_checked_but_not_proven() -> None:
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    newer = dict(doc["disclosures"][1], index=5, proof=None)
    doc["disclosures"].append(newer)
    result = verify_accounting(doc, verifier_keys=[verifier])
    assert result.indices == (1, 2)
    assert result.unproven == (5,)
    newer["purpose"] = "something else"
    with pytest.raises(IntegrityError, match="entry 5: the purpose shown"):
        verify_accounting(doc, verifier_keys=[verifier])


def test_one_entry_shown_twice_fails() -> None:
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    doc["disclosures"].append(dict(doc["disclosures"][0]))
    with pytest.raises(IntegrityError, match="entry 1 is shown twice"):
        verify_accounting(doc, verifier_keys=[verifier])


def test_a_status_that_contradicts_the_retention_date_fails() -> None:
    """Past its retention date a copy not destroyed or recalled is overdue, and only then."""
    acc, verifier = _accounting()
    doc = accounting_json(acc)
    doc["generated_at"] = "2031-03-02T10:00:00+00:00"  # a day after the retention date
    with pytest.raises(IntegrityError, match=r"entry 1: the status shown \(delivered\) is not"):
        verify_accounting(doc, verifier_keys=[verifier])
    for d in doc["disclosures"]:
        d["status"] = "overdue"
    assert verify_accounting(doc, verifier_keys=[verifier]).indices == (1, 2)
    # No destruction event is proven: "destroyed" is not what the log says.
    doc["disclosures"][0]["status"] = "destroyed"
    with pytest.raises(IntegrityError, match="release rel_1 make it \\(overdue\\)"):
        verify_accounting(doc, verifier_keys=[verifier])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("rel_2"), "release rel_2: its lifecycle events are not proven"),
        (lambda r: r["rel_1"].update(events=[]), "release rel_1: the release map proof"),
        (lambda r: r.update(rel_1=r["rel_2"]), "release rel_1: the release map proof"),
        (lambda r: r["rel_1"].update(count=0), "release rel_1: says 0, proves 1"),
        (lambda r: r["rel_1"]["events"][0].update(proof=None), "event entry 3 has no inclusion"),
        (lambda r: r["rel_2"].update(events=r["rel_1"]["events"]), "another release"),
        (lambda r: r.update(rel_9=r["rel_2"]), "release rel_9 is shown but no disclosure"),
        (lambda r: r["rel_1"]["events"][0].update(index=9), "event entry 9 is out of order"),
    ],
)
def test_each_way_of_breaking_a_release_proof_is_named(change: Any, message: str) -> None:
    acc, verifier = _accounting()
    doc = json.loads(json.dumps(accounting_json(acc)))
    change(doc["releases"])
    with pytest.raises(IntegrityError, match=message):
        verify_accounting(doc, verifier_keys=[verifier])
