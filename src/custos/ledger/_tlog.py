"""C2SP tlog-tiles: tile paths, which tiles a tree size needs, and entry bundles.

Pure encoding, no I/O (c2sp.org/tlog-tiles):

- a tile is served at `tile/<L>/<N>[.p/<W>]`; `<L>` is 0…63 in decimal, `<N>` is written in
  zero-padded 3-digit path elements, all but the last starting with `x` (1234067 is
  `x001/x234/067`), and `.p/<W>` (W from 1 to 255) marks a partial tile;
- the `n`-th tile at level `l` holds, for i in 0…255, MTH(D[(n·256+i)·256^l : (n·256+i+1)·256^l])
  — the tree's perfect nodes at level 8·l, which is row 0 of a stored tile
  (`custos.ledger._tiles`);
- a tree of size s has at level l `s >> 8(l+1)` full tiles and, when `(s >> 8l) mod 256` is not
  zero, one partial tile of that width;
- an entry bundle (`tile/entries/<N>[.p/<W>]`) is the entries of a level-0 tile, each prefixed
  with its length as a big-endian uint16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from custos.ledger._errors import CheckpointError

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
#: Largest entry an entry bundle can carry (uint16 length prefix).
MAX_BUNDLE_ENTRY = 0xFFFF
#: The path element naming entry bundles instead of a level.
ENTRIES = "entries"

_NUMBER = re.compile(r"(0|[1-9][0-9]*)\Z")
_ELEMENT = re.compile(r"[0-9]{3}\Z")
_X_ELEMENT = re.compile(r"x[0-9]{3}\Z")


class TilePathError(CheckpointError):
    """A tile path that is not in the canonical C2SP form."""

    kind = "invalid-tile-path"


@dataclass(frozen=True, kw_only=True)
class TileRef:
    """One tile or entry bundle: `level` is None for an entry bundle; `width` is 256 when full."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    def path(self) -> str:
        """The resource path under the log's prefix, e.g. `tile/0/x001/234.p/7`."""
        head = ENTRIES if self.level is None else str(self.level)
        tail = f".p/{self.width}" if self.partial else ""
        return f"tile/{head}/{encode_index(self.index)}{tail}"


def encode_index(n: int) -> str:
    """`<N>` in 3-digit path elements, all but the last prefixed with `x` (tlog-tiles)."""
    if n < 0:
        raise ValueError("a tile index is non-negative")
    out = f"{n % 1000:03d}"
    while n >= 1000:  # noqa: PLR2004 - three decimal digits a path element
        n //= 1000
        out = f"x{n % 1000:03d}/{out}"
    return out


def parse_tile_path(path: str) -> TileRef:
    """Parse `tile/<L>/<N>[.p/<W>]` (or `tile/entries/…`); only the canonical form is accepted.

    Raises `TilePathError`, so a server answers 404 and a second spelling of one resource
    (a leading `x000/`, a `.p/256`) never exists.
    """
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[0] != "tile":  # noqa: PLR2004 - tile, level, index
        raise TilePathError("not a tile path")
    width = TILE_WIDTH
    if len(parts) >= 4 and parts[-2].endswith(".p"):  # noqa: PLR2004
        if not _NUMBER.match(parts[-1]) or not 0 < int(parts[-1]) < TILE_WIDTH:
            raise TilePathError("a partial tile's width is 1 to 255")
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][: -len(".p")]]
    level: int | None = None
    if parts[1] != ENTRIES:
        if not _NUMBER.match(parts[1]) or int(parts[1]) > MAX_LEVEL:
            raise TilePathError("a tile level is 0 to 63")
        level = int(parts[1])
    digits = parts[2:]
    if not all(_X_ELEMENT.match(p) for p in digits[:-1]) or not _ELEMENT.match(digits[-1]):
        raise TilePathError("a tile index is written in 3-digit elements")
    index = int("".join(p.removeprefix("x") for p in digits))
    ref = TileRef(level=level, index=index, width=width)
    if ref.path() != "/".join(path.strip("/").split("/")):
        raise TilePathError("not the canonical spelling of this tile")
    return ref


def tiles_for_size(size: int) -> list[TileRef]:
    """Every hash tile a tree of `size` leaves is served as, level by level (tlog-tiles)."""
    out: list[TileRef] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        full = size >> (TILE_HEIGHT * (level + 1))
        partial = (size >> (TILE_HEIGHT * level)) % TILE_WIDTH
        out += [TileRef(level=level, index=i) for i in range(full)]
        if partial:
            out.append(TileRef(level=level, index=full, width=partial))
        level += 1
    return out


def tile_covers(ref: TileRef, size: int) -> bool:
    """Whether a tree of `size` leaves holds every hash of the tile (or bundle) `ref`."""
    level = ref.level or 0
    return (ref.index * TILE_WIDTH + ref.width) << (TILE_HEIGHT * level) <= size


def encode_bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: each entry as big-endian uint16 length ‖ bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_BUNDLE_ENTRY:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit an entry bundle")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(blob: bytes) -> list[bytes]:
    """The entries of an entry bundle; raises `ValueError` on a truncated bundle."""
    out: list[bytes] = []
    pos = 0
    while pos < len(blob):
        if pos + 2 > len(blob):
            raise ValueError("truncated entry bundle")
        n = int.from_bytes(blob[pos : pos + 2], "big")
        if pos + 2 + n > len(blob):
            raise ValueError("truncated entry bundle")
        out.append(blob[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out
