"""Appending events to the log inside the caller's transaction.

The caller's unit of work owns the transaction: the state change and its entries commit
together or not at all. Sequencing: on PostgreSQL a transaction-scoped advisory lock makes
appends from many processes form one linear log; on SQLite every write transaction already
begins IMMEDIATE (see `custos.store.engine`), which serializes writers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from custos.domain.events import Event
from custos.store.tables import LedgerEntry

#: Arbitrary constant naming the ledger's advisory lock on PostgreSQL.
_PG_LOCK_KEY = 0x637573746F73  # "custos"


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 ‖ d(0))."""
    return hashlib.sha256(b"\x00" + entry).digest()


def append(
    session: Session, events: Sequence[Event], *, subject_refs: Sequence[str | None] | None = None
) -> list[int]:
    """Append events in order; returns their indices. Does not commit."""
    if not events:
        return []
    if subject_refs is not None and len(subject_refs) != len(events):
        raise ValueError("one subject_ref per event")
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.execute(select(func.max(LedgerEntry.idx))).scalar_one_or_none()
    start = 0 if last is None else last + 1
    rows = []
    for offset, event in enumerate(events):
        body = event.canonical()
        rows.append(
            {
                "idx": start + offset,
                "tag": event.tag.value,
                "request_id": event.request_id,
                "subject_ref": subject_refs[offset] if subject_refs is not None else None,
                "body": body,
                "leaf_hash": leaf_hash(body),
                "at": event.at,
            }
        )
    session.execute(insert(LedgerEntry), rows)
    return [start + i for i in range(len(events))]
