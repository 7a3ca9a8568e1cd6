"""The `releases` section of a person's accounting: what proves each disclosure's status.

A disclosure's status (released, delivered, destroyed, recalled, overdue) is not in its
accounting entry: it follows from what happened to the release afterwards, each step a
lifecycle event in the log (`RELEASE_LIFECYCLE_TAGS`: the receipt, the retention sweep's
overdue, the destruction attestation, a recall). So the document carries, for each release a
disclosure shown names, every one of those events below the map commit S — exact bytes, index,
RFC 9162 inclusion proof against the document's checkpoint — and the release's proof in the
release map committed at S (docs/accounting-map.md), which says "these are all N events of
this release below S": a recall cannot be left out to make a copy look delivered.

The status is worked out from those events alone (`status_from_events`), the same by the
writer and the verifier. Events after S (newer than the document's checkpoint) are not
carried and not counted: the status shown is always one the signed log proves, at worst as
old as the checkpoint (published every minute or so).

`releases_json` writes the section and `verify_releases` checks it, so the two cannot drift;
`custos.rights._document` calls both.
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
from custos.domain.events import RELEASE_KEY, RELEASE_LIFECYCLE_TAGS
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

_LIFECYCLE = {t.value for t in RELEASE_LIFECYCLE_TAGS}


@dataclass(frozen=True, kw_only=True)
class ReleaseEvent:
    """One lifecycle event of a release, with its inclusion proof in the checkpoint."""

    index: int
    entry: bytes
    inclusion: tuple[bytes, ...]

    @property
    def tag(self) -> str:
        return str(json.loads(self.entry)["tag"])


@dataclass(frozen=True, kw_only=True)
class ReleaseLifecycle:
    """Every lifecycle event of one release below the map commit, and its release map proof
    (membership with their count and chain head; absence when there is none)."""

    release_id: str
    events: tuple[ReleaseEvent, ...]
    proof: MapProof

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(e.tag for e in self.events)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def releases_json(
    releases: tuple[ReleaseLifecycle, ...], *, tree_size: int, recorded_until: dt.datetime
) -> dict[str, Any]:
    """The document's `releases` section: release id → its proven events and map proof."""
    return {
        r.release_id: {
            "count": len(r.events),
            "events": [
                {
                    "index": e.index,
                    "entry": _b64(e.entry),
                    "proof": {"tree_size": tree_size, "inclusion": [_b64(h) for h in e.inclusion]},
                }
                for e in r.events
            ],
            "map_proof": r.proof.to_b64(),
            "statement": statement(len(r.events), recorded_until),
        }
        for r in releases
    }


def statement(count: int, until: dt.datetime) -> dict[str, str]:
    """What the proof says, in plain words, in English and Spanish."""
    when = until.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if count == 0:
        return {
            "en": f"Nothing happened to this copy after it was sent, as recorded up to {when}.",
            "es": f"No consta nada sobre esta copia después de su envío hasta el {when}.",
        }
    return {
        "en": f"The status shown follows from all {count} recorded events of this copy "
        f"(receipt, destruction, recall…) up to {when}.",
        "es": f"El estado indicado resulta de todos los hechos registrados sobre esta copia "
        f"(recepción, destrucción, retirada…) hasta el {when}: {count} en total.",
    }


def _decode(text: Any, where: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (ValueError, binascii.Error):
        raise IntegrityError(f"{where} is not base64") from None


def _event(
    release: str, item: Any, covers: int, checkpoint: Checkpoint, after: int
) -> tuple[int, bytes, str]:
    """One carried event: below the commit, after the previous one, in the signed tree, a
    lifecycle event naming this release. Returns (index, leaf hash, tag)."""
    if not isinstance(item, dict) or not isinstance(item.get("index"), int):
        raise IntegrityError(f"release {release}: an event does not give its ledger index")
    index = item["index"]
    where = f"release {release}: event entry {index}"
    if not after < index < covers:
        raise IntegrityError(f"{where} is out of order or not below the map commit ({covers})")
    body = _decode(item.get("entry"), where)
    proof = item.get("proof")
    try:
        if not isinstance(proof, dict) or int(proof["tree_size"]) != checkpoint.size:
            raise IntegrityError(f"{where} has no inclusion proof against the checkpoint")
        verify_inclusion(
            leaf_hash=hash_leaf(body),
            index=index,
            tree_size=checkpoint.size,
            proof=[_decode(h, where) for h in proof["inclusion"]],
            root=checkpoint.root,
        )
        doc = json.loads(body)
        tag, named = doc["tag"], doc["data"][RELEASE_KEY]
    except (ProofError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"{where} does not verify: {exc}") from None
    if tag not in _LIFECYCLE:
        raise IntegrityError(f"{where} is not a release lifecycle event ({tag!r})")
    if named != release:
        raise IntegrityError(f"{where} is an event of another release ({named!r})")
    return index, hash_leaf(body), str(tag)


def _release(
    release: str, section: Any, covers: int, root: bytes, checkpoint: Checkpoint
) -> tuple[str, ...]:
    """One release: its events, and the release map proof that they are all of them."""
    if not isinstance(section, dict) or not isinstance(section.get("events"), list):
        raise IntegrityError(f"release {release}: no list of lifecycle events")
    listed: list[tuple[int, bytes]] = []
    tags: list[str] = []
    for item in section["events"]:
        last = listed[-1][0] if listed else -1
        index, leaf, tag = _event(release, item, covers, checkpoint, last)
        listed.append((index, leaf))
        tags.append(tag)
    try:
        count, head = chain(listed)
        proof = MapProof.from_b64(str(section.get("map_proof", "")))
        verify_map_proof(root, map_key(release), value_hash(count, head) if count else None, proof)
    except (ProofError, ValueError) as exc:
        raise IntegrityError(
            f"release {release}: the release map proof does not verify: {exc} "
            "(an event is missing, altered, or the proof is for another release or map)"
        ) from None
    if section.get("count") != count:
        raise IntegrityError(f"release {release}: says {section.get('count')!r}, proves {count}")
    return tuple(tags)


def verify_releases(
    section: Any, *, needed: set[str], covers: int, root: bytes, checkpoint: Checkpoint
) -> dict[str, tuple[str, ...]]:
    """Check the section for every release in `needed` against the release map root the
    document's map commit holds (`root`, covering entries below `covers`); returns each
    release's lifecycle event tags in log order, from which its status follows.

    Steps, for each release:
    1. every event listed is below the commit, in increasing index order, included in the
       checkpoint (RFC 9162), a lifecycle event whose `data.release` is this release;
    2. count and chain head over the events give the release's value, which the map proof
       shows under the committed root (absence when there are none): none left out;
    3. no release is missing and none is shown that no disclosure names.
    """
    if not isinstance(section, Mapping):
        raise IntegrityError("the document has no releases section proving its disclosures' status")
    extra = set(section) - needed
    if extra:
        raise IntegrityError(f"release {min(extra)} is shown but no disclosure names it")
    out: dict[str, tuple[str, ...]] = {}
    for release in sorted(needed):
        if release not in section:
            raise IntegrityError(f"release {release}: its lifecycle events are not proven")
        out[release] = _release(release, section[release], covers, root, checkpoint)
    return out
