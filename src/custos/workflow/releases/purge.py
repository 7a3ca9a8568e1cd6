"""Purging internal ciphertext: after delivery plus a grace period, after destruction, and of
builds that never committed. Manifests and ledger entries are kept for good."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass

from sqlalchemy import or_, select

from custos.domain.errors import InvalidInputError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.store.release_tables import Release, ReleaseNotice
from custos.workflow import journal
from custos.workflow.context import Context
from custos.workflow.releases._views import ReleaseStatus, release_dir

#: Orphan ciphertext (from a build that never committed) older than this is purged.
ORPHAN_AGE = dt.timedelta(hours=1)


@dataclass(frozen=True, kw_only=True)
class PurgeSummary:
    purged: list[str]
    orphans: list[str]


def _forget_ciphertext(ctx: Context, *, actor: str, grace_days: int) -> tuple[list[str], set[str]]:
    """One transaction: clear the ciphertext paths of every release due (and its notices'),
    each logged. Returns the ids purged and every release id known."""
    cutoff = ctx.now() - dt.timedelta(days=grace_days)
    purged: list[str] = []
    with ctx.transaction() as s:
        rows = s.scalars(
            select(Release).where(
                Release.ciphertext_path.is_not(None),
                or_(
                    Release.delivered_at <= cutoff,
                    Release.status == ReleaseStatus.DESTROYED.value,
                ),
            )
        ).all()
        for row in rows:
            row.ciphertext_path = None
            row.manifest_copy_path = None
            row.purged_at = ctx.now()
            for n in s.scalars(select(ReleaseNotice).where(ReleaseNotice.release_id == row.id)):
                n.ciphertext_path = None
                n.manifest_copy_path = None
            journal.record(
                ctx,
                s,
                EventTag.RELEASE_CIPHERTEXT_PURGE,
                actor,
                request_id=row.request_id,
                release=row.id,
                grace_days=grace_days,
            )
            purged.append(row.id)
        known = set(s.scalars(select(Release.id)))
    return purged, known


def _remove_orphans(ctx: Context, known: set[str]) -> list[str]:
    """Delete release directories no release row points at, once older than `ORPHAN_AGE`."""
    orphans: list[str] = []
    root = ctx.settings.data_dir / "releases"
    if root.is_dir():
        now = dt.datetime.now(dt.UTC).timestamp()
        for d in root.iterdir():
            if d.name not in known and now - d.stat().st_mtime > ORPHAN_AGE.total_seconds():
                shutil.rmtree(d, ignore_errors=True)
                orphans.append(d.name)
    return orphans


def purge(ctx: Context, *, actor: str = "system", grace_days: int | None = None) -> PurgeSummary:
    """Delete internal ciphertext of releases delivered more than `grace_days` ago (default:
    the `purge_grace_days` setting) or destroyed, and of builds that never committed.
    Manifests and ledger entries remain.

    The database change commits first, then the files go: a failure in between leaves a file
    nothing points at, which the next purge removes as an orphan.
    """
    if grace_days is None:
        grace_days = ctx.settings.purge_grace_days
    if grace_days < 0:
        raise InvalidInputError("the grace period cannot be negative")
    purged, known = _forget_ciphertext(ctx, actor=actor, grace_days=grace_days)
    for rid in purged:
        shutil.rmtree(release_dir(ctx, rid), ignore_errors=True)
    return PurgeSummary(purged=purged, orphans=_remove_orphans(ctx, known))


def purge_as(ctx: Context, *, actor: StaffPrincipal, grace_days: int | None = None) -> PurgeSummary:
    """`purge` started by an admin."""
    require(actor, Action.CIPHERTEXT_PURGE)
    return purge(ctx, actor=actor.actor, grace_days=grace_days)
