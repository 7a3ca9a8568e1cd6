"""Auditors' reads: every read is itself logged (`oversight:audit:read`), in its own
transaction, before the read: a read that fails is still a read attempt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.workflow import journal
from custos.workflow import ledger as ledger_workflow
from custos.workflow.context import Context


def log_audit_read(ctx: Context, *, actor: StaffPrincipal, what: str, **detail: Any) -> None:
    """Check the auditor role and log the read, committed before the read itself runs."""
    require(actor, Action.AUDIT_READ)
    request_id = detail.pop("request_id", None)
    with ctx.transaction() as s:
        journal.record(
            ctx,
            s,
            EventTag.OVERSIGHT_AUDIT_READ,
            actor.actor,
            request_id=request_id,
            **{"read": what, **detail},
        )


@dataclass(frozen=True, kw_only=True)
class ManifestView:
    release: str
    request: str
    manifest: dict[str, Any]
    signature: str


def _release_rows(session: Session, release_id: str | None = None) -> list[Any]:
    try:
        from custos.store.release_tables import Release
    except ImportError:  # pragma: no cover - a build without releases
        return []
    q = select(Release).order_by(Release.created_at)
    if release_id is not None:
        q = q.where(Release.id == release_id)
    return list(session.scalars(q))


def release_manifest(ctx: Context, *, actor: StaffPrincipal, release_id: str) -> ManifestView:
    """A release's signed manifest (auditors; logged)."""
    log_audit_read(ctx, actor=actor, what="release_manifest", release=release_id)
    with ctx.reading() as s:
        rows = _release_rows(s, release_id)
        if not rows:
            raise NotFoundError("no such release")
        row = rows[0]
        return ManifestView(
            release=row.id,
            request=row.request_id,
            manifest=json.loads(row.manifest),
            signature=row.signature,
        )


_BUNDLE_README = """# Custos audit bundle

Exported {at} by {actor} from the ledger `{origin}`.

- `entries.jsonl`, `leaves.bin`, `checkpoints.jsonl`, `keys.txt` — the ledger export: every
  entry, its leaf hash, every signed checkpoint with consistency proofs, and the log's
  verifier keys.
- `manifests/<release>.json` and `.sig` — each release's signed manifest ({manifests} releases).

Check it offline, trusting the log's published verifier key (compare it with `keys.txt`):

    custos ledger verify {directory} --key '<verifier key>'

and any transparency report against it:

    custos report verify REPORT_DIRECTORY --log {directory} --key '<verifier key>'
"""


@dataclass(frozen=True, kw_only=True)
class BundleSummary:
    directory: Path
    entries: int
    checkpoints: int
    manifests: int


def export_bundle(ctx: Context, *, actor: StaffPrincipal, directory: Path) -> BundleSummary:
    """A self-contained audit bundle: the ledger export, keys, release manifests, a README.

    The read is logged first and a checkpoint published after it, so the bundle itself
    records that it was taken.
    """
    log_audit_read(ctx, actor=actor, what="audit_bundle")
    ledger_workflow.publish_checkpoint(ctx)
    if directory.exists() and any(directory.iterdir()):
        raise InvalidInputError(f"{directory} is not empty")
    summary = ledger_workflow.export(ctx, directory)
    manifests = directory / "manifests"
    manifests.mkdir()
    count = 0
    with ctx.reading() as s:
        for row in _release_rows(s):
            (manifests / f"{row.id}.json").write_text(row.manifest, encoding="utf-8")
            (manifests / f"{row.id}.sig").write_text(row.signature, encoding="utf-8")
            count += 1
    (directory / "README.md").write_text(
        _BUNDLE_README.format(
            at=ctx.now().isoformat(timespec="seconds"),
            actor=actor.username,
            origin=ctx.settings.ledger_origin,
            manifests=count,
            directory=directory.name,
        ),
        encoding="utf-8",
    )
    return BundleSummary(
        directory=directory,
        entries=summary.entries,
        checkpoints=summary.checkpoints,
        manifests=count,
    )
