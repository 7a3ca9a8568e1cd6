"""SQLite's WAL copied back into the database on a thread of its own, off the writers' path.

In WAL mode every commit appends pages to the `-wal` file, and something must copy them back
into the database (a checkpoint) before the WAL grows without end. By default the connection
whose commit takes the WAL past 1,000 pages does it, inside that commit, with an fsync: one
commit in a dozen of the ledger's batched appends paid 30 ms or more, a fifth of the append
time, and a request that happened to meet it waited the same (issue 18).

Here the writers' connections raise that threshold to `SAFETY_PAGES` (a safety net, reached
only if the thread below falls behind or dies) and a commit that wrote something wakes one
checkpointer thread per engine and process. It runs PASSIVE checkpoints, which never take the
writer's lock and never wait for readers, at most every `MIN_INTERVAL_SECONDS`; it holds its
own connection and lets it go after `IDLE_SECONDS` without a wake, so an idle process (or a
test's discarded engine) keeps no thread and no open file. SQLite's guarantees do not change:
a checkpoint only copies committed pages, whichever connection runs it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from typing import Final

_log = logging.getLogger(__name__)

#: The writers' own auto-checkpoint threshold, in pages (4 KiB each): the fallback.
SAFETY_PAGES: Final = 10_000
#: Checkpoints at most this often while commits keep coming.
MIN_INTERVAL_SECONDS: Final = 0.2
#: The thread and its connection go after this long without a commit to follow.
IDLE_SECONDS: Final = 30.0


class Checkpointer:
    """The checkpoint thread of one database file in one process, started on demand."""

    def __init__(self, path: str, *, idle_seconds: float = IDLE_SECONDS) -> None:
        self._path = path
        self._idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        #: Checkpoints run so far (tests and diagnostics read it).
        self.runs = 0

    def committed(self) -> None:
        """A write transaction committed: make sure the thread runs and will look."""
        with self._guard:  # the thread's idle exit takes it too: no wake is ever lost
            self._wake.set()
            if self._thread is not None and self._pid == os.getpid():
                return
            self._stop.clear()
            self._pid = os.getpid()  # a forked child starts its own thread
            self._thread = threading.Thread(
                target=self._run, name=f"custos-wal-checkpoint {self._path}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the thread (the engine is disposed); a later commit starts it again."""
        self._stop.set()
        self._wake.set()
        with self._guard:
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(
                self._path, timeout=30, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error:
            _log.exception("WAL checkpointer could not open %s", self._path)
            with self._guard:
                if self._thread is threading.current_thread():
                    self._thread = None
            return
        try:
            while not self._stop.is_set():
                if not self._wake.wait(self._idle_seconds):
                    with self._guard:
                        if self._wake.is_set():
                            continue  # a commit came as the wait ended
                        if self._thread is threading.current_thread():
                            self._thread = None  # idle: the next commit starts a new thread
                        return
                if self._stop.is_set():
                    return
                self._wake.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:
                    # The writers' own threshold still bounds the WAL; try again next wake.
                    _log.warning("WAL checkpoint of %s failed", self._path, exc_info=True)
                self._stop.wait(MIN_INTERVAL_SECONDS)
        finally:
            connection.close()
