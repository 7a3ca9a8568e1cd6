"""The auditor's check of the log's maps: every committed root, recomputed from the log.

A person's completeness proof (and the proof of a release's status) is only as good as the
root it is checked against. The log commits the roots in a `ledger:map:commit` entry; here an
auditor holding the whole log (an export) recomputes them from the entries and compares. So
the agency cannot commit a map that leaves out — or adds — one accounting entry of anyone's,
or one lifecycle event of any release, without this check failing:

1. every accounting entry (`release:accounting:entry`) names its person in `data.subject`,
   and every release lifecycle event (`RELEASE_LIFECYCLE_TAGS`) its release in `data.release`;
2. a commit entry at index c says `size` c and holds the root (and number of people) of the
   accounting map over every accounting entry with index < c, and `releases_root` (and
   `releases`, the number of releases) of the release map over every lifecycle event < c;
3. every such entry a signed checkpoint covers is covered by a commit in that checkpoint, so
   no checkpoint is signed over entries a map does not hold.

The maps are kept in buckets (`_map_buckets`), so each commit rehashes only what changed since
the last one. Only entries of these tags are parsed; the rest are skipped by their last bytes
(canonical JSON puts `"tag"` last).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from custos.domain.events import RELEASE_KEY, RELEASE_LIFECYCLE_TAGS
from custos.ledger._errors import VerificationError
from custos.ledger._map import map_key
from custos.ledger._map_buckets import BUCKETS, Bucket, BucketMap, digests, fold

ACCOUNTING_TAG = "release:accounting:entry"
COMMIT_TAG = "ledger:map:commit"
_ACCOUNTING_END = b'"tag":"' + ACCOUNTING_TAG.encode() + b'"}'
_COMMIT_END = b'"tag":"' + COMMIT_TAG.encode() + b'"}'
_LIFECYCLE_ENDS = tuple(b'"tag":"' + t.value.encode() + b'"}' for t in RELEASE_LIFECYCLE_TAGS)
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


class _Folded:
    """One map as the auditor keeps it: buckets, the top tree, entries not yet folded."""

    def __init__(self) -> None:
        self.buckets = {b: Bucket() for b in range(BUCKETS)}
        self.top = BucketMap()
        self.pending: list[tuple[bytes, int, bytes]] = []

    def root(self) -> tuple[bytes, int]:
        """The map's (root, number of keys) over every entry added so far."""
        if self.pending:
            touched = fold(self.buckets, self.pending)
            self.top.set_buckets(digests(self.buckets, touched))
            self.pending = []
        return self.top.root(), self.top.people()


def _named(index: int, line: bytes, key: str, what: str) -> str:
    named = _data(index, line).get(key)
    if not isinstance(named, str) or not named:
        raise VerificationError(
            f"entry {index}: the {what} names no {'person' if key == 'subject' else key} "
            f"(data.{key})",
            first_bad_entry=index,
        )
    return named


def _b64_root(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (ValueError, binascii.Error):
        return b""


class MapAuditor:
    """Feed it the log's entries in order (`add`); it checks each map commit as it comes."""

    def __init__(self, checkpoint_sizes: Iterable[int]) -> None:
        self._people = _Folded()
        self._releases = _Folded()
        self._sizes = sorted(set(checkpoint_sizes))
        self._next_size = 0  # position in _sizes of the next checkpoint to reach
        self._uncovered: int | None = None  # first counted entry after the last commit
        self._uncovered_what = ""
        self.commits = 0
        self.index = 0

    def add(self, line: bytes) -> None:
        """The next entry's exact bytes."""
        index = self.index
        self._reach(index)
        if line.endswith(_ACCOUNTING_END):
            subject = _named(index, line, "subject", "accounting entry")
            self._count(self._people, map_key(subject), index, line, "accounting entry")
        elif line.endswith(_LIFECYCLE_ENDS):
            release = _named(index, line, RELEASE_KEY, "release lifecycle event")
            self._count(self._releases, map_key(release), index, line, "release lifecycle event")
        elif line.endswith(_COMMIT_END):
            self._commit(index, _data(index, line))
        self.index = index + 1

    def _count(self, folded: _Folded, key: bytes, index: int, line: bytes, what: str) -> None:
        folded.pending.append((key, index, _sha256(b"\x00" + line).digest()))
        if self._uncovered is None:
            self._uncovered, self._uncovered_what = index, what

    def _reach(self, index: int) -> None:
        """Every checkpoint of size ≤ index must cover only committed entries."""
        while self._next_size < len(self._sizes) and self._sizes[self._next_size] <= index:
            size = self._sizes[self._next_size]
            if self._uncovered is not None:
                raise VerificationError(
                    f"entry {self._uncovered}: the checkpoint of size {size} covers this "
                    f"{self._uncovered_what}, but no accounting map commit before it does",
                    first_bad_entry=self._uncovered,
                )
            self._next_size += 1

    def _commit(self, index: int, data: dict[str, Any]) -> None:
        if data.get("size") != index:
            raise VerificationError(
                f"entry {index}: the accounting map commit says it covers the entries below "
                f"{data.get('size')!r}, not below its own index",
                first_bad_entry=index,
            )
        root, people = self._people.root()
        if _b64_root(data.get("root")) != root or data.get("people") != people:
            raise VerificationError(
                f"entry {index}: the committed accounting map root does not match the "
                f"accounting entries before it ({people} people): a person's "
                "list of disclosures would be shown incomplete or altered",
                first_bad_entry=index,
            )
        root, releases = self._releases.root()
        if _b64_root(data.get("releases_root")) != root or data.get("releases") != releases:
            raise VerificationError(
                f"entry {index}: the committed release map root (releases_root) does not "
                f"match the release lifecycle events before it ({releases} releases): a "
                "disclosure's status (delivered, destroyed, recalled…) would be shown from "
                "an incomplete or altered list of events",
                first_bad_entry=index,
            )
        self._uncovered = None
        self.commits += 1

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
