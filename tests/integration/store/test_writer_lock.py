"""SQLite writers queue on the database's writer lock (issue 18): one waits while another
writes and goes on when it is done; a unit of work opened inside another does not wait for
itself."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from custos.store import tables as t
from custos.store.engine import writer_lock
from custos.workflow.context import Context


def test_a_second_writer_waits_for_the_first_and_then_goes_on(sqlite_ctx: Context) -> None:
    done = threading.Event()

    def second() -> None:
        with sqlite_ctx.transaction() as s:
            s.execute(select(t.PackActivation.id)).all()
        done.set()

    with writer_lock(sqlite_ctx.engine):
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=0.3)
        assert other.is_alive()  # queued behind the lock this thread holds
        assert not done.is_set()
    other.join()
    assert done.is_set()


def test_a_unit_of_work_inside_another_on_the_same_thread_does_not_wait(
    sqlite_ctx: Context,
) -> None:
    with sqlite_ctx.transaction(), sqlite_ctx.transaction() as inner:
        assert inner.execute(select(t.PackActivation.id)).all() == []


def test_a_begin_that_finds_the_database_busy_is_sqlalchemys_error(sqlite_ctx: Context) -> None:
    """BEGIN IMMEDIATE runs on the driver itself; a writer outside Custos holding the
    database still surfaces as SQLAlchemy's OperationalError, not as the driver's."""
    database = sqlite_ctx.engine.url.database
    assert database is not None
    outsider = sqlite3.connect(database, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    try:
        with sqlite_ctx.engine.connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            with pytest.raises(OperationalError, match="locked"):
                conn.begin()
    finally:
        outsider.rollback()
        outsider.close()
