"""A tamper campaign against a real accounting file: every way of changing what a person is
shown — each field, the entry bytes, the proofs, an entry moved from another person, each
disclosure's status and the release events it rests on — is caught by `custos ledger verify
FILE`, and the issue's attack (filing one person's entry under another) no longer goes
unnoticed."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from typer.testing import CliRunner

from custos.cli._ledger import ledger_app
from custos.domain.errors import IntegrityError
from custos.domain.events import EventTag
from custos.rights import verify_accounting
from custos.store import tables as t
from custos.store.ledger_tables import LedgerSubjectIndex
from custos.workflow import ledger as ledger_service
from custos.workflow import rights
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import account, lifecycle, person_id

Doc = dict[str, Any]
Mutation = Callable[[Doc, Doc, random.Random], None]


RECEIPT = EventTag.RELEASE_RECEIPT_ACKNOWLEDGE
RECALL = EventTag.RELEASE_RECALL_ISSUE


def _all_files(world: World, client: TestClient) -> tuple[Doc, Doc, Doc]:
    """Two people's accounting files as the staff API hands them out: three disclosures for
    the first (two proven, one newer than the checkpoint), one for the second; and the
    first's file of an older checkpoint.

    The first's releases: rel_a delivered (its destruction is newer than the checkpoint, so
    not counted yet), rel_b delivered then recalled (the older file shows it delivered), rel_d
    released (newer than the checkpoint)."""
    ctx = world.ctx
    account(world, "medicaid", request_id="req_a", release_id="rel_a", fields=("snap/address",))
    account(
        world,
        "medicaid",
        request_id="req_b",
        release_id="rel_b",
        compelled=True,
        retention_until="2027-01-31",
    )
    account(world, "snap_fleeing_felon", request_id="req_c", release_id="rel_c")
    lifecycle(world, RECEIPT, "rel_a", "req_a")
    lifecycle(world, RECEIPT, "rel_b", "req_b")
    ledger_service.publish_checkpoint(ctx)
    intake = staff_token(client, "intake")

    def file(key: str) -> Doc:
        r = client.get(f"/v1/staff/people/{person_id(world, key)}/disclosures", headers=intake)
        assert r.status_code == 200, r.text
        doc: Doc = r.json()
        return doc

    old = file("medicaid")
    lifecycle(world, RECALL, "rel_b", "req_b")
    ledger_service.publish_checkpoint(ctx)
    account(world, "medicaid", request_id="req_d", release_id="rel_d")
    lifecycle(world, EventTag.RELEASE_DESTRUCTION_ATTEST, "rel_a", "req_a")
    return file("medicaid"), file("snap_fleeing_felon"), old


def _files(world: World, client: TestClient) -> tuple[Doc, Doc]:
    mine, theirs, _ = _all_files(world, client)
    return mine, theirs


def _changed(value: Any, rng: random.Random) -> Any:
    """A different value of the same shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, list):
        return [*value, "snap/ssn"] if value and rng.random() < 0.5 else value[:-1] or ["x"]
    if value is None:
        return "2031-12-31"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return (dt.date.fromisoformat(value) + dt.timedelta(days=rng.randint(1, 900))).isoformat()
    return f"{value}{rng.choice('xyz')}"


def _field(name: str) -> Mutation:
    def mutate(doc: Doc, _other: Doc, rng: random.Random) -> None:
        d = rng.choice(doc["disclosures"])
        d[name] = _changed(d[name], rng)

    mutate.__name__ = f"edit {name}"
    return mutate


def _proven(doc: Doc, rng: random.Random) -> dict[str, Any]:
    d: dict[str, Any] = rng.choice([d for d in doc["disclosures"] if d["proof"]])
    return d


def _flip_entry_byte(doc: Doc, _o: Doc, rng: random.Random) -> None:
    d = rng.choice(doc["disclosures"])
    raw = bytearray(base64.b64decode(d["entry"]))
    raw[rng.randrange(len(raw))] ^= 0x01
    d["entry"] = base64.b64encode(bytes(raw)).decode()


def _swap_proofs(doc: Doc, _o: Doc, _rng: random.Random) -> None:
    a, b = [d for d in doc["disclosures"] if d["proof"]]
    a["proof"], b["proof"] = b["proof"], a["proof"]


def _swap_entries(doc: Doc, _o: Doc, _rng: random.Random) -> None:
    a, b = [d for d in doc["disclosures"] if d["proof"]]
    a["entry"], b["entry"] = b["entry"], a["entry"]


