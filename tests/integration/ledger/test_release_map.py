"""The release map as the log keeps it: each release's lifecycle events (receipt, recall,
destruction…) committed with the accounting map, and recomputed by the auditor.

Checked against the definition: the `releases_root` committed in the log is `AccountingMap`'s
over the chains of each release's lifecycle events before the commit; a release's proof
verifies against it; a commit follows new lifecycle events even when no one was disclosed.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from custos.domain.events import RELEASE_LIFECYCLE_TAGS, Event, EventTag
from custos.ledger import (
    AccountingMap,
    MapKind,
    ProofError,
    VerificationError,
    append,
    chain,
    map_key,
    prove_releases,
    release_of,
    value_hash,
    verify_export,
    verify_map_proof,
)
from custos.ledger._map_buckets import bucket_of
from custos.store.ledger_tables import LedgerMapBucket, LedgerMapState
from custos.store.tables import LedgerEntry
from custos.workflow import journal, ledger
from custos.workflow.context import Context
from tests.integration.ledger.test_accounting_map import PEOPLE, _export, disclose, last_entry

AT = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def step(ctx: Context, tag: EventTag, release: str) -> int:
    """One lifecycle event of a release, naming it as the release service does."""
    event = Event(tag=tag, at=AT, actor="system", request_id=None, data={"release": release})
    with ctx.transaction() as session:
        [index] = append(session, [event])
    return index


def expected_releases_root(ctx: Context, below: int) -> tuple[bytes, int]:
    """The release map's root by its definition, from every lifecycle event below `below`."""
    tags = [t.value for t in RELEASE_LIFECYCLE_TAGS]
    with ctx.reading() as session:
        rows = session.execute(
            select(LedgerEntry.idx, LedgerEntry.body, LedgerEntry.leaf_hash)
            .where(LedgerEntry.tag.in_(tags), LedgerEntry.idx < below)
            .order_by(LedgerEntry.idx)
        ).all()
    per: dict[str, list[tuple[int, bytes]]] = {}
    for idx, body, leaf in rows:
        per.setdefault(release_of(idx, bytes(body)), []).append((idx, bytes(leaf)))
    tree = AccountingMap({map_key(r): value_hash(*chain(e)) for r, e in per.items()})
    return tree.root(), len(tree)


def test_lifecycle_events_alone_are_committed_in_the_release_map(lctx: Context) -> None:
    disclose(lctx, PEOPLE[:5], release="rel_1")
    disclose(lctx, PEOPLE[5:8], release="rel_2")
    ledger.publish_checkpoint(lctx)
    _, first = last_entry(lctx)
    # Only release events since: the maps are still committed, the people's root unchanged.
    step(lctx, EventTag.RELEASE_RECEIPT_ACKNOWLEDGE, "rel_1")
    step(lctx, EventTag.RELEASE_DOWNLOAD_RECORD, "rel_2")  # not a lifecycle event
    step(lctx, EventTag.RELEASE_RECALL_ISSUE, "rel_1")
    checkpoint = ledger.publish_checkpoint(lctx)
    index, body = last_entry(lctx)
    assert body["tag"] == "ledger:map:commit"
    assert checkpoint.size == index + 1
    data = body["data"]
    assert (data["root"], data["people"]) == (first["data"]["root"], 8)
    root, releases = expected_releases_root(lctx, index)
    assert releases == 1  # rel_1 only: a download is no lifecycle event
    assert (data["releases_root"], data["releases"]) == (base64.b64encode(root).decode(), 1)
    assert data["releases_root"] != first["data"]["releases_root"]
    # rel_1's proof shows its two events; rel_2 (no lifecycle event) is proven absent.
    with lctx.reading() as session:
        proofs = prove_releases(session, ["rel_1", "rel_2"])
    one, two = proofs["rel_1"], proofs["rel_2"]
    assert (one.count, two.count, two.value) == (2, 0, None)
    verify_map_proof(root, map_key("rel_1"), one.value, one.proof)
    verify_map_proof(root, map_key("rel_2"), None, two.proof)
    with pytest.raises(ProofError):
        verify_map_proof(root, map_key("rel_2"), one.value, one.proof)
    # Nothing new: no second commit.
    assert ledger.publish_checkpoint(lctx).size == checkpoint.size


def test_the_auditor_recomputes_the_release_map(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    disclose(lctx, PEOPLE[:4], release="rel_1")
    step(lctx, EventTag.RELEASE_RECEIPT_ACKNOWLEDGE, "rel_1")
    ledger.publish_checkpoint(lctx)
    step(lctx, EventTag.RELEASE_DESTRUCTION_ATTEST, "rel_1")
    ledger.publish_checkpoint(lctx)
    report = verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert report.map_commits == 2


def test_a_release_map_that_lost_an_event_is_caught_by_the_auditor(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    """The attack on a status: the stored release map forgets rel_1's recall, then folds the
    next event on top: the committed root no longer holds the recall, and the auditor says
    which commit is wrong."""
    disclose(lctx, PEOPLE[:4], release="rel_1")
    step(lctx, EventTag.RELEASE_RECEIPT_ACKNOWLEDGE, "rel_1")
    step(lctx, EventTag.RELEASE_RECALL_ISSUE, "rel_1")
    ledger.publish_checkpoint(lctx)
    with lctx.transaction() as session:
        session.execute(
            delete(LedgerMapBucket).where(
                LedgerMapBucket.map == int(MapKind.RELEASES),
                LedgerMapBucket.bucket == bucket_of(map_key("rel_1")),
            )
        )
    step(lctx, EventTag.RELEASE_RETENTION_OVERDUE, "rel_1")
    bad = ledger.publish_checkpoint(lctx)
    with pytest.raises(VerificationError, match="release map root") as caught:
        verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert caught.value.first_bad_entry == bad.size - 1


def test_a_checkpoint_over_an_uncommitted_lifecycle_event_is_caught(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    disclose(lctx, PEOPLE[:4], release="rel_1")
    ledger.publish_checkpoint(lctx)
    # The release map is made to believe it already holds the next event: no commit is made.
    recall = step(lctx, EventTag.RELEASE_RECALL_ISSUE, "rel_1")
    with lctx.transaction() as session:
        session.execute(update(LedgerMapState).values(size=recall + 1))
    ledger.publish_checkpoint(lctx)
    with pytest.raises(VerificationError, match="release lifecycle event, but no") as caught:
        verify_export(_export(lctx, tmp_path), verifier_keys=[keys[1]])
    assert caught.value.first_bad_entry == recall


def test_a_lifecycle_event_that_names_no_release_is_refused_when_made(lctx: Context) -> None:
    """It could be committed under no release: refused in the transaction that makes it,
    rather than stopping every later map commit."""
    with pytest.raises(ValueError, match=r"release:recall:issue event names its release"):
        journal.event(lctx, EventTag.RELEASE_RECALL_ISSUE, "system", request_id="req_1")
    made = journal.event(lctx, EventTag.RELEASE_RECALL_ISSUE, "system", release="rel_1")
    assert made.data == {"release": "rel_1"}
