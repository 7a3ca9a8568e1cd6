"""The completeness section of a person's accounting: "these are all N disclosures".

Inclusion proofs show that each disclosure listed is in the log; they cannot show that none
was left out. This section can (docs/accounting-map.md): it carries

- the log's `ledger:map:commit` entry that is the *last* entry of the document's signed
  checkpoint (so it is the newest map that checkpoint holds, not an older one), with its
  inclusion proof; the entry holds the map root and `size` S, and the map covers every
  accounting entry with index < S;
- the index and leaf hash of every accounting entry naming the person below S — shown ones
  and those withheld under delayed notice alike (a withheld entry's content stays hidden;
  only its hash is given, and the person is already told how many are withheld);
- the person's map proof: their value, recomputed from that list, is in the map (or, with
  no entry, their key is absent).

`completeness_json` writes the section and `verify_completeness` checks it, so the two cannot
drift; `custos.rights._document` calls both.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from custos.domain.errors import IntegrityError
from custos.ledger import (
    Checkpoint,
    MapProof,
    ProofError,
    chain,
    hash_leaf,
    map_key,
    value_hash,
    verify_inclusion,
    verify_map_proof,
)

COMMIT_TAG = "ledger:map:commit"


@dataclass(frozen=True, kw_only=True)
class Completeness:
    """What proves a person's list complete, against the checkpoint of size `tree_size`."""

    tree_size: int
    commit_index: int
    #: The commit entry's exact bytes and its inclusion proof in the checkpoint.
    commit_entry: bytes
    commit_inclusion: tuple[bytes, ...]
    #: (log index, leaf hash) of every accounting entry naming the person below the commit.
    entries: tuple[tuple[int, bytes], ...]
    proof: MapProof

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def recorded_until(self) -> dt.datetime:
        """When the map was committed: the list is complete up to this time."""
        stamp = str(json.loads(self.commit_entry)["at"]).replace("Z", "+00:00")
        return dt.datetime.fromisoformat(stamp)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def completeness_json(c: Completeness) -> dict[str, Any]:
    """The document's `completeness` section."""
    return {
        "count": c.count,
        "covers_entries_below": c.commit_index,
        "recorded_until": c.recorded_until.isoformat(),
        "commit": {
            "index": c.commit_index,
            "tree_size": c.tree_size,
            "entry": _b64(c.commit_entry),
            "inclusion": [_b64(h) for h in c.commit_inclusion],
        },
        "entries": [{"index": i, "leaf_hash": _b64(h)} for i, h in c.entries],
        "map_proof": c.proof.to_b64(),
        "statement": statement(c.count, c.recorded_until),
    }


def statement(count: int, until: dt.datetime) -> dict[str, str]:
    """What the proof says, in plain words, in English and Spanish."""
    when = until.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if count == 0:
        return {
            "en": f"No disclosure of your data is recorded up to {when}.",
            "es": f"No hay ninguna divulgación de sus datos registrada hasta el {when}.",
        }
    if count == 1:
        return {
            "en": f"This is the only disclosure of your data recorded up to {when}.",
            "es": f"Esta es la única divulgación de sus datos registrada hasta el {when}.",
        }
    return {
        "en": f"These are all {count} disclosures of your data recorded up to {when}.",
        "es": f"Estas son todas las divulgaciones de sus datos registradas hasta el {when}: "
        f"{count} en total.",
    }


@dataclass(frozen=True, kw_only=True)
class VerifiedCompleteness:
    #: Accounting entries naming the person below `covers`: all of them, proven.
    count: int
    covers: int
    #: The release map root the same commit holds (`_release_status` checks against it).
    releases_root: bytes


def _decode(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (ValueError, binascii.Error):
        raise IntegrityError(f"completeness: the {what} is not base64") from None


def _commit(section: Mapping[str, Any], checkpoint: Checkpoint) -> tuple[int, bytes, bytes]:
    """Steps 1–3: the commit entry is the checkpoint's last entry; its covered size and the
    roots of the accounting map and the release map."""
    commit = section.get("commit") or {}
    try:
        index = int(commit["index"])
        entry = _decode(commit["entry"], "map commit entry")
        path = [_decode(h, "inclusion proof") for h in commit["inclusion"]]
    except (KeyError, TypeError, ValueError):
        raise IntegrityError("completeness: the map commit is missing or malformed") from None
    # 1. The newest map in this checkpoint, not an older one.
    if index != checkpoint.size - 1:
        raise IntegrityError(
            "completeness: the map proof is not for this checkpoint's map "
            f"(commit at entry {index}, checkpoint of size {checkpoint.size})"
        )
    # 2. The commit entry is in the signed tree.
    try:
        verify_inclusion(
            leaf_hash=hash_leaf(entry),
            index=index,
            tree_size=checkpoint.size,
            proof=path,
            root=checkpoint.root,
        )
        body = json.loads(entry)
        data = body["data"]
        root = _decode(data["root"], "map root")
        releases_root = _decode(data["releases_root"], "release map root")
    except (ProofError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"completeness: the map commit does not verify: {exc}") from None
    # 3. It is a map commit covering the entries before it.
    if body.get("tag") != COMMIT_TAG or data.get("size") != index:
        raise IntegrityError("completeness: the committed entry is not the map commit")
    return index, root, releases_root


def _entries(section: Mapping[str, Any], covers: int) -> list[tuple[int, bytes]]:
    try:
        listed = [
            (int(e["index"]), _decode(e["leaf_hash"], "leaf hash")) for e in section["entries"]
        ]
    except (KeyError, TypeError, ValueError):
        raise IntegrityError("completeness: the list of entries is malformed") from None
    if any(not 0 <= i < covers for i, _ in listed):
        raise IntegrityError("completeness: an entry lies outside what the map covers")
    return listed


def verify_completeness(
    section: Mapping[str, Any],
    *,
    person: str,
    checkpoint: Checkpoint,
    shown: Mapping[int, bytes],
    withheld: int,
) -> VerifiedCompleteness:
    """Check the section against the document's checkpoint and the entries it shows.

    `shown` maps the index of every disclosure the document proves to its leaf hash;
    `withheld` is how many the document says are withheld. Steps:
    1.–3. the commit entry is the checkpoint's last entry, included, and a map commit;
    4. count and chain head recomputed from the listed entries give the person's value,
       which the map proof shows under the committed root (absence when there are none);
    5. every disclosure shown below the covered size is listed with the same leaf hash, and
       each listed one not shown is accounted for by a withheld one (a withheld entry may
       also be newer than the map).
    """
    covers, root, releases_root = _commit(section, checkpoint)
    listed = _entries(section, covers)
    try:
        count, head = chain(listed)
        proof = MapProof.from_b64(str(section.get("map_proof", "")))
        verify_map_proof(root, map_key(person), value_hash(count, head) if count else None, proof)
    except (ProofError, ValueError) as exc:
        raise IntegrityError(f"completeness: the map proof does not verify: {exc}") from None
    if section.get("count") != count:
        raise IntegrityError(f"completeness: says {section.get('count')!r}, proves {count}")
    hashes = dict(listed)
    for index, leaf in shown.items():
        if index < covers and hashes.get(index) != leaf:
            raise IntegrityError(f"completeness: disclosure {index} is not in the proven list")
    hidden = sum(1 for i in hashes if i not in shown)
    if hidden > withheld:
        raise IntegrityError(
            f"completeness: {hidden} proven disclosures are not shown, but only {withheld} "
            "are said to be withheld: a disclosure is missing from the list"
        )
    return VerifiedCompleteness(count=count, covers=covers, releases_root=releases_root)
