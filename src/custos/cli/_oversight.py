"""`custos report …`, `custos alerts …`, `custos audit …`: oversight from the command line.

The CLI runs on the server with direct database access; `--as USERNAME` names the staff member
whose role is checked, as in the other staff commands. `custos report verify` needs no database:
anyone holding a ledger export can run it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from custos.cli._common import console, context, safe
from custos.cli._output import AsJson, dump
from custos.workflow import accounts, oversight

AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (username).")]

report_app = typer.Typer(help="Transparency reports: publish and verify.", no_args_is_help=True)
alerts_app = typer.Typer(
    help="Oversight alerts: check the rules, list alerts.", no_args_is_help=True
)
audit_app = typer.Typer(
    help="Auditors: export a self-contained audit bundle.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(report_app, name="report")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(audit_app, name="audit")


@report_app.command("transparency")
def transparency(
    period: Annotated[str, typer.Option(help="A year, half or quarter: 2026, 2026-H1, 2026-Q2.")],
    epsilon: Annotated[
        float | None,
        typer.Option(help="Add differentially private noise with this total epsilon (OpenDP)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Also copy the report's files to this directory.")
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Render the PDF (WeasyPrint).")] = True,
) -> None:
    """Compute, sign and publish the transparency report of a period."""
    published = oversight.transparency_report(context(), period=period, epsilon=epsilon, pdf=pdf)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name in published.files:
            if name != "exact-digest.key":
                shutil.copy2(published.directory / name, out / name)
    console.print(
        f"report {published.id} at checkpoint {published.checkpoint_size}: "
        f"{', '.join(published.files)} in {out or published.directory}"
    )
    console.print(f"sha256 {published.sha256}")


@report_app.command("verify")
def verify(
    report: Annotated[Path, typer.Argument(help="The report's directory, or its report.json.")],
    log: Annotated[Path, typer.Option(help="A ledger export (`custos ledger export`).")],
    key: Annotated[
        list[str] | None,
        typer.Option(help="A trusted log verifier key (repeatable); default: the export's."),
    ] = None,
    digest_key: Annotated[
        Path | None,
        typer.Option(help="exact-digest.key of a noisy report, to check its exact counts."),
    ] = None,
    packs: Annotated[
        Path,
        typer.Option(help="Policy packs; the one the log records classes the fields."),
    ] = oversight.DEFAULT_PACKS,
) -> None:
    """Recompute a report from a ledger export and check it matches. Non-zero on failure."""
    secret = bytes.fromhex(digest_key.read_text(encoding="utf-8").strip()) if digest_key else None
    result = oversight.verify_report(report, log, keys=key or [], secret=secret, packs=packs)
    if result.keys_from_export:
        console.print(
            "[yellow]note:[/yellow] trusting the keys in the export's keys.txt; "
            "pass --key with the log's published verifier key to check them too"
        )
    what = (
        "every figure recomputed and equal"
        if result.exact_checked
        else (
            "structure, totals, noise parameters and budget checked against the log; exact "
            "counts not checked (a noisy report, and no --digest-key)"
        )
    )
    console.print(
        f"OK: {result.report_id} matches the log at checkpoint {result.checkpoint_size} "
        f"({result.tables} tables): {what}"
    )


@alerts_app.command("check")
def alerts_check() -> None:
    """Run the alert rules over the log; raise each new alert once."""
    found = oversight.check_alerts(context())
    for a in found:
        console.print(f"[bold]{a.kind.value}[/bold] {safe(a.summary)}", highlight=False)
    console.print(f"{len(found)} new alerts")


@alerts_app.command("list")
def alerts_list(
    as_user: AsUser,
    limit: Annotated[int, typer.Option(help="Most alerts to show.")] = 50,
    as_json: AsJson = False,
) -> None:
    """Alerts in the log, newest first (auditors, admins)."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    found = oversight.list_alerts(ctx, actor=actor, limit=limit)
    if as_json:
        dump(found)
        return
    for a in found:
        console.print(
            f"{a.index}\t{a.at:%Y-%m-%d %H:%M}\t{safe(a.alert)}\t{safe(a.summary)}",
            highlight=False,
        )


@audit_app.command("bundle")
def audit_bundle(
    directory: Annotated[Path, typer.Argument(help="An empty or new directory.")],
    as_user: AsUser,
) -> None:
    """Export entries, checkpoints, keys and release manifests for offline audit (logged)."""
    ctx = context()
    summary = oversight.export_bundle(
        ctx, actor=accounts.staff_by_username(ctx, as_user), directory=directory
    )
    console.print(
        f"bundle in {summary.directory}: {summary.entries} entries, "
        f"{summary.checkpoints} checkpoints, {summary.manifests} release manifests"
    )
