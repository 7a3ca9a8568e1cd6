"""Property tests: C2SP tile paths round-trip, and the tiles of a size cover exactly its tree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from custos.ledger import TileRef, parse_tile_path, tile_covers, tiles_for_size

#: Up to 2^22 leaves: 16,384 level-0 tiles, enough for three tile levels.
sizes = st.integers(min_value=0, max_value=1 << 22)


@given(
    st.one_of(st.none(), st.integers(min_value=0, max_value=63)),
    st.integers(min_value=0, max_value=1 << 50),
    st.integers(min_value=1, max_value=256),
)
def test_every_tile_path_parses_back(level: int | None, index: int, width: int) -> None:
    ref = TileRef(level=level, index=index, width=width)
    assert parse_tile_path(ref.path()) == ref


@settings(deadline=None, max_examples=60)
@given(sizes)
def test_the_tiles_of_a_size_hold_every_node_and_no_more(size: int) -> None:
    tiles = tiles_for_size(size)
    for level in range(8):
        row = [t for t in tiles if t.level == level]
        assert sum(t.width for t in row) == size >> (8 * level)
        assert [t.index for t in row] == list(range(len(row)))
        assert all(not t.partial for t in row[:-1])
    assert all(tile_covers(t, size) for t in tiles)
    assert not any(tile_covers(t, size - 1) for t in tiles if t.partial and t.level == 0)
