"""`custos release …`: build, verify, follow retention, recall, correct and purge releases.

`verify` is for recipients too: it runs offline and needs only the package, the agency's
verifier key and (to check the decrypted payload) the recipient's age identity file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pyrage import x25519
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from custos.cli._common import console, context, safe
from custos.cli._output import AsJson, Column, line, listing
from custos.domain.errors import InvalidInputError
from custos.release import PayloadFormat, verify_package
from custos.workflow import accounts, releases

release_app = typer.Typer(
    help="Releases: build, verify, retention, recall, correction, purge.", no_args_is_help=True
)
AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (username).")]


def register(app: typer.Typer) -> None:
    app.add_typer(release_app, name="release")


@release_app.command("build")
def build(
    request_id: str,
    as_user: AsUser,
    fmt: Annotated[
        PayloadFormat | None,
        typer.Option("--format", help="csv, jsonl or parquet (default: parquet for bulk)."),
    ] = None,
) -> None:
    """Build, encrypt, account for and publish the release of an approved request."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("minimizing and encrypting", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        view = releases.build(ctx, actor=actor, request_id=request_id, fmt=fmt, progress=progress)
    line(
        f"release {view.id}: {view.people:,} people, {view.rows:,} rows, {view.format} — "
        f"retain until {view.retention_until}"
    )


def _verifier_keys(key: str) -> list[str]:
    path = Path(key)
    if path.is_file():
        return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [key]


@release_app.command("verify")
def verify(
    package: Annotated[Path, typer.Argument(help="The package: a .tar file or its directory.")],
    agency_key: Annotated[
        str,
        typer.Option(
            "--agency-key", help="The agency's verifier key, or a file of them (one a line)."
        ),
    ],
    identity: Annotated[
        Path | None,
        typer.Option("--identity", "-i", help="Your age identity file, to check the payload."),
    ] = None,
) -> None:
    """Check a release package offline: signature, manifest, ciphertext and payload hashes."""
    identities = None
    if identity is not None:
        try:
            identities = [
                x25519.Identity.from_str(line.strip())
                for line in identity.read_text(encoding="utf-8").splitlines()
                if line.strip().startswith("AGE-SECRET-KEY-")
            ]
        except (OSError, ValueError):
            raise InvalidInputError("the identity file cannot be read") from None
        if not identities:
            raise InvalidInputError("the identity file holds no age identity")
    result = verify_package(
        package, verifier_keys=_verifier_keys(agency_key), identities=identities
    )
    m = result.manifest
    line(
        f"OK release {safe(m['release'])} of request {safe(m['request'])}: {m['rows']:,} rows, "
        f"fields {safe(', '.join(m['fields']))}; retain until {safe(m['retention_until'])}"
    )
    line(
        "payload decrypted and its SHA-256 matches the signed manifest"
        if result.decrypted
        else "ciphertext matches the signed manifest (give --identity to check the payload)"
    )


_RETENTION_COLUMNS = (
    Column("release", lambda i: i.release_id, is_id=True),
    Column("request", lambda i: i.request_id, is_id=True),
    Column("requester", lambda i: i.requester_name),
    Column("status", lambda i: f"{i.status}{' (overdue)' if i.overdue else ''}"),
    Column("deadline", lambda i: i.deadline.isoformat()),
    Column("days left", lambda i: i.days_left),
)


@release_app.command("retention")
def retention(
    as_user: AsUser,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="First mark releases past their deadline overdue.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Releases by destruction deadline; overdue ones are flagged."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    if sweep:
        marked = releases.sweep_retention_as(ctx, actor=actor)
        if not as_json:
            line(f"{len(marked)} release(s) newly overdue")
    listing(releases.retention_view(ctx, actor=actor), _RETENTION_COLUMNS, as_json=as_json)


@release_app.command("recall")
def recall(
    release_id: str,
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why the data must be destroyed.")],
    destroy_by: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Attestation due by (YYYY-MM-DD).")
    ],
) -> None:
    """Demand destruction of a release (tracked until attested)."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    notice = releases.recall(
        ctx, actor=actor, release_id=release_id, reason=reason, destroy_by=destroy_by.date()
    )
    line(f"recall {notice.id}: destroy by {notice.destroy_by}")


@release_app.command("correction")
def correction(
    release_id: str,
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="What was wrong.")],
) -> None:
    """Send the corrected rows of a release, encrypted and signed like the release."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    notice = releases.correct(ctx, actor=actor, release_id=release_id, reason=reason)
    line(f"correction {notice.id}: {notice.rows:,} rows")


@release_app.command("purge")
def purge(
    as_user: AsUser,
    grace_days: Annotated[
        int | None,
        typer.Option(min=0, help="Days to keep ciphertext after delivery (default: the setting)."),
    ] = None,
) -> None:
    """Delete internal ciphertext after delivery plus the grace period (manifests stay)."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    summary = releases.purge_as(ctx, actor=actor, grace_days=grace_days)
    line(f"purged {len(summary.purged)} release(s), {len(summary.orphans)} orphan(s)")
