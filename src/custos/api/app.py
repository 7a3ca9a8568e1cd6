"""The FastAPI application, built from validated settings by `create_app`."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from custos import __version__, web
from custos.api import (
    _openapi,
    docs,
    ledger,
    officers,
    oversight,
    people,
    policy,
    problems,
    releases,
    requesters,
    staff,
)
from custos.api._edges import Edges
from custos.config import Settings
from custos.workflow import housekeeping, leader
from custos.workflow import ledger as ledger_workflow
from custos.workflow.context import Context

_log = logging.getLogger("custos.api")
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _publish_forever(ctx: Context, stop: threading.Event) -> None:
    """Publish checkpoints until stopped; a failed round is logged and retried next round."""
    while not stop.is_set():
        try:
            ledger_workflow.publish_and_witness(ctx)
        except Exception:  # noqa: BLE001  (a background loop must outlive one bad round)
            _log.exception("publishing a checkpoint failed; retrying next interval")
        stop.wait(ctx.settings.checkpoint_interval_seconds)


def _lifespan(ctx: Context, *, background: bool) -> Lifespan:
    """Start the checkpoint and housekeeping loops with the app (when `background`), in
    the one process of several serving this database that leads (`custos.workflow.leader`)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        workers = []
        if background:
            loops = [
                (_publish_forever, "checkpoints"),
                (housekeeping.run_forever, "housekeeping"),
            ]
            workers = [
                threading.Thread(
                    target=leader.lead_forever, args=(ctx, stop, loops), name="leader", daemon=True
                )
            ]
            for worker in workers:
                worker.start()
        yield
        stop.set()
        for worker in workers:
            worker.join(timeout=10)

    return lifespan


#: The API's routers, then the web pages' (their order is the OpenAPI document's); the
#: ledger's are added under the log's URL prefix by `ledger.include`.
_ROUTERS = (
    requesters.router,
    staff.router,
    officers.router,
    releases.router,
    policy.router,
    people.router,
    oversight.router,
    web.staff.router,
    web.portal.router,
    web.portal_requests.router,
    web.public.router,
)


def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "version": __version__}


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
    app = FastAPI(
        lifespan=_lifespan(ctx, background=background),
        title="Custos",
        version=__version__,
        summary="Disclosures of benefits recipients' data: controlled, proven, accounted for.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    problems.install(app)
    for router in _ROUTERS:
        app.include_router(router)
    ledger.include(app, ctx.settings.ledger_path)
    web.install(app)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["public"], summary="Liveness")
    docs.install(app, title="Custos")
    app.add_middleware(Edges, max_json_bytes=ctx.settings.max_json_bytes)
    _openapi.install(app)
    return app


def serve_app() -> FastAPI:
    """The app `custos serve` runs in each worker process, from the `CUSTOS_*` environment
    (uvicorn imports this factory in every process it starts)."""
    return create_app(Settings(), background=True)
