"""The FastAPI application, built from validated settings by `create_app`."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from custos import __version__, web
from custos.api import ledger, oversight, people, policy, problems, releases, requesters, staff
from custos.config import Settings
from custos.workflow import housekeeping
from custos.workflow import ledger as ledger_workflow
from custos.workflow.context import Context

_log = logging.getLogger("custos.api")


def _publish_forever(ctx: Context, stop: threading.Event) -> None:
    """Publish checkpoints until stopped; a failed round is logged and retried next round."""
    while not stop.is_set():
        try:
            ledger_workflow.publish_and_witness(ctx)
        except Exception:  # noqa: BLE001  (a background loop must outlive one bad round)
            _log.exception("publishing a checkpoint failed; retrying next interval")
        stop.wait(ctx.settings.checkpoint_interval_seconds)


def create_app(
    settings: Settings | None = None, *, ctx: Context | None = None, background: bool = False
) -> FastAPI:
    """Build the app over a context (tests pass their own) or over fresh settings.

    With `background`, the app publishes a signed checkpoint (and submits it to the
    witnesses) every `checkpoint_interval_seconds` and runs `custos.workflow.housekeeping` every
    `housekeeping_interval_seconds` while it runs (`custos serve` turns this on).
    """
    if ctx is None:
        if settings is None:
            raise ValueError("create_app needs settings or a context")
        ctx = Context.from_settings(settings)
    context = ctx

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        workers = []
        if background:
            workers = [
                threading.Thread(target=target, args=(context, stop), name=name, daemon=True)
                for target, name in (
                    (_publish_forever, "checkpoints"),
                    (housekeeping.run_forever, "housekeeping"),
                )
            ]
            for worker in workers:
                worker.start()
        yield
        stop.set()
        for worker in workers:
            worker.join(timeout=5)

    app = FastAPI(
        lifespan=lifespan,
        title="Custos",
        version=__version__,
        summary="Disclosures of benefits recipients' data: controlled, proven, accounted for.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    problems.install(app)
    app.include_router(requesters.router)
    app.include_router(staff.router)
    ledger.include(app, ctx.settings.ledger_path)
    app.include_router(releases.router)
    app.include_router(policy.router)
    app.include_router(people.router)
    app.include_router(oversight.router)
    app.include_router(web.staff.router)
    app.include_router(web.portal.router)
    app.include_router(web.public.router)
    web.install(app)

    @app.get("/healthz", tags=["public"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
