"""Reading the log for oversight: entries from the store or from a ledger export, decoded."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import ledger, oversight
from custos.domain.errors import InvalidInputError
from custos.store import tables as t
from custos.workflow.context import Context

_PAGE = 200_000


def pages(
    session: Session, size: int, tags: Sequence[str] | None = None
) -> Iterator[tuple[list[int], list[bytes]]]:
    """The log's first `size` entries (optionally only some tags), a page at a time."""
    start = 0
    while start < size:
        q = select(t.LedgerEntry.idx, t.LedgerEntry.body).where(
            t.LedgerEntry.idx >= start, t.LedgerEntry.idx < min(start + _PAGE, size)
        )
        if tags is not None:
            q = q.where(t.LedgerEntry.tag.in_(list(tags)))
        rows = session.execute(q.order_by(t.LedgerEntry.idx)).all()
        yield [int(i) for i, _ in rows], [bytes(b) for _, b in rows]
        start += _PAGE


def frames_from_store(
    ctx: Context, size: int, tags: Sequence[str] | None = None
) -> oversight.EventFrames:
    """The log's first `size` entries (optionally only some tags), decoded for oversight."""
    with ctx.reading() as session:
        return oversight.decode(oversight.count_chunks(pages(session, size, tags)))


def entries_path(directory: Path) -> Path:
    path = directory / ledger.ENTRIES
    if not path.exists():
        raise InvalidInputError(f"{directory} holds no {ledger.ENTRIES}")
    return path


def frames_from_export(directory: Path, size: int) -> oversight.EventFrames:
    """The first `size` entries of a ledger export, decoded for oversight."""
    return oversight.decode(oversight.count_file(entries_path(directory), size))


def export_events(directory: Path, tags: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """Every entry of a ledger export with one of `tags`: (index, the entry's JSON)."""
    wanted = {f'"tag":"{tag}"' for tag in tags}
    out = []
    with entries_path(directory).open("rb") as f:
        for index, line in enumerate(f):
            text = line.decode("utf-8")
            if any(w in text for w in wanted):
                entry = json.loads(text)
                if entry.get("tag") in tags:
                    out.append((index, entry))
    return out


def catalogue_classes(ctx: Context) -> dict[str, str]:
    """Field → sensitivity class, from the active pack's catalogue (printed in each report)."""
    return {str(ref): spec.sensitivity.value for ref, spec in ctx.pack().catalogue.items()}
