"""Which of several server processes does the background work: one leader over one database.

`custos serve --workers N` runs N processes over one database. The checkpoint publisher and
the housekeeping rounds must run once across all of them: two publishers would sign
checkpoints at nearly the same moment for no gain, and two housekeeping rounds would queue a
letter twice or race to mark a release overdue. So the processes elect a leader with a lock
the operating system or the database frees when its holder dies — on PostgreSQL a session
advisory lock held on a connection of its own, on SQLite an exclusive `flock` on a file in
the data directory — and every other process keeps trying, so one takes over within a poll
interval of the leader being killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from typing import IO

from sqlalchemy import Connection, text

from custos.workflow.context import Context

_log = logging.getLogger("custos.leader")

#: Arbitrary constant naming the leader lock on PostgreSQL ("custosL").
_PG_LOCK_KEY = 0x637573746F734C
#: The file locked on SQLite, in the data directory.
LOCK_FILE = "leader.lock"
#: Seconds between a follower's attempts to take the lead (and the leader's checks that its
#: lock is still held): how long the background work may pause after a leader dies.
POLL_SECONDS = 1.0


class Leadership:
    """The leader lock of one process: taken with `try_take`, kept until `release` or death."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def try_take(self) -> bool:
        """Take the lock if no other process holds it; True if this process holds it now."""
        if self.held:
            return self._still_held()
        if self._ctx.engine.dialect.name == "postgresql":
            return self._take_pg()
        return self._take_file()

    def _take_pg(self) -> bool:
        connection = self._ctx.engine.connect()
        try:
            got = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}
                ).scalar()
            )
            connection.commit()
        except Exception:
            connection.close()
            raise
        if got:
            self._connection = connection
        else:
            connection.close()
        return got

    def _take_file(self) -> bool:
        path = self._ctx.settings.data_dir / LOCK_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def _still_held(self) -> bool:
        """A lock on a connection the database dropped is gone: step down and try again."""
        if self._connection is None:
            return True  # a flock lasts as long as the open file
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except Exception:  # noqa: BLE001 - any failure means the session (and lock) may be gone
            _log.warning("process %d lost the leader lock's connection", os.getpid())
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            # Closing a pooled connection only returns it to the pool, lock and all: the
            # database session must end, so the connection is invalidated (really closed).
            with contextlib.suppress(Exception):
                self._connection.invalidate()
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()  # closing the file frees its flock
            self._file = None


def lead_forever(
    ctx: Context,
    stop: threading.Event,
    loops: list[tuple[Callable[[Context, threading.Event], None], str]],
) -> None:
    """Follow until this process takes the lead, then run `loops` (each in its own thread)
    until `stop` is set or the lead is lost; a process that loses the lead follows again."""
    leadership = Leadership(ctx)
    said_follow = False
    try:
        while not stop.is_set():
            try:
                leading = leadership.try_take()
            except Exception:  # noqa: BLE001 - the database away a while must not end the loop
                _log.exception("taking the leader lock failed; retrying")
                leading = False
            if leading:
                _log.info(
                    "process %d leads: it publishes checkpoints and runs housekeeping", os.getpid()
                )
                _lead(ctx, stop, leadership, loops)
                said_follow = False
            elif not said_follow:
                _log.info("process %d follows: another process leads", os.getpid())
                said_follow = True
            stop.wait(POLL_SECONDS)
    finally:
        leadership.release()


def _lead(
    ctx: Context,
    stop: threading.Event,
    leadership: Leadership,
    loops: list[tuple[Callable[[Context, threading.Event], None], str]],
) -> None:
    """Run the loops while the lock holds; stop them when it does not."""
    stepped_down = threading.Event()
    threads = [
        threading.Thread(target=target, args=(ctx, stepped_down), name=name, daemon=True)
        for target, name in loops
    ]
    for thread in threads:
        thread.start()
    while not stop.wait(POLL_SECONDS):
        if not leadership.try_take():
            break
    stepped_down.set()
    for thread in threads:
        thread.join(timeout=5)
