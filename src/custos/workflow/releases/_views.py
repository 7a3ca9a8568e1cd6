"""What every release service shares: the release's status, its view, where its files live,
and the requester's own-release lookup."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from custos.domain.errors import NotFoundError
from custos.domain.principals import RequesterPrincipal, Scope
from custos.release import PayloadFormat
from custos.store.release_tables import Release
from custos.workflow.context import Context


class ReleaseStatus(StrEnum):
    """A release's own status (the request's status follows it through the lifecycle)."""

    RELEASED = "released"
    DELIVERED = "delivered"
    RETENTION_EXPIRED = "retention_expired"
    OVERDUE = "overdue"
    DESTROYED = "destroyed"
    RECALLED = "recalled"


@dataclass(frozen=True, kw_only=True)
class ReleaseView:
    id: str
    request_id: str
    requester_id: str
    status: ReleaseStatus
    format: PayloadFormat
    fields: tuple[str, ...]
    people: int
    rows: int
    payload_sha256: str
    retention_until: dt.date
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    destroyed_at: dt.datetime | None
    downloads: int
    purged: bool
    manifest: dict[str, Any]
    signature: str


def view(row: Release) -> ReleaseView:
    return ReleaseView(
        id=row.id,
        request_id=row.request_id,
        requester_id=row.requester_id,
        status=ReleaseStatus(row.status),
        format=PayloadFormat(row.format),
        fields=tuple(row.fields),
        people=row.people,
        rows=row.rows,
        payload_sha256=row.payload_sha256,
        retention_until=row.retention_until,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        destroyed_at=row.destroyed_at,
        downloads=row.downloads,
        purged=row.ciphertext_path is None,
        manifest=json.loads(row.manifest),
        signature=row.signature,
    )


def release_dir(ctx: Context, release_id: str) -> Path:
    """The directory of a release's ciphertext (and of its corrections')."""
    return ctx.settings.data_dir / "releases" / release_id


def relative(ctx: Context, path: Path) -> str:
    """A path as stored in a release row: relative to the data directory."""
    return path.relative_to(ctx.settings.data_dir).as_posix()


def own(session: Session, actor: RequesterPrincipal, release_id: str) -> Release:
    """A requester's own release; someone else's reads exactly like a missing one."""
    actor.require(Scope.RELEASES_READ)
    row = session.get(Release, release_id)
    if row is None or row.requester_id != actor.id:
        raise NotFoundError("no such release")
    return row
