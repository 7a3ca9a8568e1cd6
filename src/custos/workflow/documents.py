"""Legal documents and agreements: content-addressed files under the data directory.

The file is written (atomically, by rename) before the database row; a crash between the two
leaves at most an orphan file that the same upload will reuse, never a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from custos.domain.errors import InvalidInputError, NotFoundError
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.store import tables as t
from custos.store.core import Prepared
from custos.workflow.context import Context

_ALLOWED_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "application/octet-stream",
}


#: The uploader of a document staff stored (a paper request's, an agreement's).
STAFF = "staff"
#: The uploader of a challenge's attachments.
PERSON = "person"


def _path(ctx: Context, sha: str) -> Path:
    return ctx.settings.data_dir / "documents" / sha[:2] / sha


def store(
    ctx: Context,
    session: Session,
    *,
    content: bytes,
    filename: str,
    content_type: str,
    uploader: str = STAFF,
) -> str:
    """Store a document inside the caller's transaction, as `uploader`'s (a requester's id,
    `STAFF` or `PERSON`); returns its SHA-256 (hex)."""
    if not content:
        raise InvalidInputError("the document is empty")
    if len(content) > ctx.settings.max_document_bytes:
        raise InvalidInputError(
            f"the document is larger than {ctx.settings.max_document_bytes} bytes"
        )
    if content_type not in _ALLOWED_TYPES:
        raise InvalidInputError(f"documents of type {content_type!r} are not accepted")
    sha = hashlib.sha256(content).hexdigest()
    path = _path(ctx, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            Path(tmp).replace(path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    if session.get(t.Document, sha) is None:
        session.add(
            t.Document(
                sha256=sha,
                filename=Path(filename).name[:200] or "document",
                content_type=content_type,
                size=len(content),
                uploaded_at=ctx.now(),
            )
        )
        session.flush()
    if session.get(t.DocumentUpload, (sha, uploader)) is None:
        session.add(t.DocumentUpload(sha256=sha, uploader=uploader, uploaded_at=ctx.now()))
        session.flush()
    return sha


def exists(session: Session, sha: str) -> bool:
    return session.get(t.Document, sha) is not None


#: Built once: every request a requester submits checks its document (issue 18).
_UPLOADED_BY = Prepared(
    select(t.DocumentUpload.sha256).where(
        t.DocumentUpload.sha256 == bindparam("sha"), t.DocumentUpload.uploader == bindparam("by")
    )
)


def uploaded_by(session: Session, sha: str, uploader: str) -> bool:
    """Whether `uploader` uploaded this document (an unknown hash: no)."""
    return _UPLOADED_BY.first(session, {"sha": sha, "by": uploader}) is not None


def read(ctx: Context, session: Session, sha: str) -> tuple[t.Document, bytes]:
    row = session.get(t.Document, sha)
    if row is None:
        raise NotFoundError("no such document")
    return row, _path(ctx, sha).read_bytes()


def upload(
    ctx: Context,
    *,
    actor: RequesterPrincipal | StaffPrincipal,
    content: bytes,
    filename: str,
    content_type: str,
) -> str:
    """Upload a legal document before citing it in a request; returns its SHA-256."""
    if isinstance(actor, RequesterPrincipal):
        actor.require(Scope.REQUESTS_WRITE)
        uploader = actor.id
    else:
        require(actor, Action.DOCUMENT_UPLOAD)
        uploader = STAFF
    with ctx.transaction() as s:
        return store(
            ctx,
            s,
            content=content,
            filename=filename,
            content_type=content_type,
            uploader=uploader,
        )


def describe_for_staff(ctx: Context, *, actor: StaffPrincipal, sha256: str) -> tuple[str, str, int]:
    """(filename, content type, size) of a stored legal document, for the request page."""
    require(actor, Action.DOCUMENT_READ)
    with ctx.reading() as s:
        row = s.get(t.Document, sha256)
        if row is None:
            raise NotFoundError("no such document")
        return row.filename, row.content_type, row.size


def read_for_staff(ctx: Context, *, actor: StaffPrincipal, sha256: str) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of a stored legal document, for staff to read it."""
    require(actor, Action.DOCUMENT_READ)
    with ctx.reading() as s:
        row, content = read(ctx, s, sha256)
        return row.filename, row.content_type, content
