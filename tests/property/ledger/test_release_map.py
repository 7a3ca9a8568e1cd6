"""Property tests: the release map binds each release to all its lifecycle events.

The release map is the accounting map's construction keyed by release id
(docs/accounting-map.md): a member's proof shows its count and chain head, an absent release
is proven absent, a proof for one release never verifies for another, and leaving out or
altering any one event changes the value the proof must show.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.ledger import ProofError
from custos.ledger._map import AccountingMap, chain, map_key, value_hash, verify_map_proof

release_ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=10).map(
    lambda s: "rel_" + s
)
leaves = st.binary(min_size=32, max_size=32)
#: Each release's events as (log index, leaf hash), in log order.
histories = st.dictionaries(
    release_ids,
    st.lists(
        st.tuples(st.integers(0, 10**6), leaves), min_size=1, max_size=6, unique_by=lambda e: e[0]
    ).map(sorted),
    min_size=1,
    max_size=25,
)


def _tree(items: dict[str, list[tuple[int, bytes]]]) -> AccountingMap:
    return AccountingMap({map_key(r): value_hash(*chain(e)) for r, e in items.items()})


@given(histories, release_ids)
def test_members_and_strangers_are_proven_and_never_confused(
    items: dict[str, list[tuple[int, bytes]]], stranger: str
) -> None:
    tree = _tree(items)
    root = tree.root()
    for release, events in items.items():
        value = value_hash(*chain(events))
        proof = tree.prove(map_key(release))
        verify_map_proof(root, map_key(release), value, proof)
        for other, theirs in items.items():
            if other != release:
                # One release's proof never verifies for another, with either value.
                for claimed in (value, value_hash(*chain(theirs))):
                    with pytest.raises(ProofError):
                        verify_map_proof(root, map_key(other), claimed, proof)
    if stranger not in items:
        verify_map_proof(root, map_key(stranger), None, tree.prove(map_key(stranger)))
        with pytest.raises(ProofError):
            verify_map_proof(
                root, map_key(stranger), value_hash(0, bytes(32)), tree.prove(map_key(stranger))
            )


@given(histories, st.data())
def test_a_dropped_or_altered_event_no_longer_verifies(
    items: dict[str, list[tuple[int, bytes]]], data: st.DataObject
) -> None:
    tree = _tree(items)
    release = data.draw(st.sampled_from(sorted(items)))
    events = items[release]
    proof = tree.prove(map_key(release))
    i = data.draw(st.integers(0, len(events) - 1))
    dropped = events[:i] + events[i + 1 :]
    altered = [*events[:i], (events[i][0], bytes(32 - 1) + b"\x01"), *events[i + 1 :]]
    for shown in (dropped, altered if altered != events else dropped):
        claimed = value_hash(*chain(shown)) if shown else None
        with pytest.raises(ProofError):
            verify_map_proof(tree.root(), map_key(release), claimed, proof)
    # And the map over the changed history has another root.
    assert _tree({**items, release: altered}).root() != tree.root() or altered == events
