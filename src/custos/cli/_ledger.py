"""`custos ledger …`: checkpoints, proofs, export, static publishing, offline verification."""

from __future__ import annotations

import base64
import os
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from custos.cli._common import console, context, err_console
from custos.ledger import generate_key, verify_export
from custos.workflow import ledger

#: A checkpoint, even with many cosignatures, is a few KiB.
_MAX_CHECKPOINT_BYTES = 64 * 1024

ledger_app = typer.Typer(help="The verifiable ledger: checkpoints, proofs, export, verify.")
proof_app = typer.Typer(help="Inclusion and consistency proofs (RFC 9162).")
ledger_app.add_typer(proof_app, name="proof")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(ledger_app, name="ledger")


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
    """Integrate new entries, publish a signed checkpoint, submit it to the witnesses; prints
    it with the cosignatures received."""
    ctx = context()
    if every is None:
        typer.echo(ledger.publish_and_witness(ctx).note, nl=False)
        return
    stop = threading.Event()
    try:
        while not stop.is_set():
            published = ledger.publish_and_witness(ctx)
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


@ledger_app.command("publish")
def publish(directory: Path) -> None:
    """Write the public log (latest checkpoint and C2SP hash tiles) as static files."""
    summary = ledger.publish_static(context(), directory)
    console.print(
        f"published size {summary.size}: {summary.written} tiles written, {summary.kept} unchanged"
    )


@ledger_app.command("witness-add")
def witness_add(
    verifier_key: str,
    url: Annotated[
        str | None, typer.Option(help="The witness's tlog-witness submission prefix.")
    ] = None,
) -> None:
    """Trust a witness: its cosignatures are stored and served with checkpoints; with --url,
    every new checkpoint is submitted to it (C2SP tlog-witness)."""
    console.print(f"witness {ledger.add_witness(context(), verifier_key, url=url)} added")


def _read_checkpoint(source: str) -> str:
    """A checkpoint note from a file or an http(s) URL."""
    if urllib.parse.urlsplit(source).scheme in ("http", "https"):
        with urllib.request.urlopen(source, timeout=30) as resp:  # noqa: S310  # nosec B310 - scheme checked
            data: bytes = resp.read(_MAX_CHECKPOINT_BYTES)
        return data.decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


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
    checkpoint: Annotated[
        str | None,
        typer.Option(
            help="A trusted checkpoint (file or URL) the export must reach and agree with."
        ),
    ] = None,
    allow_unsigned_tail: Annotated[
        bool, typer.Option(help="Accept entries after the last signed checkpoint.")
    ] = False,
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
        trusted_checkpoint=_read_checkpoint(checkpoint) if checkpoint else None,
        allow_unsigned_tail=allow_unsigned_tail,
    )
    pinned = (
        f", reaching the trusted size {report.trusted.checkpoint.size}" if report.trusted else ""
    )
    console.print(
        f"OK: {report.verified_size} entries verified against {len(report.checkpoints)} "
        f"checkpoints{pinned} ({report.entries - report.verified_size} newer entries not yet "
        f"signed); {report.map_commits} map commits (accounting map and release map roots) "
        "recomputed and matching"
    )


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container or `taskset` may allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
