"""Building a completeness section by hand: an accounting map, its commit entry, a proof;
and a releases section: a release map over lifecycle events, each release's proof."""

from __future__ import annotations

import base64
import json

from custos.ledger import AccountingMap, MemoryTree, chain, hash_leaf, map_key, value_hash
from custos.rights._completeness import Completeness
from custos.rights._release_status import ReleaseEvent, ReleaseLifecycle


def map_of(people: dict[str, list[tuple[int, bytes]]]) -> AccountingMap:
    """The map over each person's accounting entries, given as (index, entry bytes)."""
    return AccountingMap(
        {
            map_key(p): value_hash(*chain((i, hash_leaf(body)) for i, body in entries))
            for p, entries in people.items()
        }
    )


def commit_body(
    tree: AccountingMap,
    index: int,
    at: str = "2026-03-02T10:00:00.000000Z",
    releases: AccountingMap | None = None,
) -> bytes:
    """A `ledger:map:commit` entry at `index` committing `tree`'s root and the release map's
    (an empty one unless given)."""
    releases = releases or AccountingMap()
    data = {
        "root": base64.b64encode(tree.root()).decode(),
        "size": index,
        "people": len(tree),
        "releases_root": base64.b64encode(releases.root()).decode(),
        "releases": len(releases),
    }
    doc = {"actor": "system", "at": at, "data": data, "request": None, "tag": "ledger:map:commit"}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def completeness_of(
    log: MemoryTree, bodies: list[bytes], person: str, tree: AccountingMap
) -> Completeness:
    """The section for `person`, whose entries are the accounting entries naming them; the
    commit is the log's last entry."""
    commit = log.size - 1
    mine = [
        (i, hash_leaf(b))
        for i, b in enumerate(bodies[:commit])
        if json.loads(b).get("tag") == "release:accounting:entry"
    ]
    return Completeness(
        tree_size=log.size,
        commit_index=commit,
        commit_entry=bodies[commit],
        commit_inclusion=tuple(log.inclusion_proof(commit)),
        entries=tuple(mine),
        proof=tree.prove(map_key(person)),
    )


def lifecycle_of(
    log: MemoryTree, bodies: list[bytes], release: str, tree: AccountingMap
) -> ReleaseLifecycle:
    """The releases section's entry for `release`: its lifecycle events below the commit (the
    log's last entry), proven in the log, and its proof in the release map `tree`."""
    commit = log.size - 1
    mine = [
        ReleaseEvent(index=i, entry=b, inclusion=tuple(log.inclusion_proof(i)))
        for i, b in enumerate(bodies[:commit])
        if json.loads(b).get("tag", "").startswith("release:")
        and json.loads(b).get("tag") != "release:accounting:entry"
        and json.loads(b).get("data", {}).get("release") == release
    ]
    return ReleaseLifecycle(
        release_id=release, events=tuple(mine), proof=tree.prove(map_key(release))
    )
