"""A tamper campaign against a real accounting file: every way of changing what a person is
shown — each field, the entry bytes, the proofs, an entry moved from another person — is
caught by `custos ledger verify FILE`, and the issue's attack (filing one person's entry under
another) no longer goes unnoticed."""

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
from custos.rights import verify_accounting
from custos.store import tables as t
from custos.store.ledger_tables import LedgerSubjectIndex
from custos.workflow import ledger as ledger_service
from custos.workflow import rights
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import account, person_id

Doc = dict[str, Any]
Mutation = Callable[[Doc, Doc, random.Random], None]


def _files(world: World, client: TestClient) -> tuple[Doc, Doc]:
    """Two people's accounting files as the staff API hands them out: three disclosures for
    the first (two proven, one newer than the checkpoint), one for the second."""
    account(world, "medicaid", release_id="rel_a", fields=("snap/address", "snap/ssn"))
    account(world, "medicaid", release_id="rel_b", compelled=True, retention_until="2027-01-31")
    account(world, "snap_fleeing_felon", release_id="rel_c", fields=("snap/photo",))
    ledger_service.publish_checkpoint(world.ctx)
    account(world, "medicaid", release_id="rel_d")
    intake = staff_token(client, "intake")

    def file(key: str) -> Doc:
        r = client.get(f"/v1/staff/people/{person_id(world, key)}/disclosures", headers=intake)
        assert r.status_code == 200, r.text
        doc: Doc = r.json()
        return doc

    return file("medicaid"), file("snap_fleeing_felon")


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
#: Every failure names what failed: an entry (or a disclosure without an index), the
#: checkpoint, the person, or the format.
NAMED = r"entry \d+|disclosure \d+|checkpoint|person|custos-accounting"
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


def test_an_entry_filed_under_another_person_is_refused_not_shown(
    world: World, client: TestClient, verifier: str, tmp_path: Path
) -> None:
    """The issue's attack: with the append-only trigger dropped, one person's entry is filed
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
            s.execute(text("DROP TRIGGER ledger_entries_append_only ON ledger_entries"))
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
