"""`report verify`: a published report checked against a ledger export, offline.

Nothing the report says about itself is trusted where the log can say it: whether it is noisy,
its parameters and budget, and the field catalogue come from the log's own
`oversight:report:publish` entry (and the policy pack whose hash it records); its period,
titles, rows, columns and every published number are compared with a recomputation.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custos import ledger, oversight
from custos.domain.errors import IntegrityError, InvalidInputError
from custos.domain.events import EventTag
from custos.policy import load_pack
from custos.workflow.oversight._log import export_events, frames_from_export

#: Where `report verify` looks for policy packs unless told.
DEFAULT_PACKS = Path("policies")


class ReportMismatchError(IntegrityError):
    """A report does not match the log it names, or its signature does not verify."""

    kind = "report-mismatch"

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def diagnostics(self) -> str:
        shown = self.problems[:40]
        lines = [str(self), *(f"  {p}" for p in shown)]
        if len(self.problems) > len(shown):
            lines.append(f"  … and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class ReportVerification:
    report_id: str
    checkpoint_size: int
    tables: int
    exact_checked: bool
    keys_from_export: bool
    noisy: bool = False


def _trusted(export: Path, keys: Sequence[str]) -> list[str]:
    if keys:
        return list(keys)
    key_file = export / ledger.KEYS
    if not key_file.exists():
        return []
    return [k for k in key_file.read_text(encoding="utf-8").split() if k]


def _signed(
    path: Path, body: bytes, published: Mapping[str, Any], export: Path, trusted: list[str]
) -> oversight.CheckpointRef:
    """Steps 1–3: the export verifies, names the report's checkpoint, and the signature is
    over this file at that checkpoint."""
    try:
        result = ledger.verify_export(export, verifier_keys=trusted)
    except ledger.VerificationError as exc:
        raise ReportMismatchError(f"the ledger export does not verify: {exc}") from None
    cp = published["checkpoint"]
    ref = oversight.CheckpointRef(origin=cp["origin"], size=int(cp["size"]), root=cp["root"])
    signed = {
        (c.checkpoint.origin, c.checkpoint.size, base64.b64encode(c.checkpoint.root).decode())
        for c in result.checkpoints
    }
    if (ref.origin, ref.size, ref.root) not in signed:
        raise ReportMismatchError(
            f"the report's checkpoint (size {ref.size}) is not a signed checkpoint of this export"
        )
    sig = path.with_name("report.sig")
    try:
        text = ledger.open_note(note=sig.read_text(encoding="utf-8"), verifier_keys=trusted)
    except ledger.NoteError as exc:
        raise ReportMismatchError(f"the report's signature does not verify: {exc}") from None
    expected = oversight.signed_text(
        report_id=published["id"], sha256=hashlib.sha256(body).hexdigest(), checkpoint=ref
    )
    if text != expected:
        raise ReportMismatchError("the signature is not over this report file and checkpoint")
    return ref


def _publications(export: Path) -> list[tuple[int, dict[str, Any]]]:
    return [
        (index, entry["data"])
        for index, entry in export_events(export, [EventTag.OVERSIGHT_REPORT_PUBLISH.value])
    ]


def _entry(
    publications: Sequence[tuple[int, dict[str, Any]]], published: Mapping[str, Any], sha: str
) -> tuple[int, dict[str, Any], list[str]]:
    """Step 4: the log's own entry announcing this report, by id and hash (by id alone, the
    last one, with the difference listed, so that every other difference is shown too)."""
    same = [(i, d) for i, d in publications if d.get("report") == published.get("id")]
    for index, data in same:
        if data.get("sha256") == sha:
            return index, data, []
    if not same:
        raise ReportMismatchError("the log announces no report with this id")
    index, data = same[-1]
    return index, data, ["the log announced this report with another SHA-256"]


def _catalogue(entry: Mapping[str, Any], packs: Path) -> dict[str, str]:
    """Step 5: the field catalogue of the pack the log recorded, checked by its hash."""
    recorded = entry.get("pack")
    if not recorded:
        raise ReportMismatchError("the log does not record the pack this report classed fields by")
    directory = packs / str(recorded["name"])
    if not directory.is_dir():
        raise InvalidInputError(
            f"policy pack {recorded['name']} not found under {packs}; pass --packs"
        )
    pack = load_pack(directory)
    if pack.content_hash != recorded["hash"]:
        raise ReportMismatchError(
            f"policy pack {recorded['name']} under {packs} is not the version the log records "
            f"({recorded['version']})"
        )
    return {str(ref): spec.sensitivity.value for ref, spec in pack.catalogue.items()}


def verify_report(
    report: Path,
    export: Path,
    *,
    keys: Sequence[str] = (),
    secret: bytes | None = None,
    packs: Path | None = None,
) -> ReportVerification:
    """Check a report against a ledger export; raises ReportMismatchError on any difference.

    1. The export verifies (signatures, consistency, every entry) with the trusted keys —
       given, or else the export's own `keys.txt` (then the result says so).
    2. The report's checkpoint is one of the export's signed checkpoints.
    3. The signature over the report verifies and names this JSON file's SHA-256.
    4. The log announces this report: its entry says whether it is noisy, with which
       parameters and budget, and which policy pack classed its fields.
    5. The catalogue is that pack's, found under `packs` and checked by its hash.
    6. Everything published is compared with the log: an exact report cell by cell; a noisy
       one by structure, consistency of its totals, parameters and budget (and, with the
       digest key, its exact counts).
    """
    path = report / "report.json" if report.is_dir() else report
    if not path.is_file() or not path.with_name("report.sig").is_file():
        raise InvalidInputError("give the report's directory, or its report.json beside report.sig")
    body = path.read_bytes()
    published = json.loads(body)
    if published.get("format") != oversight.FORMAT:
        raise ReportMismatchError("not a Custos transparency report")
    trusted = _trusted(export, keys)
    ref = _signed(path, body, published, export, trusted)
    publications = _publications(export)
    index, entry, problems = _entry(publications, published, hashlib.sha256(body).hexdigest())
    catalogue = _catalogue(entry, packs or DEFAULT_PACKS)
    earlier = [data for i, data in publications if i < index]
    problems += oversight.differences(
        published,
        frames_from_export(export, ref.size),
        logged=entry,
        earlier=earlier,
        catalogue=catalogue,
        alert_kinds=[k.value for k in oversight.AlertKind],
        secret=secret,
    )
    if problems:
        raise ReportMismatchError(
            f"the report does not match the log at checkpoint {ref.size}", problems
        )
    noisy = entry.get("noise") is not None
    return ReportVerification(
        report_id=published["id"],
        checkpoint_size=ref.size,
        tables=len(published["tables"]),
        exact_checked=not noisy or secret is not None,
        keys_from_export=not keys,
        noisy=noisy,
    )