def _swap_a_hash(doc: Doc, _o: Doc, rng: random.Random) -> None:
    path = _proven(doc, rng)["proof"]["inclusion"]
    path[rng.randrange(len(path))] = base64.b64encode(rng.randbytes(32)).decode()


def _move_from_other(doc: Doc, other: Doc, _rng: random.Random) -> None:
    doc["disclosures"].append(copy.deepcopy(other["disclosures"][0]))


def _take_over_other(doc: Doc, other: Doc, _rng: random.Random) -> None:
    """The other person's whole (genuine) file relabelled as this person's."""
    doc["disclosures"] = copy.deepcopy(other["disclosures"])


def _set(key: str, value: Any, *, proven: bool = True) -> Mutation:
    def mutate(doc: Doc, _o: Doc, rng: random.Random) -> None:
        target = _proven(doc, rng) if proven else rng.choice(doc["disclosures"])
        target[key] = value

    mutate.__name__ = f"set {key}={value!r}"
    return mutate


def _newer_gets_fake_proof(doc: Doc, _o: Doc, rng: random.Random) -> None:
    [newer] = [d for d in doc["disclosures"] if d["proof"] is None]
    newer["proof"] = copy.deepcopy(_proven(doc, rng)["proof"])


def _drop(key: str, *, proven: bool = False) -> Mutation:
    def mutate(doc: Doc, _o: Doc, rng: random.Random) -> None:
        del (_proven(doc, rng) if proven else rng.choice(doc["disclosures"]))[key]

    mutate.__name__ = f"drop {key}"
    return mutate


SHOWN = [
    "date",
    "request_id",
    "release_id",
    "recipient",
    "recipient_kind",
    "fields",
    "generalized",
    "legal_process",
    "purpose",
    "rule_ids",
    "citations",
    "compelled",
    "basis",
    "retention_until",
]
#: Every failure names what failed: an entry (or a disclosure without an index), a release,
#: the checkpoint, the person, or the format.
NAMED = (
    r"entry \d+|disclosure \d+|release rel_\w+|releases section|checkpoint|person|custos-accounting"
)
MUTATIONS: list[Mutation] = [
    *(_field(name) for name in SHOWN),
    _set("status", "deleted", proven=False),
    _set("status", "overdue", proven=False),
    lambda doc, _o, _r: doc.update(generated_at="2032-01-01T00:00:00+00:00"),
    _flip_entry_byte,
    _swap_proofs,
    _swap_entries,
    _swap_a_hash,
    _move_from_other,
    _take_over_other,
    _set("proof", None),
    _drop("proof", proven=True),
    _drop("entry"),
    _drop("index"),
    _drop("recipient"),
    _set("index", 0),
    _newer_gets_fake_proof,
    _set("tree_size_hint", 1, proven=False),
    lambda doc, _o, _r: doc.update(person=_o["person"]),
    lambda doc, _o, _r: doc["disclosures"].append(copy.deepcopy(doc["disclosures"][0])),
    lambda doc, _o, _r: doc["proof"].update(checkpoint=None),
    lambda doc, _o, _r: doc["proof"].update(
        checkpoint=doc["proof"]["checkpoint"].replace("\n", " \n", 1)
    ),
    lambda doc, _o, _r: doc.update(format="custos-accounting/1"),
    lambda doc, _o, _r: doc.update(format="custos-accounting/2"),
]


def _status(value: str) -> Mutation:
    """A disclosure shown with another status than its release's events prove."""

    def mutate(doc: Doc, _old: Doc, rng: random.Random) -> None:
        rng.choice([d for d in doc["disclosures"] if d["status"] != value])["status"] = value

    mutate.__name__ = f"status → {value}"
    return mutate


def _event(doc: Doc, release: str = "rel_b") -> dict[str, Any]:
    event: dict[str, Any] = doc["releases"][release]["events"][-1]
    return event


def _hide_the_recall(doc: Doc, _old: Doc, _rng: random.Random) -> None:
    """The attack: the recall left out, rel_b's copy shown as merely delivered."""
    rel = doc["releases"]["rel_b"]
    rel["events"].pop()
    rel["count"] -= 1
    next(d for d in doc["disclosures"] if d["release_id"] == "rel_b")["status"] = "delivered"


def _flip_event_byte(doc: Doc, _old: Doc, rng: random.Random) -> None:
    event = _event(doc, rng.choice(["rel_a", "rel_b"]))
    raw = bytearray(base64.b64decode(event["entry"]))
    raw[rng.randrange(len(raw))] ^= 0x01
    event["entry"] = base64.b64encode(bytes(raw)).decode()


