"""The accounting map as the log keeps it: committed with each checkpoint, updated in place.

Checked against the definition: the root committed in the log is `AccountingMap`'s over the
chains of the accounting entries before the commit, and a person's proof verifies against it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from custos.domain.events import Event, EventTag
from custos.ledger import (
    AccountingMap,
    ProofError,
    VerificationError,
    append,
    chain,
    map_key,
    prove_person,
    value_hash,
    verify_export,
    verify_map_proof,
)
from custos.ledger._map_buckets import bucket_of
from custos.store.ledger_tables import LedgerMapBucket, LedgerMapState
from custos.store.tables import LedgerEntry
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import add_events

AT = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def disclose(ctx: Context, people: list[str], release: str = "rel_1") -> list[int]:
    """One accounting entry per person, naming them, as a release writes them."""
    events = [
        Event(
            tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
            at=AT,
            actor="system",
            data={"release_id": release, "subject": p},
        )
        for p in people
    ]
    with ctx.transaction() as session:
        return append(session, events, subject_refs=people)


def expected_root(ctx: Context, below: int) -> bytes:
    """The map's root by its definition, from every accounting entry below `below`."""
    with ctx.reading() as session:
        rows = session.execute(
            select(LedgerEntry.subject_ref, LedgerEntry.idx, LedgerEntry.leaf_hash)
            .where(LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value)
            .where(LedgerEntry.idx < below)
            .order_by(LedgerEntry.idx)
        ).all()
    per: dict[str, list[tuple[int, bytes]]] = {}
    for ref, idx, leaf in rows:
        per.setdefault(str(ref), []).append((idx, bytes(leaf)))
    return AccountingMap({map_key(p): value_hash(*chain(e)) for p, e in per.items()}).root()


def last_entry(ctx: Context) -> tuple[int, dict[str, Any]]:
    with ctx.reading() as session:
        row = session.scalars(select(LedgerEntry).order_by(LedgerEntry.idx.desc()).limit(1)).one()
        return row.idx, json.loads(row.body)


PEOPLE = [f"p_{i:032x}" for i in range(40)]


def test_each_checkpoint_ends_with_the_map_root_of_every_accounting_entry_before_it(
    lctx: Context,
) -> None:
    add_events(lctx, 5)
    disclose(lctx, PEOPLE[:30])
    add_events(lctx, 3, subject=PEOPLE[0])  # other entries about a person are not counted
    first = ledger.publish_checkpoint(lctx)
    index, body = last_entry(lctx)
    assert body["tag"] == "ledger:map:commit"
    assert first.size == index + 1
    assert body["data"] == {
        "root": base64.b64encode(expected_root(lctx, index)).decode(),
        "size": index,
        "people": 30,
        # No release lifecycle event yet: the release map is empty.
        "releases_root": base64.b64encode(bytes(32)).decode(),
        "releases": 0,
    }
    # Nothing new: the same checkpoint, no second commit.
    assert ledger.publish_checkpoint(lctx).size == first.size
    # Other entries only: a checkpoint without a commit.
    add_events(lctx, 2)
    assert last_entry(lctx)[1]["tag"] != "ledger:map:commit"
    second = ledger.publish_checkpoint(lctx)
    assert second.size == first.size + 2
    # New disclosures (one more for some, first ones for others): a new root.
    disclose(lctx, [*PEOPLE[25:40], PEOPLE[0]], release="rel_2")
    third = ledger.publish_checkpoint(lctx)
    index3, body3 = last_entry(lctx)
    assert third.size == index3 + 1
    assert body3["data"]["root"] == base64.b64encode(expected_root(lctx, index3)).decode()
    assert body3["data"]["root"] != body["data"]["root"]
    assert body3["data"]["people"] == 40


def test_a_person_proof_shows_their_count_and_a_stranger_is_proven_absent(
    lctx: Context,
) -> None:
    disclose(lctx, PEOPLE[:20])
    ledger.publish_checkpoint(lctx)
    with lctx.reading() as session:
        old = prove_person(session, PEOPLE[3])
    disclose(lctx, [PEOPLE[3], PEOPLE[3]], release="rel_2")
    ledger.publish_checkpoint(lctx)
    with lctx.reading() as session:
        mine = prove_person(session, PEOPLE[3])
        stranger = prove_person(session, "p_" + "f" * 32)
    root = mine.state.root
    assert mine.count == 3
    assert mine.value is not None
    verify_map_proof(root, map_key(PEOPLE[3]), mine.value, mine.proof)
    verify_map_proof(root, map_key("p_" + "f" * 32), None, stranger.proof)
    assert stranger.count == 0
    # A proof binds its person, and an older one does not verify against the new root.
    with pytest.raises(ProofError):
        verify_map_proof(root, map_key(PEOPLE[4]), mine.value, mine.proof)
    with pytest.raises(ProofError):
        verify_map_proof(root, map_key(PEOPLE[3]), old.value, old.proof)


def _export(lctx: Context, tmp_path: Path, name: str = "export") -> Path:
    out = tmp_path / name
    ledger.export(lctx, out)
    return out


def test_the_auditor_recomputes_every_committed_root(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    disclose(lctx, PEOPLE[:10])
    ledger.publish_checkpoint(lctx)
    add_events(lctx, 4)
    disclose(lctx, PEOPLE[5:25], release="rel_2")
    ledger.publish_checkpoint(lctx)
    report = verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert report.map_commits == 2


def test_a_map_that_lost_a_person_is_caught_by_the_auditor(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    disclose(lctx, PEOPLE[:10])
    ledger.publish_checkpoint(lctx)
    # The stored map loses a bucket (people's earlier entries), then folds new ones on top:
    # the next committed root leaves those people's earlier disclosures out.
    with lctx.transaction() as session:
        session.execute(
            delete(LedgerMapBucket).where(LedgerMapBucket.bucket == bucket_of(map_key(PEOPLE[3])))
        )
    disclose(lctx, [PEOPLE[3]], release="rel_2")
    bad = ledger.publish_checkpoint(lctx)
    with pytest.raises(VerificationError, match="root does not match") as caught:
        verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert caught.value.first_bad_entry == bad.size - 1


def test_a_checkpoint_over_uncommitted_accounting_entries_is_caught(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    disclose(lctx, PEOPLE[:10])
    ledger.publish_checkpoint(lctx)
    # The map is made to believe it already holds the next disclosures: no commit is made.
    first_new = disclose(lctx, PEOPLE[10:12], release="rel_2")[0]
    with lctx.transaction() as session:
        session.execute(update(LedgerMapState).values(size=first_new + 2))
    ledger.publish_checkpoint(lctx)
    with pytest.raises(VerificationError, match="no accounting map commit") as caught:
        verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert caught.value.first_bad_entry == first_new


def test_publishers_and_releases_racing_still_commit_every_entry_once(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    """Several threads disclose and publish at once (as several server processes might):
    every commit still holds exactly the accounting entries before it."""

    def work(n: int) -> None:
        for round_ in range(4):
            disclose(lctx, PEOPLE[n * 7 : n * 7 + 9], release=f"rel_{n}_{round_}")
            ledger.publish_checkpoint(lctx)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(work, range(3)))
    ledger.publish_checkpoint(lctx)
    report = verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert report.map_commits >= 2
    index, body = last_entry(lctx)
    assert body["data"]["root"] == base64.b64encode(expected_root(lctx, index)).decode()
