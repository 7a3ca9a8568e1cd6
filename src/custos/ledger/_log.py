"""Appending events to the log inside the caller's transaction.

The caller's unit of work owns the transaction: the state change and its entries commit
together or not at all. Sequencing: on PostgreSQL a transaction-scoped advisory lock makes
appends from many processes form one linear log; on SQLite every write transaction already
begins IMMEDIATE (see `custos.store.engine`), which serializes writers. An entry's index is
read as max(idx) + 1 under that lock, so a rolled-back append leaves no gap: the next writer
reuses its indices.

An entry about one person commits to that person: `append` writes the person's keyed
pseudonym into the entry's `data` as `"subject"`, inside the hashed canonical bytes, and the
same value into the `subject_ref` lookup column. Both are written from one value here, so they
cannot disagree; readers still check the entry's own subject before trusting the column, and a
person's accounting file is verified against the entry alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from itertools import count
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from custos.domain.events import SUBJECT_KEY, Event, encode_string
from custos.ledger._merkle import hash_leaf
from custos.store.core import MANY_VALUES_ROWS, Prepared, driver_execute
from custos.store.tables import LedgerEntry

#: Arbitrary constant naming the ledger's advisory lock on PostgreSQL.
_PG_LOCK_KEY = 0x637573746F73  # "custos"
_sha256 = hashlib.sha256
_PG_LOCK = Prepared(select(func.pg_advisory_xact_lock(bindparam("k", type_=BigInteger))))
#: Prepared: every append reads it (SQLAlchemy's execution of it cost more than the read).
_LAST_INDEX = Prepared(select(func.max(LedgerEntry.idx)))
#: A value no pseudonym takes (canonical JSON escapes the NULs): its encoded form is cut out
#: of a template entry and each person's pseudonym spliced in its place.
_PLACEHOLDER = "\x00custos-subject\x00"
_PLACEHOLDER_JSON = encode_string(_PLACEHOLDER).encode()


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 ‖ d(0))."""
    return hash_leaf(entry)


def next_index(session: Session) -> int:
    """The index the next entry will get, as far as this transaction sees (no lock taken)."""
    return _after_last(session)


def _after_last(session: Session) -> int:
    [(last,)] = _LAST_INDEX.all(session)
    return 0 if last is None else int(last) + 1