def _swap_events(doc: Doc, _old: Doc, _rng: random.Random) -> None:
    """rel_a's receipt and rel_b's first event trade places (each with its own proof)."""
    a, b = doc["releases"]["rel_a"]["events"], doc["releases"]["rel_b"]["events"]
    a[0], b[0] = b[0], a[0]


def _events_of(release: str, other: str) -> Mutation:
    def mutate(doc: Doc, _old: Doc, _rng: random.Random) -> None:
        doc["releases"][release]["events"] = copy.deepcopy(doc["releases"][other]["events"])

    mutate.__name__ = f"{release} shows {other}'s events"
    return mutate


def _map_proof_of(release: str, other: str) -> Mutation:
    def mutate(doc: Doc, _old: Doc, _rng: random.Random) -> None:
        doc["releases"][release]["map_proof"] = doc["releases"][other]["map_proof"]

    mutate.__name__ = f"{release} carries {other}'s map proof"
    return mutate


def _older(release: str, what: str) -> Mutation:
    """A release's map proof (or its whole section) from the older checkpoint's file. (rel_b's
    own map proof alone is the same bytes in both: a proof holds its siblings, and rel_a's
    leaf did not change; it is rel_a's whose sibling, rel_b, moved on.)"""

    def mutate(doc: Doc, old: Doc, _rng: random.Random) -> None:
        if what == "section":
            doc["releases"][release] = copy.deepcopy(old["releases"][release])
        else:
            doc["releases"][release][what] = copy.deepcopy(old["releases"][release][what])

    mutate.__name__ = f"{release}'s {what} from an older checkpoint"
    return mutate


def _older_reproven(doc: Doc, old: Doc, _rng: random.Random) -> None:
    """rel_b as the older checkpoint showed it (delivered, the recall not yet logged), its
    events re-proven against the new checkpoint (anyone can, the log is public): only the
    release map, committed in the new checkpoint, tells it is not all."""
    proofs = {e["index"]: e["proof"] for e in doc["releases"]["rel_b"]["events"]}
    section = copy.deepcopy(old["releases"]["rel_b"])
    for event in section["events"]:
        event["proof"] = proofs[event["index"]]
    doc["releases"]["rel_b"] = section
    next(d for d in doc["disclosures"] if d["release_id"] == "rel_b")["status"] = "delivered"


def _set_event(key: str, value: Any) -> Mutation:
    def mutate(doc: Doc, _old: Doc, rng: random.Random) -> None:
        _event(doc, rng.choice(["rel_a", "rel_b"]))[key] = value

    mutate.__name__ = f"set an event's {key}={value!r}"
    return mutate


#: Mutations of what proves each status; `_old` is the same person's file of an older
#: checkpoint.
STATUS_MUTATIONS: list[Mutation] = [
    *(_status(value) for value in ("released", "delivered", "destroyed", "overdue", "recalled")),
    _hide_the_recall,
    lambda doc, _old, _r: doc["releases"]["rel_b"]["events"].pop(),  # dropped, count kept
    lambda doc, _old, _r: doc["releases"]["rel_b"].update(count=3),
    _flip_event_byte,
    _swap_events,
    _events_of("rel_a", "rel_b"),
    _events_of("rel_d", "rel_a"),
    _set_event("proof", None),
    _set_event("index", 0),
    lambda doc, _old, _r: _event(doc)["proof"]["inclusion"].pop(),
    _map_proof_of("rel_a", "rel_b"),
    _map_proof_of("rel_d", "rel_a"),
    lambda doc, _old, _r: doc["releases"]["rel_a"].update(map_proof=""),
    _older("rel_a", "map_proof"),
    _older("rel_b", "section"),
    _older_reproven,
    lambda doc, _old, _r: doc["releases"].pop("rel_a"),
    lambda doc, _old, _r: doc.pop("releases"),
    lambda doc, _old, _r: doc["releases"].update(rel_c={"events": [], "count": 0}),
]


