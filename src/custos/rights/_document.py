"""A person's accounting document (format `custos-accounting/1`): its writer and its verifier.

One format, one module: `accounting_json` writes the document a person downloads, and
`verify_accounting` checks it offline (`custos person verify`), so the two cannot drift.

An accounting downloaded as JSON carries, for each entry, the entry's exact ledger bytes,
its index and an RFC 9162 inclusion proof against a signed checkpoint (C2SP signed note) that
the document includes. Anyone holding the log's verifier key can check, without asking the
agency, that every entry shown is in the log the agency signed:

1. open the checkpoint note with the trusted verifier keys (C2SP signed-note);
2. parse the checkpoint body: origin, tree size, root (C2SP tlog-checkpoint);
3. for each entry: leaf hash = SHA-256(0x00 ‖ entry bytes) (RFC 9162 §2.1.1);
4. check the inclusion proof of that leaf at its index against the root (RFC 9162 §2.1.3.2);
5. check the entry is an accounting entry and the summary shown matches its bytes;
6. check the completeness section (`custos.rights._completeness`): the list holds every
   accounting entry naming the person up to the checkpoint's accounting map commit.
"""

from __future__ import annotations

import base64
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
    DisclosureView,
    PendingView,
    Withheld,
    parse_entry,
    withheld_message,
)
from custos.rights._challenges import ChallengeView
from custos.rights._completeness import VerifiedCompleteness, completeness_json, verify_completeness

FORMAT = "custos-accounting/1"


def accounting_json(acc: Accounting) -> dict[str, Any]:
    """The downloadable document (format `custos-accounting/1`), checkable offline with
    `custos person verify` and the log's verifier key."""
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
        "completeness": completeness_json(acc.completeness) if acc.completeness else None,
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _disclosure_json(d: DisclosureView) -> dict[str, Any]:
    e = d.entry
    return {
        "date": e.disclosed_at.date().isoformat(),
        "request_id": e.request_id,
        "release_id": e.release_id,
        "recipient": e.requester_name,
        "recipient_kind": e.requester_kind,
        "fields": list(e.fields),
        "generalized": list(e.generalized),
        "legal_process": e.legal_process,
        "purpose": e.purpose,
        "rule_ids": list(e.rule_ids),
        "citations": list(e.citations),
        "compelled": e.compelled,
        "basis": "required by law" if e.compelled else "discretionary",
        "retention_until": e.retention_until.isoformat() if e.retention_until else None,
        "status": d.status,
        "proof": {
            "index": d.proof.index,
            "tree_size": d.proof.tree_size,
            "entry": _b64(d.proof.entry),
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
    #: Ledger indices of the entries proven.
    indices: tuple[int, ...]
    #: The list proven complete (`_completeness`).
    complete: VerifiedCompleteness


def verify_accounting(document: dict[str, Any], *, verifier_keys: list[str]) -> VerifiedAccounting:
    """Check every proof in an accounting document; raises IntegrityError naming the first bad
    entry, returns what was proven otherwise."""
    if document.get("format") != FORMAT:
        raise IntegrityError(f"not a {FORMAT} document")
    proof_doc = document.get("proof") or {}
    try:
        # 1.–2. The checkpoint must be signed by a trusted key.
        text = open_note(note=str(proof_doc.get("checkpoint", "")), verifier_keys=verifier_keys)
        checkpoint = Checkpoint.parse(text)
    except (NoteError, IntegrityError) as exc:
        raise IntegrityError(f"the checkpoint does not verify: {exc}") from None
    indices: list[int] = []
    shown: dict[int, bytes] = {}
    for item in document.get("disclosures", []):
        proof = item.get("proof")
        if proof is None:
            continue  # newer than the checkpoint: shown, not yet provable
        index = int(proof["index"])
        try:
            entry = base64.b64decode(proof["entry"], validate=True)
            path = [base64.b64decode(h, validate=True) for h in proof["inclusion"]]
            # 3.–4. The entry's leaf is in the signed tree.
            if int(proof["tree_size"]) != checkpoint.size:
                raise IntegrityError("the proof is not against the included checkpoint")
            verify_inclusion(
                leaf_hash=hash_leaf(entry),
                index=index,
                tree_size=checkpoint.size,
                proof=path,
                root=checkpoint.root,
            )
            # 5. What is shown is what the log holds.
            parsed = parse_entry(index, entry)
        except (ProofError, ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"entry {index} does not verify: {exc}") from None
        if parsed.release_id != item.get("release_id") or list(parsed.fields) != item.get("fields"):
            raise IntegrityError(f"entry {index} does not match the summary shown")
        indices.append(index)
        shown[index] = hash_leaf(entry)
    # 6. Nothing left out: the completeness section (`_completeness`).
    return VerifiedAccounting(
        checkpoint=checkpoint,
        indices=tuple(indices),
        complete=_complete(document, checkpoint, shown),
    )


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
