"""What every command shares: settings, the context, and mapping errors to exit codes."""

from __future__ import annotations

import os
import sys

import typer
from pydantic import ValidationError
from rich.console import Console

from custos.config import Settings
from custos.domain.errors import CustosError
from custos.workflow.context import Context

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    unknown = Settings.unknown_variables(os.environ)
    if unknown:
        err_console.print(
            f"[red]configuration error:[/red] unknown setting(s): {', '.join(unknown)}"
        )
        raise typer.Exit(78)
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        err_console.print(f"[red]configuration error:[/red] {problems}")
        raise typer.Exit(78) from None


def context() -> Context:
    return Context.from_settings(load_settings())


def run_guarded(app: typer.Typer) -> None:
    """Run the app; a CustosError prints its diagnostics and exits with its code.

    Usage errors are Typer's own (exit code 2); any other exception is a bug and keeps its
    traceback.
    """
    try:
        app()
    except CustosError as exc:
        err_console.print(f"[red]error:[/red] {exc.diagnostics()}", highlight=False)
        sys.exit(exc.exit_code)