def test_every_mutation_of_a_real_accounting_file_is_caught(
    world: World, client: TestClient, verifier: str, tmp_path: Path
) -> None:
    mine, theirs = _files(world, client)
    # The untouched files verify, each about its own person.
    proven = verify_accounting(mine, verifier_keys=[verifier])
    assert len(proven.indices) == 2
    assert len(proven.unproven) == 1
    assert proven.person == mine["person"] != theirs["person"]
    assert len(MUTATIONS) >= 20
    rng = random.Random(14)
    for n, mutate in enumerate(MUTATIONS * 2):  # each twice, with different random picks
        doc, other = copy.deepcopy(mine), copy.deepcopy(theirs)
        mutate(doc, other, rng)
        assert doc != mine, f"mutation {n} ({mutate.__name__}) changed nothing"
        with pytest.raises(IntegrityError, match=NAMED):
            verify_accounting(doc, verifier_keys=[verifier])
    # The same through the command a person or an auditor runs.
    path = tmp_path / "accounting.json"
    runner = CliRunner()
    path.write_text(json.dumps(mine))
    ok = runner.invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert ok.exit_code == 0, ok.output
    assert "2 disclosures proven" in ok.output
    assert "1 newer" in ok.output
    doc = copy.deepcopy(mine)
    _move_from_other(doc, theirs, rng)
    path.write_text(json.dumps(doc))
    bad = runner.invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert bad.exit_code != 0
    assert "about another person" in bad.output + str(bad.exception)


def test_every_status_is_proven_and_every_mutation_of_its_proof_is_caught(
    world: World, client: TestClient, verifier: str, tmp_path: Path
) -> None:
    mine, _, old = _all_files(world, client)
    statuses = {d["release_id"]: d["status"] for d in mine["disclosures"]}
    # The destruction of rel_a came after the checkpoint: not counted (not yet provable).
    assert statuses == {"rel_a": "delivered", "rel_b": "recalled", "rel_d": "released"}
    assert [d["status"] for d in old["disclosures"]] == ["delivered", "delivered"]
    proven = verify_accounting(mine, verifier_keys=[verifier])
    assert sorted(proven.statuses.values()) == ["delivered", "recalled", "released"]
    assert proven.release_events == {"rel_a": 1, "rel_b": 2, "rel_d": 0}
    assert verify_accounting(old, verifier_keys=[verifier]).release_events["rel_b"] == 1
    rng = random.Random(1414)
    for n, mutate in enumerate(STATUS_MUTATIONS * 2):
        doc = copy.deepcopy(mine)
        mutate(doc, copy.deepcopy(old), rng)
        assert doc != mine, f"mutation {n} ({mutate.__name__}) changed nothing"
        with pytest.raises(IntegrityError, match=NAMED):
            verify_accounting(doc, verifier_keys=[verifier])
    # The hidden recall, through the command a person or an auditor runs.
    runner = CliRunner()
    path = tmp_path / "accounting.json"
    path.write_text(json.dumps(mine))
    ok = runner.invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert ok.exit_code == 0, ok.output
    said = " ".join(ok.output.split())
    assert "each status proven by its release's lifecycle events (3 for 3 releases" in said
    doc = copy.deepcopy(mine)
    _hide_the_recall(doc, old, rng)
    path.write_text(json.dumps(doc))
    bad = runner.invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert bad.exit_code != 0
    assert "release rel_b: the release map proof does not verify" in bad.output + str(bad.exception)


def test_an_entry_filed_under_another_person_is_refused_not_shown(
    world: World, client: TestClient, verifier: str, tmp_path: Path
) -> None:
    """The issue's attack: with the append-only trigger bypassed, one person's entry is filed
    under another (the lookup column and the person index both rewritten). The hashed entry
    still names its person: the service refuses to show it as the other's, and a file made
    by hand from it fails `custos ledger verify`."""
    mine, theirs = _files(world, client)
    victim_index = theirs["disclosures"][0]["index"]
    ctx = world.ctx
    with ctx.transaction() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER ledger_entries_no_update"))
        else:
            # Triggers off for this transaction only: a dropped trigger would stay dropped
            # for every later test sharing this worker's PostgreSQL database.
            s.execute(text("SET LOCAL session_replication_role = replica"))
        s.execute(
            update(t.LedgerEntry)
            .where(t.LedgerEntry.idx == victim_index)
            .values(subject_ref=mine["person"])
        )
        s.execute(
            update(LedgerSubjectIndex)
            .where(LedgerSubjectIndex.idx == victim_index)
            .values(subject_ref=mine["person"])
        )
    with pytest.raises(IntegrityError, match=f"entry {victim_index} is filed under a person"):
        rights.accounting_for_staff(
            ctx, actor=world.staff["intake"], person_id=person_id(world, "medicaid")
        )
    forged = copy.deepcopy(mine)
    forged["disclosures"].append(copy.deepcopy(theirs["disclosures"][0]))
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    bad = CliRunner().invoke(ledger_app, ["verify", str(path), "--key", verifier])
    assert bad.exit_code != 0
    assert f"entry {victim_index} is about another person" in bad.output + str(bad.exception)
