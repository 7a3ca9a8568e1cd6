"""SQLite writers queue on the database's writer lock (issue 18): one waits while another
writes and goes on when it is done; a unit of work opened inside another does not wait for
itself."""

from __future__ import annotations

import threading

from sqlalchemy import select

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
