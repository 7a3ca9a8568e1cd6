"""`custos ledger …` and `custos witness`: checkpoints, proofs, export, offline verification."""

from __future__ import annotations

import base64
import os
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from custos.cli._common import console, context, err_console
from custos.ledger import generate_key
from custos.ledger._verify import verify_export
from custos.ledger._witness import CheckpointRefusedError, HttpLogClient, Witness
from custos.workflow import ledger

ledger_app = typer.Typer(help="The verifiable ledger: checkpoints, proofs, export, verify.")
proof_app = typer.Typer(help="Inclusion and consistency proofs (RFC 9162).")
ledger_app.add_typer(proof_app, name="proof")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(ledger_app, name="ledger")
    app.command("witness")(witness)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@ledger_app.command("keygen")
def keygen(
    name: Annotated[str, typer.Argument(help="Key name: the log's origin, or a witness's name.")],
    out: Annotated[Path, typer.Option(help="Signer key file to write (mode 0600).")],
    cosigner: Annotated[bool, typer.Option(help="Make a witness (cosignature/v1) key.")] = False,
    append_to: Annotated[
        bool, typer.Option("--append", help="Add to an existing key file (key rotation).")
    ] = False,
) -> None:
    """Create a signer key; prints the verifier key to publish."""
    signer, verifier = generate_key(name, cosigner=cosigner)
    lines = []
    if append_to and out.exists():
        lines = [ln for ln in out.read_text(encoding="utf-8").splitlines() if ln.strip()]
    ledger.write_key_file(out, [*lines, signer])
    typer.echo(verifier)


@ledger_app.command("checkpoint")
def checkpoint(
    every: Annotated[
        float | None, typer.Option(help="Keep publishing every N seconds (default: once).")
    ] = None,
) -> None:
    """Integrate new entries and publish a signed checkpoint; prints it."""
    ctx = context()
    if every is None:
        typer.echo(ledger.publish_checkpoint(ctx).note, nl=False)
        return
    stop = threading.Event()
    try:
        while not stop.is_set():
            published = ledger.publish_checkpoint(ctx)
            console.print(f"checkpoint size {published.size}")
            stop.wait(every)
    except KeyboardInterrupt:
        stop.set()


@ledger_app.command("show")
def show() -> None:
    """Print the latest checkpoint with its cosignatures."""
    typer.echo(ledger.latest_checkpoint(context()).note, nl=False)


@ledger_app.command("verifier-keys")
def verifier_keys() -> None:
    """Print the log's public verifier keys (one a line)."""
    for key in ledger.verifier_keys(context().settings):
        typer.echo(key)


@proof_app.command("inclusion")
def proof_inclusion(
    index: int,
    tree_size: Annotated[int | None, typer.Option(help="Default: latest checkpoint.")] = None,
) -> None:
    """An entry with its inclusion proof (auditors' view), as base64 lines."""
    found = ledger.entries(context(), index, 1, tree_size)
    if not found:
        err_console.print("no such entry in that tree")
        raise typer.Exit(3)
    entry = found[0]
    typer.echo(
        f"index {entry.index}\ntree_size {entry.tree_size}\nleaf_hash {_b64(entry.leaf_hash)}"
    )
    for h in entry.proof:
        typer.echo(_b64(h))


@proof_app.command("consistency")
def proof_consistency(first: int, second: int) -> None:
    """A consistency proof between two tree sizes, one base64 hash a line."""
    for h in ledger.consistency(context(), first, second):
        typer.echo(_b64(h))


@ledger_app.command("export")
def export(directory: Path) -> None:
    """Export entries, leaf hashes, checkpoints and keys for offline verification."""
    summary = ledger.export(context(), directory)
    console.print(f"exported {summary.entries} entries and {summary.checkpoints} checkpoints")


@ledger_app.command("witness-add")
def witness_add(verifier_key: str) -> None:
    """Trust a witness: its cosignatures will be stored and served with checkpoints."""
    console.print(f"witness {ledger.add_witness(context(), verifier_key)} added")


@ledger_app.command("verify")
def verify(
    directory: Annotated[
        Path,
        typer.Argument(
            help="An export directory, or a person's accounting of disclosures (a JSON file)."
        ),
    ],
    key: Annotated[list[str], typer.Option(help="A trusted log verifier key (repeatable).")],
    witness_key: Annotated[
        list[str] | None, typer.Option(help="A trusted witness verifier key (repeatable).")
    ] = None,
    min_witnesses: Annotated[int, typer.Option(help="Cosignatures each checkpoint needs.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes hashing the entries (default: one per CPU core)."),
    ] = None,
) -> None:
    """Verify offline: an export (signatures, consistency, every entry) or a person's accounting
    (each disclosure's inclusion proof against its signed checkpoint). Non-zero on failure."""
    if directory.is_file():
        from custos.cli._rights import verify_accounting_file

        verify_accounting_file(directory, key)
        return
    report = verify_export(
        directory,
        verifier_keys=key,
        witness_keys=witness_key or [],
        min_witnesses=min_witnesses,
        workers=workers or _usable_cpus(),
    )
    console.print(
        f"OK: {report.verified_size} entries verified against {len(report.checkpoints)} "
        f"checkpoints ({report.entries - report.verified_size} newer entries not yet signed)"
    )


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container or `taskset` may allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def witness(
    log: Annotated[str, typer.Option(help="The log's base URL (http or https).")],
    origin: Annotated[str, typer.Option(help="The log's origin line.")],
    log_key: Annotated[list[str], typer.Option(help="The log's verifier key (repeatable).")],
    key_file: Annotated[Path, typer.Option(help="This witness's signer key file.")],
    state: Annotated[
        str, typer.Option(help="SQLAlchemy URL of the witness's own database.")
    ] = "sqlite:///./var/witness.db",
    every: Annotated[float | None, typer.Option(help="Poll every N seconds.")] = None,
) -> None:
    """Run an independent witness: check each new checkpoint is consistent, then cosign."""
    signer = key_file.read_text(encoding="utf-8").strip().splitlines()[0]
    w = Witness(
        origin=origin,
        log_keys=log_key,
        signer_key=signer,
        memory=ledger.SqlWitnessMemory.from_url(state),
        client=HttpLogClient(log),
    )
    failed = False
    while True:
        try:
            result = w.step(now=int(time.time()))
            console.print(f"cosigned {origin} at size {result.checkpoint.size}")
        except CheckpointRefusedError as exc:
            failed = True
            err_console.print(f"[bold red]!!! {exc.diagnostics()} !!![/bold red]")
        if every is None:
            break
        time.sleep(every)
    if failed:
        raise typer.Exit(7)
