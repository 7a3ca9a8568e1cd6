"""Appending events to the log inside the caller's transaction.

The caller's unit of work owns the transaction: the state change and its entries commit
together or not at all. Sequencing: on PostgreSQL a transaction-scoped advisory lock makes
appends from many processes form one linear log; on SQLite every write transaction already
begins IMMEDIATE (see `custos.store.engine`), which serializes writers. An entry's index is
read as max(idx) + 1 under that lock, so a rolled-back append leaves no gap: the next writer
reuses its indices.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import rfc8785
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from custos.domain.events import Event
from custos.ledger._merkle import hash_leaf
from custos.store.tables import LedgerEntry

#: Arbitrary constant naming the ledger's advisory lock on PostgreSQL.
_PG_LOCK_KEY = 0x637573746F73  # "custos"

#: RFC 8785 numbers are IEEE doubles: integers beyond this are not exact.
_MAX_SAFE_INT = 2**53 - 1


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 ‖ d(0))."""
    return hash_leaf(entry)


def _plain(value: Any) -> bool:  # noqa: PLR0911 - one return per JSON type reads best
    """True when the encoder below writes exactly RFC 8785's bytes for `value`.

    That holds for objects with ASCII keys (RFC 8785 §3.2.3 sorts keys by UTF-16 code units,
    which for ASCII is Python's order), strings (§3.2.2.2 escapes the same characters the
    same way), booleans, null, and integers small enough to be exact doubles. Floats are left
    to `rfc8785`, whose ECMAScript number formatting Python's `repr` does not match.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_MAX_SAFE_INT <= value <= _MAX_SAFE_INT)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return False
            if type(item) is str or item is None:
                continue
            if not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) is str or _plain(item) for item in value)
    return isinstance(value, str)


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)
# The C encoder `JSONEncoder.encode` would build on every call, built once (about 1 µs saved
# an entry); plain bodies have no cycles to detect, hence no markers.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODER = (
    _c_make_encoder(  # positional only: (markers, default, encoder, indent, key sep, item sep,
        # sort_keys, skipkeys, allow_nan)
        None,
        _ENCODER.default,
        json.encoder.encode_basestring,
        None,
        ":",
        ",",
        True,  # noqa: FBT003 - sort_keys
        False,  # noqa: FBT003 - skipkeys
        False,  # noqa: FBT003 - allow_nan
    )
    if _c_make_encoder is not None
    else None
)


def _encode(body: dict[str, Any]) -> str:
    if _C_ENCODER is None:
        return _ENCODER.encode(body)
    return "".join(_C_ENCODER(body, 0))


def canonical(body: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of an event body; a fast path for the common plain shapes."""
    if _plain(body):
        try:
            return _encode(body).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 reject it
    return bytes(rfc8785.dumps(body))


def append(
    session: Session, events: Sequence[Event], *, subject_refs: Sequence[str | None] | None = None
) -> list[int]:
    """Append events in order; returns their indices. Does not commit.

    The indices are final once the caller's transaction commits; the entries are folded into
    the Merkle tree later (see `custos.ledger`'s package docstring).
    """
    if not events:
        return []
    if subject_refs is not None and len(subject_refs) != len(events):
        raise ValueError("one subject_ref per event")
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.execute(select(func.max(LedgerEntry.idx))).scalar_one_or_none()
    start = 0 if last is None else last + 1
    refs = subject_refs if subject_refs is not None else [None] * len(events)
    # The column types' own bind processors, so the raw executemany below stores exactly
    # what the ORM would (UTC timestamps in SQLite's text form, for instance).
    dialect = bind.dialect
    at_bind = LedgerEntry.__table__.c.at.type.bind_processor(dialect)
    stamps: dict[Any, Any] = {}
    # A batch may repeat one Event object (a release's accounting entries for people with the
    # same facts): it is encoded and hashed once. Frozen events make this safe.
    encoded: dict[int, tuple[bytes, bytes]] = {}
    rows = []
    for offset, (event, ref) in enumerate(zip(events, refs, strict=True)):
        done = encoded.get(id(event))
        if done is None:
            body = canonical(event.body())
            done = encoded[id(event)] = (body, hash_leaf(body))
        at = stamps.get(event.at)
        if at is None:
            at = stamps[event.at] = at_bind(event.at) if at_bind is not None else event.at
        rows.append((start + offset, event.tag.value, event.request_id, ref, *done, at))
    session.connection().exec_driver_sql(_insert_sql(dialect.paramstyle), rows)
    return [start + i for i in range(len(events))]


def _insert_sql(paramstyle: str) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"
    columns = "idx, tag, request_id, subject_ref, body, leaf_hash, at"
    # Only constants are interpolated: the column list and the driver's placeholder.
    return f"INSERT INTO ledger_entries ({columns}) VALUES ({', '.join([marker] * 7)})"  # noqa: S608  # nosec B608
