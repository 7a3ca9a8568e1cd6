"""The HTTP face of `custos witness`: C2SP tlog-witness `add-checkpoint`.

One route, `POST /add-checkpoint`, mapping the `custos.ledger.Cosigner`'s answer to the
spec's statuses: 200 with the cosignature lines, 409 with the witness's size
(`text/x.tlog.size`), 400, 403, 404 and 422 with a one-line reason.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from custos import __version__
from custos.ledger import (
    MAX_WITNESS_REQUEST_BYTES,
    SIZE_MEDIA_TYPE,
    WITNESS_CONFLICT,
    Cosigner,
    WitnessRequestError,
)

_TEXT = "text/plain; charset=utf-8"


def create_witness_app(cosigner: Cosigner) -> FastAPI:
    """A witness server over `cosigner` (its logs, key and durable state)."""
    app = FastAPI(
        title="Custos witness",
        version=__version__,
        summary="A C2SP tlog-witness: cosigns checkpoints consistent with what it saw.",
        docs_url=None,
        redoc_url=None,
    )

    @app.post("/add-checkpoint", summary="Submit a checkpoint with a consistency proof")
    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WITNESS_REQUEST_BYTES:
                return Response("request too large\n", status_code=400, media_type=_TEXT)
        try:
            lines = cosigner.add_checkpoint(body)
        except WitnessRequestError as exc:
            if exc.status == WITNESS_CONFLICT and exc.size is not None:
                return Response(f"{exc.size}\n", status_code=409, media_type=SIZE_MEDIA_TYPE)
            return Response(f"{exc}\n", status_code=exc.status, media_type=_TEXT)
        return Response(lines, status_code=200, media_type=_TEXT)

    @app.get("/healthz", summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
