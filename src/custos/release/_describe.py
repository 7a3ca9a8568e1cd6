"""What a release manifest says: built from facts the service gathered, no database needed.

The service reads the request, its decisions and the ledger's latest checkpoint, seals the
payload, then calls `build_manifest`; `_manifest` encodes, signs and verifies the result. One
place says what a manifest holds (format `custos-release-manifest/v1`), so a release and its
corrections cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from custos.domain.legal import LegalProcess
from custos.release._manifest import MANIFEST_FORMAT, NO_ONWARD_SHARING, USE_LIMITATION
from custos.release._package import payload_name
from custos.release._payload import PayloadFormat, Sealed
from custos.release._plan import ReleasePlan


@dataclass(frozen=True, kw_only=True)
class Disclosure:
    """Who receives what, for which purpose and under which authority (fixed at approval)."""

    request_id: str
    requester_id: str
    requester_name: str
    requester_kind: str
    process: LegalProcess
    purpose: str
    purpose_text: str
    pack_name: str
    pack_version: str
    pack_hash: str
    plan: ReleasePlan


@dataclass(frozen=True, kw_only=True)
class LedgerAnchor:
    """Where the release sits in the ledger: the log's origin, the latest published
    checkpoint (`{"size", "root"}`, base64 root) and the range of its accounting entries."""

    origin: str
    checkpoint: Mapping[str, Any] | None
    accounting_first: int | None
    accounting_count: int


@dataclass(frozen=True, kw_only=True)
class Contents:
    """What the sealed payload holds."""

    format: PayloadFormat
    sealed: Sealed
    people: int
    rows: int


def _parties(d: Disclosure) -> dict[str, Any]:
    p = d.process
    return {
        "request": d.request_id,
        "requester": {"id": d.requester_id, "name": d.requester_name, "kind": d.requester_kind},
        "legal_process": {
            "kind": p.kind.value,
            "issuer": p.issuer,
            "docket_number": p.docket_number,
            "document_sha256": p.document_sha256 or None,
        },
        "purpose": {"code": d.purpose, "text": d.purpose_text},
        "pack": {"name": d.pack_name, "version": d.pack_version, "hash": d.pack_hash},
    }


def _payload(c: Contents) -> dict[str, Any]:
    return {
        "format": c.format.value,
        "name": payload_name(c.format.value).removesuffix(".age"),
        "media_type": c.format.media_type,
        "sha256": c.sealed.sha256,
        "size": c.sealed.size,
        "ciphertext_sha256": c.sealed.ciphertext_sha256,
        "ciphertext_size": c.sealed.ciphertext_size,
    }


def build_manifest(
    *,
    kind: str,
    release_id: str,
    disclosure: Disclosure,
    contents: Contents,
    retention_until: dt.date,
    anchor: LedgerAnchor,
    created_at: dt.datetime,
    signers: list[str],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a release (`kind: release`) or a correction (`kind: correction`).

    `extra` adds keys (a correction names the release it corrects and why). The use
    limitation always binds; no-onward-sharing binds when the plan says so (safeguard S6).
    """
    plan = disclosure.plan
    return {
        "format": MANIFEST_FORMAT,
        "kind": kind,
        "release": release_id,
        **_parties(disclosure),
        "fields": list(plan.fields),
        "generalized": plan.generalizations,
        "people": contents.people,
        "rows": contents.rows,
        "payload": _payload(contents),
        "retention_until": retention_until.isoformat(),
        "terms": {
            "use_limitation": USE_LIMITATION,
            "no_onward_sharing": NO_ONWARD_SHARING if plan.no_onward_sharing else None,
        },
        "ledger": {
            "origin": anchor.origin,
            "checkpoint": None if anchor.checkpoint is None else dict(anchor.checkpoint),
            "accounting_first": anchor.accounting_first,
            "accounting_count": anchor.accounting_count,
        },
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "signers": signers,
        **(extra or {}),
    }
