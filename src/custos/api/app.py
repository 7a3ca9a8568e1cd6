"""The FastAPI application, built from validated settings by `create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from custos import __version__
from custos.api import ledger, policy, problems, requesters, staff
from custos.config import Settings
from custos.workflow.context import Context


def create_app(settings: Settings | None = None, *, ctx: Context | None = None) -> FastAPI:
    """Build the app over a context (tests pass their own) or over fresh settings."""
    if ctx is None:
        if settings is None:
            raise ValueError("create_app needs settings or a context")
        ctx = Context.from_settings(settings)
    app = FastAPI(
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
    app.include_router(ledger.router)
    app.include_router(policy.router)

    @app.get("/healthz", tags=["public"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
