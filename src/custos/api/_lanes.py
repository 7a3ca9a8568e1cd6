"""Running a unit of work that writes, from an async endpoint.

On SQLite every write transaction of a process queues on the database's writer lock
(`custos.store.engine.writer_lock`), so running four of them in four threads buys nothing:
three threads wait on the lock while the fourth, the event loop and the waiters hand the GIL
back and forth at every driver call. Here they wait as coroutines instead, one thread at a time
per event loop. Measured with 4 clients on one SQLite process (issue 18), five alternating
pairs of 1,500 submits: 202–253 submits/s against 185–224, and 3.97–4.89 ms of server CPU a
submit against 4.50–5.38, every pair won.

A small unit of work on SQLite (the caller says which: a single-person submit takes about 3 ms)
runs on the event loop's own thread when the writer lock is free at that moment. The hand-off
to a worker thread and back cost more than the work's own SQL: two servers side by side over
one database, six alternating pairs of 1,000 submits from 4 clients, 3.94 ms of server CPU a
submit against 5.32 and 256 submits/s against 185, every pair won (issue 18). The loop is
blocked for that long, and only that long: a lock another thread or process holds (a bulk
release can hold it for a minute) is never waited for on the loop — the work then takes the
thread lane as before. PostgreSQL writers run side by side in worker threads, as before.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from custos.workflow.context import Context

_T = TypeVar("_T")

#: One lane per event loop: a limiter belongs to the loop it was made in (tests run several).
_SQLITE_LANES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _lane(ctx: Context) -> anyio.CapacityLimiter | None:
    if ctx.engine.dialect.name != "sqlite":
        return None  # the thread pool's own limit
    loop = asyncio.get_running_loop()
    lane = _SQLITE_LANES.get(loop)
    if lane is None:
        lane = _SQLITE_LANES[loop] = anyio.CapacityLimiter(1)
    return lane


async def run_write(
    ctx: Context, work: Callable[..., _T], /, *, small: bool = False, **kwargs: Any
) -> _T:
    """`work(ctx, **kwargs)` in a worker thread; on SQLite, one such call at a time.

    `small` work (a few milliseconds, whatever the input) on SQLite runs on the loop itself
    when the writer lock is free (see the module docstring).
    """
    if small and ctx.engine.dialect.name == "sqlite":
        with ctx.writer_lock_if_free() as held:
            if held:
                return work(ctx, **kwargs)
    return await anyio.to_thread.run_sync(
        functools.partial(work, ctx, **kwargs), limiter=_lane(ctx)
    )