def lock_appends(session: Session) -> int:
    """Take the sequencing lock for the rest of the caller's transaction; the next index.

    While it is held nobody else appends, so entries below the returned index are all there
    is (the accounting map folds them and commits its root as the very next entry). On
    SQLite the write transaction already holds the database's lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        _PG_LOCK.all(session, {"k": _PG_LOCK_KEY})
    return _after_last(session)


def append(
    session: Session, events: Sequence[Event], *, subject_refs: Sequence[str | None] | None = None
) -> list[int]:
    """Append events in order; returns their indices. Does not commit.

    `subject_refs[i]`, when not None, is the keyed pseudonym of the person event i is about:
    the stored entry is the event with `data["subject"]` set to it. An event whose data
    already names a subject is stored as it is, and a different ref for it is refused.

    The indices are final once the caller's transaction commits; the entries are folded into
    the Merkle tree later (see `custos.ledger`'s package docstring).
    """
    if not events:
        return []
    if subject_refs is not None and len(subject_refs) != len(events):
        raise ValueError("one subject_ref per event")
    start = lock_appends(session)
    connection = session.connection()  # Core, not ORM, statements: this is the log's hot path
    refs = subject_refs if subject_refs is not None else [None] * len(events)
    columns, added = _subjects(events, refs)  # refuses a bad ref before anything is written
    # The column types' own bind processors, so the raw executemany below stores exactly
    # what the ORM would (UTC timestamps in SQLite's text form, for instance).
    dialect = connection.dialect
    at_type = LedgerEntry.__table__.c.at.type
    # The dialect's own processor (for SQLite: the text the ORM writes), applied once per time.
    at_bind = at_type.dialect_impl(dialect).bind_processor(dialect)
    rows = _rows(start, events, columns, added, at_bind)
    if len(events) <= MANY_VALUES_ROWS:
        # A request's few entries: one statement on PostgreSQL (`driver_execute`).
        driver_execute(connection, _insert_sql(dialect.paramstyle), list(rows))
    else:
        _insert(connection, _insert_sql(dialect.paramstyle), rows)
    return list(range(start, start + len(events)))


def _subjects(
    events: Sequence[Event], refs: Sequence[str | None]
) -> tuple[list[str | None], list[str | None]]:
    """Per entry: its `subject_ref` column, and the pseudonym to add to its data (or None).

    Every refusal happens here, before the first row is written: the caller's transaction
    never holds part of a refused batch.
    """
    columns: list[str | None] = []
    added: list[str | None] = []
    for event, ref in zip(events, refs, strict=True):
        named = event.data.get(SUBJECT_KEY)
        if named is None:
            if ref is not None and (type(ref) is not str or not ref):
                raise ValueError("a subject_ref is a non-empty pseudonym string")
            columns.append(ref)
            added.append(ref)
        else:
            columns.append(_column(named, ref))
            added.append(None)
    return columns, added


def _insert(connection: Connection, sql: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """Insert the rows as they are made, on the DBAPI cursor of the caller's transaction.

    SQLAlchemy's executemany wants a list; the driver's takes an iterator, so each row (and
    its body) is bound and dropped before the next is made, and a batch's rows never sit in
    memory together. Driver errors are raised as SQLAlchemy's, as they would be through it.
    """
    dbapi_connection = connection.connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.executemany(sql, rows)  # type: ignore[arg-type]  # sqlite3, psycopg: any iterable
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            sql, None, exc, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        ) from exc
    finally:
        cursor.close()


def _rows(
    start: int,
    events: Sequence[Event],
    columns: Sequence[str | None],
    added: Sequence[str | None],
    at_bind: Any,
) -> Iterator[tuple[Any, ...]]:
    """The rows, made one at a time: (idx, tag, request_id, subject_ref, body, leaf_hash, at)."""
    if len(set(map(id, events))) == len(events):
        return _distinct_rows(start, events, columns, added, at_bind)
    return _shared_rows(start, events, columns, added, at_bind)


def _distinct_rows(
    start: int,
    events: Sequence[Event],
    columns: Sequence[str | None],
    added: Sequence[str | None],
    at_bind: Any,
) -> Iterator[tuple[Any, ...]]:
    """The rows of a batch in which no Event object repeats: each encoded once, as it comes."""
    stamps: dict[Any, Any] = {}
    sha256 = _sha256
    for idx, event, column, ref in zip(count(start), events, columns, added, strict=False):
        body = event.canonical() if ref is None else event.canonical(extra=(SUBJECT_KEY, ref))
        yield (
            idx,
            event.tag._value_,  # the plain attribute: `.value` is a slow descriptor
            event.request_id,
            column,
            body,
            sha256(b"\x00" + body).digest(),  # hash_leaf, inlined on the hot path
            stamps.get(event.at) or _stamp(stamps, event.at, at_bind),
        )


def _shared_rows(
    start: int,
    events: Sequence[Event],
    columns: Sequence[str | None],
    added: Sequence[str | None],
    at_bind: Any,
) -> Iterator[tuple[Any, ...]]:
    """The rows of a batch that repeats Event objects, what they share worked out once."""
    stamps: dict[Any, Any] = {}
    # A batch may repeat one Event object (a release's accounting entries for people with the
    # same facts): what does not depend on the person is worked out once per object. For an
    # entry about a person that is its canonical bytes cut where the pseudonym goes; for any
    # other entry, its bytes and leaf hash. Frozen events make this safe.
    plain: dict[int, tuple[Any, ...]] = {}
    cuts: dict[int, tuple[Any, ...]] = {}
    once: set[int] = set()
    sha256, encode = _sha256, encode_string
    for idx, event, column, ref in zip(count(start), events, columns, added, strict=False):
        if ref is None:
            done = plain.get(id(event))
            if done is None:
                body = event.canonical()
                # the plain attribute `_value_`: `.value` is a slow descriptor
                done = plain[id(event)] = (
                    event.tag._value_,
                    event.request_id,
                    body,
                    sha256(b"\x00" + body).digest(),  # hash_leaf, inlined on the hot path
                    _stamp(stamps, event.at, at_bind),
                )
            yield (idx, done[0], done[1], column, done[2], done[3], done[4])
            continue
        cut = cuts.get(id(event))
        if cut is None:
            parts = _template(event) if id(event) in once else None
            if parts is None:  # its first use (or no clean cut): encoded with the subject
                once.add(id(event))
                body = event.canonical(extra=(SUBJECT_KEY, ref))
                at = stamps.get(event.at) or _stamp(stamps, event.at, at_bind)
                leaf = sha256(b"\x00" + body).digest()
                yield (idx, event.tag._value_, event.request_id, ref, body, leaf, at)
                continue
            before, after = parts  # used again: cut once, spliced from now on
            cut = cuts[id(event)] = (
                event.tag._value_,
                event.request_id,
                before,
                after,
                _stamp(stamps, event.at, at_bind),
            )
        body = cut[2] + encode(ref).encode() + cut[3]
        yield (idx, cut[0], cut[1], ref, body, sha256(b"\x00" + body).digest(), cut[4])


def _stamp(stamps: dict[Any, Any], at: Any, at_bind: Any) -> Any:
    """The stored form of a time, worked out once per distinct time in a batch."""
    stored = stamps.get(at)
    if stored is None:
        stored = stamps[at] = at_bind(at) if at_bind is not None else at
    return stored


def _column(named: Any, ref: str | None) -> str | None:
    """The lookup column of an entry whose data names its subject already (or no one)."""
    if named is None:
        return None
    if type(named) is not str or not named:
        raise ValueError(f"an entry's {SUBJECT_KEY!r} is a non-empty pseudonym string")
    if ref is not None and ref != named:
        raise ValueError("the subject_ref disagrees with the subject the entry names")
    return named


def _template(event: Event) -> tuple[bytes, bytes] | None:
    """The canonical bytes of `event` with a subject, cut where the subject goes.

    Splicing a pseudonym's JSON string between the two parts gives exactly the canonical
    bytes of the event with `data["subject"]` set to it: canonical JSON writes a string the
    same way wherever it stands, and the key's place among the sorted keys does not depend
    on its value. None when there is no one place to cut (the data holds the placeholder
    itself): such an entry is encoded whole each time.
    """
    body = event.canonical(extra=(SUBJECT_KEY, _PLACEHOLDER))
    before, found, after = body.partition(_PLACEHOLDER_JSON)
    if not found or _PLACEHOLDER_JSON in after:
        return None
    return before, after


def _insert_sql(paramstyle: str) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"
    columns = "idx, tag, request_id, subject_ref, body, leaf_hash, at"
    # Only constants are interpolated: the column list and the driver's placeholder.
    return f"INSERT INTO ledger_entries ({columns}) VALUES ({', '.join([marker] * 7)})"  # noqa: S608  # nosec B608
