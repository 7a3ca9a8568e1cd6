"""SQLite's WAL is copied back into the database by a thread of its own (issue 18): a writer's
commit no longer pays for a checkpoint, yet the WAL still drains while the process runs, and
the thread goes when the engine does."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from custos.store.engine import make_engine
from custos.store.wal import SAFETY_PAGES, Checkpointer

#: About 400 pages: well under SQLite's own 1,000-page threshold, so only the thread copies them.
ROWS, ROW_BYTES = 400, 4000


def _write(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS t (x BLOB)"))
        c.execute(text("INSERT INTO t VALUES (:x)"), [{"x": b"x" * ROW_BYTES}] * ROWS)


def _eventually(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def _threads(path: Path) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith(str(path.resolve()))]


def test_committed_pages_reach_the_database_file_while_the_engine_is_open(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    engine = make_engine(f"sqlite:///{db}")
    _write(engine)
    # Pages reach the main file only by a checkpoint; no connection has closed.
    assert _eventually(lambda: db.stat().st_size > ROWS * ROW_BYTES)
    engine.dispose()


def test_without_the_thread_the_pages_stay_in_the_wal(tmp_path: Path) -> None:
    """The baseline the test above differs from: SQLite alone copies nothing this small."""
    db = tmp_path / "a.db"
    engine = make_engine(f"sqlite:///{db}", wal_thread=False)
    _write(engine)
    time.sleep(0.5)
    assert db.stat().st_size < ROWS * ROW_BYTES
    assert Path(f"{db}-wal").stat().st_size > ROWS * ROW_BYTES
    engine.dispose()


def test_writers_leave_checkpoints_to_the_thread_up_to_the_safety_threshold(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == SAFETY_PAGES
    engine.dispose()


def test_the_thread_goes_with_the_engine(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    engine = make_engine(f"sqlite:///{db}")
    _write(engine)
    assert _threads(db)
    engine.dispose()
    assert _eventually(lambda: not _threads(db), seconds=10)


def test_an_idle_thread_goes_and_the_next_commit_starts_another(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").close()
    checkpointer = Checkpointer(str(db), idle_seconds=0.1)
    checkpointer.committed()
    assert _eventually(lambda: checkpointer.runs == 1)
    assert _eventually(lambda: not _threads(db))  # idle, gone
    checkpointer.committed()
    assert _eventually(lambda: checkpointer.runs == 2)
    checkpointer.close()
    assert not _threads(db)


def test_a_database_it_cannot_open_stops_the_thread_and_loses_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "a.db"
    checkpointer = Checkpointer(str(missing))
    checkpointer.committed()
    assert _eventually(lambda: not _threads(missing))
    assert checkpointer.runs == 0
