"""`custos policy …`: check, test, diff, explain, replay, activate and publish policy packs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from custos import policy
from custos.cli._common import console, context, err_console, load_settings
from custos.workflow import accounts
from custos.workflow import policy as policy_service

policy_app = typer.Typer(
    help="Policy packs: check, test, diff, explain, replay.", no_args_is_help=True
)

PackArg = Annotated[str, typer.Argument(help="A pack folder, or a pack name in the policies dir.")]
AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (username).")]

#: Exit code when a check or a test fails (a broken pack maps to PolicyError's code).
FAILED = 1


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(policy_app, name="policy")


def _path(pack: str) -> Path:
    candidate = Path(pack)
    if candidate.is_dir():
        return candidate
    return load_settings().policies_dir / pack


@policy_app.command("check")
def check_cmd(pack: PackArg) -> None:
    """Validate a pack: schema, annotations, citations, tests, coverage, compelled duties, 1373."""
    report = policy.check(_path(pack))
    for f in report.findings:
        colour = "red" if f.severity is policy.Severity.ERROR else "yellow"
        console.print(
            f"[{colour}]{f.severity.value}[/{colour}] {escape(f'[{f.code}]')} {escape(f.message)}",
            highlight=False,
        )
    if report.passed:
        tests = len(report.tests.results) if report.tests else 0
        console.print(
            f"ok: {report.pack} passes policy check ({tests} test cases, "
            f"{len(report.warnings)} warning(s) for counsel)",
            highlight=False,
        )
        return
    err_console.print(f"{report.pack}: {len(report.errors)} error(s)", highlight=False)
    raise typer.Exit(FAILED)


@policy_app.command("test")
def test_cmd(pack: PackArg) -> None:
    """Run the pack's own test cases; failures show expected and actual and the rules fired."""
    report = policy.run_tests(policy.load_pack(_path(pack)))
    for result in report.results:
        mark = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
        console.print(f"{mark} {result.case.name}", highlight=False)
        for m in result.mismatches:
            console.print(
                f"     {m.field}: expected {m.expected}, got {m.actual}; "
                f"rules fired: {', '.join(m.rules_fired) or 'none'}",
                highlight=False,
            )
    failed = len(report.failures)
    console.print(f"{len(report.results) - failed} passed, {failed} failed", highlight=False)
    if not report.passed:
        raise typer.Exit(FAILED)


@policy_app.command("diff")
def diff_cmd(
    pack_a: PackArg,
    pack_b: PackArg,
    fmt: Annotated[str, typer.Option("--format", help="markdown or html.")] = "markdown",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead.")] = None,
) -> None:
    """Where two packs decide differently over a generated space of scenarios."""
    if fmt not in {"markdown", "html"}:
        raise typer.BadParameter("--format is markdown or html")
    report = policy.diff(policy.load_pack(_path(pack_a)), policy.load_pack(_path(pack_b)))
    text = report.to_markdown() if fmt == "markdown" else report.to_html()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(report.summary(), highlight=False)


@policy_app.command("page")
def page_cmd(
    pack: PackArg,
    lang: Annotated[str, typer.Option(help="en or es.")] = "en",
    fmt: Annotated[str, typer.Option("--format", help="html or markdown.")] = "html",
) -> None:
    """The public, plain-language page of a pack."""
    if lang not in policy.LANGS or fmt not in {"html", "markdown"}:
        raise typer.BadParameter("--lang is en or es; --format is html or markdown")
    typer.echo(policy.public_page(policy.load_pack(_path(pack)), lang, fmt), nl=False)


@policy_app.command("explain")
def explain_cmd(
    request_id: Annotated[str, typer.Argument(help="The request's id.")],
    as_user: AsUser,
    as_json: Annotated[bool, typer.Option("--json", help="The API's JSON form.")] = False,
) -> None:
    """Per person × field: the decision, rules, citations and obligations, in plain words."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    explanation = policy_service.explain_request(ctx, actor=actor, request_id=request_id)
    if as_json:
        typer.echo(json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(explanation.to_text(), nl=False)


@policy_app.command("replay")
def replay_cmd(
    pack: Annotated[str, typer.Argument(help="Name of the pack to replay under.")],
    since: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
    as_user: AsUser,
) -> None:
    """Re-decide every stored request since DATE under another pack; count the differences."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    report = policy_service.replay_since(ctx, actor=actor, pack_name=pack, since=since.date())
    typer.echo(report.to_text(), nl=False)


@policy_app.command("activate")
def activate_cmd(
    pack: Annotated[str, typer.Argument(help="Name of the pack to put in force.")],
    as_user: AsUser,
) -> None:
    """Put a pack version in force (it must pass check); recorded as a ledger event."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    done = policy_service.activate_pack(ctx, actor=actor, name=pack)
    console.print(
        f"activated {done['name']} {done['version']} ({done['content_hash'][:12]})",
        highlight=False,
    )
