"""A person's accounting document (format `custos-accounting/3`): its writer and its verifier.

One format, one module: `accounting_json` writes the document a person downloads, and
`verify_accounting` checks it offline (`custos person verify`, `custos ledger verify FILE`), so
the two cannot drift. The format is written down in `docs/rights.md` for other implementations.

Every disclosure the document shows carries the entry's exact ledger bytes and its index; each
field shown is checked against those bytes, and the entry must name the document's person
(`data.subject`). An entry the signed checkpoint covers (index < tree size) must carry an
RFC 9162 inclusion proof against it; only entries appended after the checkpoint may go without
one. So, holding the log's verifier key and without asking the agency:

1. open the checkpoint note with the trusted verifier keys (C2SP signed-note);
2. parse the checkpoint body: origin, tree size, root (C2SP tlog-checkpoint);
3. for each disclosure: leaf hash = SHA-256(0x00 ‖ entry bytes) (RFC 9162 §2.1.1);
4. if its index is below the tree size, check its inclusion proof against the root
   (RFC 9162 §2.1.3.2); a missing proof there fails;
5. check the entry is an accounting entry about the document's person, and that every field
   shown (recipient, purpose, legal process, date, retention, basis, request, release,
   fields, rules, citations, compelled) is what the entry says; no index appears twice.

Sections are checked by separate functions (`_check_checkpoint`, `_check_disclosures`), so a
further section is added by its own writer and checker without touching these:
6. check the completeness section (`custos.rights._completeness`): the list holds every
   accounting entry naming the person up to the checkpoint's map commit;
7. check the releases section (`custos.rights._release_status`): for each release a
   disclosure names, every lifecycle event below the same commit, proven, and none left out
   (release map); then each disclosure's status must be what those events make it
   (`status_from_events`, with the retention date against the generation date).

Format 3 added step 7 (and the commit's `releases_root` it rests on): a format 2 verifier
would accept a format 3 file without checking any status, so the format name changed.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from custos.domain.errors import IntegrityError
from custos.ledger import (
    Checkpoint,
    NoteError,
    ProofError,
    hash_leaf,
    open_note,
    verify_inclusion,
)
from custos.rights._accounting import (
    Accounting,
    AccountingEntry,
    DisclosureStatus,
    DisclosureView,
    PendingView,
    Withheld,
    parse_entry,
    status_from_events,
    withheld_message,
)
from custos.rights._challenges import ChallengeView
from custos.rights._completeness import VerifiedCompleteness, completeness_json, verify_completeness
from custos.rights._release_status import releases_json, verify_releases

FORMAT = "custos-accounting/3"

#: What a disclosure shows, each worked out from the proven entry the same way by the writer
#: and the verifier.
_SHOWN: dict[str, Callable[[AccountingEntry], Any]] = {
    "date": lambda e: e.disclosed_at.date().isoformat(),
    "request_id": lambda e: e.request_id,
    "release_id": lambda e: e.release_id,
    "recipient": lambda e: e.requester_name,
    "recipient_kind": lambda e: e.requester_kind,
    "fields": lambda e: list(e.fields),
    "generalized": lambda e: list(e.generalized),
    "legal_process": lambda e: e.legal_process,
    "purpose": lambda e: e.purpose,
    "rule_ids": lambda e: list(e.rule_ids),
    "citations": lambda e: list(e.citations),
    "compelled": lambda e: e.compelled,
    "basis": lambda e: "required by law" if e.compelled else "discretionary",
    "retention_until": lambda e: e.retention_until.isoformat() if e.retention_until else None,
}
_KEYS = {*_SHOWN, "index", "entry", "status", "proof"}
_STATUSES = {s.value for s in DisclosureStatus}


def accounting_json(acc: Accounting) -> dict[str, Any]:
    """The downloadable document (format `custos-accounting/3`), checkable offline with
    `custos ledger verify FILE` and the log's verifier key."""
    c = acc.completeness
    return {
        "format": FORMAT,
        "person": acc.subject_ref,
        "generated_at": acc.generated_at.isoformat(),
        "opted_out": acc.opted_out,
        "disclosures": [_disclosure_json(d) for d in acc.disclosures],
        "withheld": [_withheld_json(w) for w in acc.withheld],
        "pending": [_pending_json(p) for p in acc.pending],
        "challenges": [_challenge_json(c) for c in acc.challenges],
        "proof": {"checkpoint": acc.checkpoint},
        "completeness": completeness_json(c) if c else None,
        "releases": releases_json(
            acc.releases, tree_size=c.tree_size, recorded_until=c.recorded_until
        )
        if c
        else {},
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _disclosure_json(d: DisclosureView) -> dict[str, Any]:
    e = d.entry
    shown = {name: value(e) for name, value in _SHOWN.items()}
    return {
        **shown,
        "status": d.status,
        "index": e.index,
        "entry": _b64(d.proof.entry if d.proof else e.body),
        "proof": {
            "tree_size": d.proof.tree_size,
            "inclusion": [_b64(h) for h in d.proof.inclusion],
        }
        if d.proof
        else None,
    }


def _withheld_json(w: Withheld) -> dict[str, Any]:
    return {"count": w.count, "until": w.until.isoformat(), "message": withheld_message(w)}


def _pending_json(p: PendingView) -> dict[str, Any]:
    return {
        "request_id": p.request_id,
        "requester": p.requester_name,
        "fields": list(p.fields),
        "purpose": p.purpose,
        "legal_process": p.legal_process,
        "received_on": p.received_on.isoformat(),
        "challenge_by": p.challenge_by.isoformat(),
        "status": p.status,
    }


def _challenge_json(c: ChallengeView) -> dict[str, Any]:
    return {
        "id": c.id,
        "request_id": c.request_id,
        "target": c.target,
        "status": c.status,
        "filed_at": c.filed_at.isoformat(),
        "resolution": c.resolution,
        "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
    }


@dataclass(frozen=True, kw_only=True)
class VerifiedAccounting:
    checkpoint: Checkpoint
    #: The person the document is about (their keyed pseudonym), as every entry says.
    person: str
    #: Ledger indices of the entries proven against the checkpoint.
    indices: tuple[int, ...]
    #: Indices of entries shown that are newer than the checkpoint (checked, not yet proven).
    unproven: tuple[int, ...] = ()
    #: The list proven complete (`_completeness`).
    complete: VerifiedCompleteness
    #: Each disclosure's status (by index), as the proven lifecycle events of its release make it.
    statuses: dict[int, str]
    #: Lifecycle events proven, all of them, for each release shown (`_release_status`).
    release_events: dict[str, int]


def verify_accounting(document: dict[str, Any], *, verifier_keys: list[str]) -> VerifiedAccounting:
    """Check every disclosure of an accounting document; raises IntegrityError naming the
    first bad entry and field, returns what was proven otherwise."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise IntegrityError(f"not a {FORMAT} document")
    person = document.get("person")
    if not isinstance(person, str) or not person:
        raise IntegrityError("the document does not name its person")
    checkpoint = _check_checkpoint(document, verifier_keys)
    shown: dict[int, bytes] = {}
    checked: dict[int, tuple[AccountingEntry, Any]] = {}
    proven, unproven = _check_disclosures(document, person, checkpoint, shown, checked)
    # 6. Nothing left out: the completeness section (`_completeness`).
    complete = _complete(document, checkpoint, shown)
    # 7. Each status from its release's proven events, none left out (`_release_status`).
    tags = verify_releases(
        document.get("releases"),
        needed={entry.release_id for entry, _ in checked.values()},
        covers=complete.covers,
        root=complete.releases_root,
        checkpoint=checkpoint,
    )
    return VerifiedAccounting(
        checkpoint=checkpoint,
        person=person,
        indices=proven,
        unproven=unproven,
        complete=complete,
        statuses=_check_statuses(checked, tags, _generated_on(document)),
        release_events={release: len(events) for release, events in tags.items()},
    )


def _check_statuses(
    checked: dict[int, tuple[AccountingEntry, Any]],
    tags: dict[str, tuple[str, ...]],
    today: dt.date,
) -> dict[int, str]:
    """7. The status shown must be what the release's proven events (and, for "overdue", the
    retention date against the day the document was generated) make it."""
    out: dict[int, str] = {}
    for index, (entry, shown) in sorted(checked.items()):
        if shown not in _STATUSES:
            raise IntegrityError(f"entry {index}: the status shown is not a known status")
        proven = status_from_events(tags[entry.release_id], entry.retention_until, today).value
        if shown != proven:
            raise IntegrityError(
                f"entry {index}: the status shown ({shown}) is not what the proven events of "
                f"release {entry.release_id} make it ({proven})"
            )
        out[index] = proven
    return out


def _check_checkpoint(document: dict[str, Any], verifier_keys: list[str]) -> Checkpoint:
    """1.–2. The checkpoint must be signed by a trusted key."""
    proof_doc = document.get("proof")
    note = proof_doc.get("checkpoint") if isinstance(proof_doc, dict) else None
    if not isinstance(note, str):
        raise IntegrityError("the document has no signed checkpoint")
    try:
        return Checkpoint.parse(open_note(note=note, verifier_keys=verifier_keys))
    except (NoteError, IntegrityError) as exc:
        raise IntegrityError(f"the checkpoint does not verify: {exc}") from None


def _check_disclosures(
    document: dict[str, Any],
    person: str,
    checkpoint: Checkpoint,
    shown: dict[int, bytes],
    checked: dict[int, tuple[AccountingEntry, Any]],
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """3.–5. for every disclosure shown; returns (proven indices, newer indices), fills
    `shown` with each checked entry's leaf hash (for the completeness check) and `checked`
    with the entry and the status shown (for the status check)."""
    items = document.get("disclosures")
    if not isinstance(items, list):
        raise IntegrityError("the document has no list of disclosures")
    seen: set[int] = set()
    proven: list[int] = []
    unproven: list[int] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("index"), int):
            raise IntegrityError(f"disclosure {position + 1} does not give its ledger index")
        index = item["index"]
        if index in seen:
            raise IntegrityError(f"entry {index} is shown twice")
        seen.add(index)
        entry = _check_disclosure(index, item, person, checkpoint)
        shown[index] = hash_leaf(base64.b64decode(str(item["entry"]), validate=True))
        checked[index] = (entry, item.get("status"))
        (proven if index < checkpoint.size else unproven).append(entry.index)
    return tuple(proven), tuple(unproven)


def _check_disclosure(
    index: int, item: dict[str, Any], person: str, checkpoint: Checkpoint
) -> AccountingEntry:
    """One disclosure: its entry is in the signed log (if covered), about the person, and
    shown as it is."""
    extra = set(item) - _KEYS
    if extra:
        raise IntegrityError(f"entry {index} shows fields no entry proves: {sorted(extra)}")
    try:
        body = base64.b64decode(str(item["entry"]), validate=True)
        parsed = parse_entry(index, body)
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"entry {index} does not verify: {exc}") from None
    _check_inclusion(index, body, item.get("proof"), checkpoint)
    if parsed.subject != person:
        raise IntegrityError(f"entry {index} is about another person, not {person}")
    for name, value in _SHOWN.items():
        if name not in item or item[name] != value(parsed):
            raise IntegrityError(f"entry {index}: the {name} shown is not what the log holds")
    return parsed


def _generated_on(document: dict[str, Any]) -> dt.date:
    """The UTC date the document was generated on (what "overdue" was judged against)."""
    try:
        at = dt.datetime.fromisoformat(str(document["generated_at"]))
    except (KeyError, ValueError):
        raise IntegrityError("the document does not say when it was generated") from None
    return at.astimezone(dt.UTC).date() if at.tzinfo else at.date()


def _check_inclusion(index: int, body: bytes, proof: Any, checkpoint: Checkpoint) -> None:
    """4. An entry the checkpoint covers must be proven in it; a newer one cannot be yet."""
    if index >= checkpoint.size:
        if proof is not None:
            raise IntegrityError(f"entry {index} is newer than the checkpoint yet claims a proof")
        return
    if not isinstance(proof, dict):
        raise IntegrityError(f"entry {index} is covered by the checkpoint but has no proof")
    try:
        if int(proof["tree_size"]) != checkpoint.size:
            raise IntegrityError("the proof is not against the included checkpoint")
        path = [base64.b64decode(str(h), validate=True) for h in proof["inclusion"]]
        verify_inclusion(
            leaf_hash=hash_leaf(body),
            index=index,
            tree_size=checkpoint.size,
            proof=path,
            root=checkpoint.root,
        )
    except (ProofError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"entry {index} does not verify: {exc}") from None


def _complete(
    document: dict[str, Any], checkpoint: Checkpoint, shown: dict[int, bytes]
) -> VerifiedCompleteness:
    section = document.get("completeness")
    if not isinstance(section, dict):
        raise IntegrityError("the document does not prove that its list is complete")
    try:
        withheld = sum(int(w["count"]) for w in document.get("withheld", []))
    except (KeyError, TypeError, ValueError):
        raise IntegrityError("the withheld entries are malformed") from None
    return verify_completeness(
        section,
        person=str(document.get("person", "")),
        checkpoint=checkpoint,
        shown=shown,
        withheld=withheld,
    )
