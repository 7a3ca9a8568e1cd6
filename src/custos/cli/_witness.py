"""`custos witness`: a C2SP tlog-witness server for the logs it is told to follow."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from custos.cli._common import console
from custos.domain.errors import InvalidInputError
from custos.ledger import Cosigner, NoteError, VerifierKey
from custos.workflow import ledger


def register(app: typer.Typer) -> None:
    """Add `custos witness` to the main app."""
    app.command("witness")(witness)


def _log_keys(specs: list[str]) -> dict[str, list[str]]:
    """`ORIGIN=VKEY` or a bare `VKEY` (origin: the key's name) → {origin: [vkeys]}."""
    logs: dict[str, list[str]] = {}
    for spec in specs:
        head, sep, tail = spec.partition("=")
        origin, vkey = (head, tail) if sep and "+" not in head else ("", spec)
        try:
            key = VerifierKey.parse(vkey)
        except NoteError as exc:
            raise InvalidInputError(f"--log {spec!r}: {exc}") from None
        logs.setdefault(origin or key.name, []).append(vkey)
    return logs


def witness(
    key_file: Annotated[Path, typer.Option(help="This witness's signer key file (mode 0600).")],
    log: Annotated[
        list[str],
        typer.Option(
            help="A log to witness: ORIGIN=VERIFIER_KEY, or a verifier key named after the "
            "origin (repeatable)."
        ),
    ],
    state: Annotated[
        str, typer.Option(help="SQLAlchemy URL of the witness's own database.")
    ] = "sqlite:///./var/witness.db",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8100,
) -> None:
    """Serve C2SP tlog-witness `POST /add-checkpoint`: cosign each checkpoint consistent with
    the last one cosigned for its log; refuse and keep the evidence of any other."""
    import uvicorn

    from custos.api.witness import create_witness_app

    signer = ledger.read_key_file(key_file)[0]
    logs = _log_keys(log)
    cosigner = Cosigner(
        logs=logs,
        signer_key=signer,
        state=ledger.SqlWitnessMemory.from_url(state),
        clock=lambda: int(time.time()),
    )
    console.print(f"witnessing {', '.join(sorted(logs))} on http://{host}:{port}/add-checkpoint")
    uvicorn.run(create_witness_app(cosigner), host=host, port=port, log_level="warning")
