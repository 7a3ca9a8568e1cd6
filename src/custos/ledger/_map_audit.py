"""The auditor's check of the accounting map: every committed root, recomputed from the log.

A person's completeness proof is only as good as the root it is checked against. The log
commits that root in a `ledger:map:commit` entry; here an auditor holding the whole log (an
export) recomputes it from the accounting entries and compares. So the agency cannot commit a
map that leaves out — or adds — one accounting entry of anyone's without this check failing:

1. every accounting entry (`release:accounting:entry`) names its person in `data.subject`;
2. a commit entry at index c says `size` c and holds the root (and number of people) of the
   map over every accounting entry with index < c;
3. every accounting entry a signed checkpoint covers is covered by a commit in that
   checkpoint, so no checkpoint is signed over entries the map does not hold.

The map is kept in buckets (`_map_buckets`), so each commit rehashes only what changed since
the last one. Only entries of the two tags are parsed; the rest are skipped by their last
bytes (canonical JSON puts `"tag"` last).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from custos.ledger._errors import VerificationError
from custos.ledger._map import map_key
from custos.ledger._map_buckets import BUCKETS, Bucket, BucketMap, digests, fold

ACCOUNTING_TAG = "release:accounting:entry"
COMMIT_TAG = "ledger:map:commit"
_ACCOUNTING_END = b'"tag":"' + ACCOUNTING_TAG.encode() + b'"}'
_COMMIT_END = b'"tag":"' + COMMIT_TAG.encode() + b'"}'
_sha256 = hashlib.sha256


def read_entries(path: Path, *, block: int = 1 << 24) -> Iterator[list[bytes]]:
    """The entries of `entries.jsonl` in chunks, each without its line break."""
    with path.open("rb") as f:
        rest = b""
        while chunk := f.read(block):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            yield lines
        if rest:
            yield [rest]


def _data(index: int, line: bytes) -> dict[str, Any]:
    try:
        data = json.loads(line)["data"]
    except (ValueError, KeyError, TypeError):
        raise VerificationError(
            f"entry {index} is not a ledger event", first_bad_entry=index
        ) from None
    if not isinstance(data, dict):
        raise VerificationError(f"entry {index} has no data object", first_bad_entry=index)
    return data


class MapAuditor:
    """Feed it the log's entries in order (`add`); it checks each map commit as it comes."""

    def __init__(self, checkpoint_sizes: Iterable[int]) -> None:
        self._buckets = {b: Bucket() for b in range(BUCKETS)}
        self._top = BucketMap()
        self._pending: list[tuple[bytes, int, bytes]] = []
        self._sizes = sorted(set(checkpoint_sizes))
        self._next_size = 0  # position in _sizes of the next checkpoint to reach
        self._uncovered: int | None = None  # first accounting entry after the last commit
        self.commits = 0
        self.index = 0

    def add(self, line: bytes) -> None:
        """The next entry's exact bytes."""
        index = self.index
        self._reach(index)
        if line.endswith(_ACCOUNTING_END):
            subject = _data(index, line).get("subject")
            if not isinstance(subject, str) or not subject:
                raise VerificationError(
                    f"entry {index}: the accounting entry names no person (data.subject)",
                    first_bad_entry=index,
                )
            leaf = _sha256(b"\x00" + line).digest()
            self._pending.append((map_key(subject), index, leaf))
            if self._uncovered is None:
                self._uncovered = index
        elif line.endswith(_COMMIT_END):
            self._commit(index, _data(index, line))
        self.index = index + 1

    def _reach(self, index: int) -> None:
        """Every checkpoint of size ≤ index must cover only committed accounting entries."""
        while self._next_size < len(self._sizes) and self._sizes[self._next_size] <= index:
            size = self._sizes[self._next_size]
            if self._uncovered is not None:
                raise VerificationError(
                    f"entry {self._uncovered}: the checkpoint of size {size} covers this "
                    "accounting entry, but no accounting map commit before it does",
                    first_bad_entry=self._uncovered,
                )
            self._next_size += 1

    def _commit(self, index: int, data: dict[str, Any]) -> None:
        self._buckets_fold()
        try:
            root = base64.b64decode(str(data.get("root")), validate=True)
        except (ValueError, binascii.Error):
            root = b""
        if data.get("size") != index:
            raise VerificationError(
                f"entry {index}: the accounting map commit says it covers the entries below "
                f"{data.get('size')!r}, not below its own index",
                first_bad_entry=index,
            )
        if root != self._top.root() or data.get("people") != self._top.people():
            raise VerificationError(
                f"entry {index}: the committed accounting map root does not match the "
                f"accounting entries before it ({self._top.people()} people): a person's "
                "list of disclosures would be shown incomplete or altered",
                first_bad_entry=index,
            )
        self._uncovered = None
        self.commits += 1

    def _buckets_fold(self) -> None:
        if self._pending:
            touched = fold(self._buckets, self._pending)
            self._top.set_buckets(digests(self._buckets, touched))
            self._pending = []

    def finish(self) -> int:
        """After the last entry: check the checkpoints at the end; the commits checked."""
        self._reach(self.index)
        return self.commits


def audit_map(entries: Iterable[Iterable[bytes]], checkpoint_sizes: Iterable[int]) -> int:
    """Check every accounting map commit in the entries (chunks of lines, in order), and
    that every signed checkpoint's accounting entries are committed; the commits checked.
    Raises `VerificationError` naming the first bad entry."""
    sizes = sorted(set(checkpoint_sizes))
    auditor = MapAuditor(sizes)
    stop = sizes[-1] if sizes else 0
    for chunk in entries:
        for line in chunk:
            if auditor.index >= stop:
                return auditor.finish()
            auditor.add(line)
    return auditor.finish()
