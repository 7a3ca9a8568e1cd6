"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction begins IMMEDIATE: writers
take the lock up front, so the ledger's read of its last index and its insert cannot interleave
with another writer's. PostgreSQL serializes ledger appends with an advisory lock instead
(see `custos.ledger`). A thread of its own copies SQLite's WAL back into the database
(`custos.store.wal`), so no writer's commit pays for a checkpoint.

PostgreSQL connections are pinged before use only when they sat idle in the pool for
`PING_AFTER_IDLE_SECONDS` (a server restart or an idle-connection timeout happens while the
pool is quiet). SQLAlchemy's `pool_pre_ping` pinged on every checkout, a round trip on every
unit of work (issue 18). A connection that dies while in busy use fails the one statement that
meets it; SQLAlchemy then discards every pooled connection made before the failure, so the
next unit of work gets a fresh one.

On SQLite, writers of one file also queue on an advisory file lock (`writer_lock`) before
their BEGIN IMMEDIATE. SQLite's own wait for a busy database polls with growing sleeps (up to
100 ms each), so under load a writer could sleep long after the lock was free: with four
clients on one process the slowest submits took half a second (issue 18). A blocked `flock`
wakes as soon as the holder lets go, across threads and server processes alike, and the kernel
drops it if a process dies. `busy_timeout` stays as the fallback for writers that do not queue
(another program, a second engine).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from custos.store.wal import SAFETY_PAGES, Checkpointer

#: Execution option marking a connection as read-only (a deferred transaction on SQLite).
READ_ONLY = "custos_read_only"


#: Marks a pooled SQLite connection whose transaction wrote (it may have grown the WAL).
_WROTE = "custos_wrote"

#: A pooled server connection idle at least this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "custos_idle_since"


def make_engine(
    url: str,
    *,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    wal_thread: bool = True,
    **kwargs: Any,
) -> Engine:
    """An engine set up as Custos needs it. `wal_thread=False` leaves SQLite's checkpoints in
    the writers' commits, as SQLite does by default (the ledger benchmark's baseline)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_setup(engine, wal_thread=wal_thread)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # a new connection, or one in busy use
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool discards this connection and hands out a fresh one.
            raise DisconnectionError("a pooled connection did not answer") from exc


def _sqlite_setup(engine: Engine, *, wal_thread: bool) -> None:
    database = engine.url.database
    checkpointer = (
        Checkpointer(str(Path(database).resolve()))
        if wal_thread and database and database != ":memory:" and not database.startswith("file:")
        else None
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN IMMEDIATE below is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if checkpointer is not None:  # the checkpointer thread copies the WAL back
            cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")
        cur.close()

    driver_errors = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers (see READ_ONLY) take a deferred snapshot: in WAL mode they never wait for
        # a writer and never make one wait.
        readonly = conn.get_execution_options().get(READ_ONLY, False)
        sql = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        # On the driver itself: SQLAlchemy's execution of a statement cost more than SQLite's
        # BEGIN (issue 18). A failure still surfaces as SQLAlchemy's error.
        driver = conn.connection.driver_connection
        try:
            driver.execute(sql)
        except driver_errors as exc:
            dialect = engine.dialect
            raise DBAPIError.instance(sql, None, exc, driver_errors, dialect=dialect) from exc
        if not readonly:
            conn.info[_WROTE] = True

    if checkpointer is None:
        return

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        # After the transaction ended (committed or not): its pages, if any, are in the WAL.
        if record.info.pop(_WROTE, False):
            checkpointer.committed()

    @event.listens_for(engine, "engine_disposed")
    def _on_dispose(_engine: Any) -> None:
        checkpointer.close()


_held = threading.local()


@functools.lru_cache(maxsize=64)
def _lock_path(database: str) -> str:
    """The lock file beside a database file. Worked out once: resolving the path took three
    `lstat` calls on every unit of work (issue 18)."""
    return f"{Path(database).resolve()}-writer"


@contextlib.contextmanager
def writer_lock(engine: Engine, *, wait: bool = True) -> Iterator[bool]:
    """Hold the database's writer lock (SQLite files only; a no-op elsewhere).

    Yields whether this thread holds it: always True when `wait`. With `wait=False` a lock
    held by another thread or process is not waited for: the block runs holding nothing and
    is told False (an event loop may not block on a writer that could take minutes).
    Re-entrant per thread: a unit of work opened inside another on the same thread does not
    wait for itself.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True
        return
    path = _lock_path(database)
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if path in held:
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        held.add(path)
        try:
            yield True
        finally:
            held.discard(path)
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
