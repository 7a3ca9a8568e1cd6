"""Where an async endpoint's write runs (issue 18): a small unit of work on SQLite runs on the
event loop itself when the writer lock is free, and in a worker thread when another writer
holds it, so the loop never waits for a writer; other work always goes to a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import func, select

from custos.api._lanes import run_write
from custos.store import tables as t
from custos.store.engine import writer_lock
from custos.workflow.context import Context

T = TypeVar("T")


def _run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: another test in this worker (Playwright's sync API)
    may have left an event loop running on the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as runner:
        return runner.submit(asyncio.run, main).result(30)


def _write(ctx: Context) -> int:
    """A real unit of work that writes; returns the thread it ran on."""
    with ctx.transaction() as s:
        s.add(
            t.PackActivation(
                name="sanctuary",
                version="test",
                content_hash="0" * 64,
                activated_by="test",
                activated_at=ctx.now(),
            )
        )
    return threading.get_ident()


def _activations(ctx: Context) -> int:
    with ctx.reading() as s:
        return s.scalar(select(func.count()).select_from(t.PackActivation)) or 0


def _hold_elsewhere(ctx: Context, release: threading.Event) -> threading.Thread:
    """Another thread takes the writer lock and keeps it until `release` (10 s at most)."""
    holding = threading.Event()

    def other_writer() -> None:
        with writer_lock(ctx.engine):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=other_writer)
    holder.start()
    assert holding.wait(10)
    return holder


def test_small_work_runs_on_the_loop_when_the_writer_lock_is_free(sqlite_ctx: Context) -> None:
    async def main() -> tuple[int, int]:
        return threading.get_ident(), await run_write(sqlite_ctx, _write, small=True)

    loop_thread, ran_on = _run(main())
    assert ran_on == loop_thread
    assert _activations(sqlite_ctx) == 1


def test_other_work_runs_in_a_worker_thread(sqlite_ctx: Context) -> None:
    async def main() -> tuple[int, int]:
        return threading.get_ident(), await run_write(sqlite_ctx, _write)

    loop_thread, ran_on = _run(main())
    assert ran_on != loop_thread
    assert _activations(sqlite_ctx) == 1


def test_small_work_does_not_block_the_loop_on_a_held_writer_lock(sqlite_ctx: Context) -> None:
    """Another writer holds the lock: the loop goes on serving (its ticks keep coming) while
    the small work waits in a thread, and the work is done once the lock is let go."""
    release = threading.Event()
    holder = _hold_elsewhere(sqlite_ctx, release)

    async def main() -> tuple[int, int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())
        work = asyncio.create_task(run_write(sqlite_ctx, _write, small=True))
        await asyncio.sleep(0.3)
        assert not work.done()  # waiting for the other writer, off the loop
        ticks_while_waiting = ticks
        release.set()
        ran_on = await work
        tick_task.cancel()
        return threading.get_ident(), ran_on, ticks_while_waiting

    loop_thread, ran_on, ticks = _run(main())
    holder.join()
    assert ticks >= 5  # the loop kept running while the lock was held elsewhere
    assert ran_on != loop_thread
    assert _activations(sqlite_ctx) == 1


def test_the_writer_lock_can_be_tried_without_waiting(sqlite_ctx: Context) -> None:
    release = threading.Event()
    holder = _hold_elsewhere(sqlite_ctx, release)
    # Had the try waited, the holder would let go after this and the try would be told True.
    late_release = threading.Timer(5, release.set)
    late_release.start()
    with sqlite_ctx.writer_lock_if_free() as held:
        assert held is False
    late_release.cancel()
    release.set()
    holder.join()
    with sqlite_ctx.writer_lock_if_free() as held:
        assert held is True
        assert _write(sqlite_ctx) == threading.get_ident()  # no wait for itself
    assert _activations(sqlite_ctx) == 1
