"""What every command shares: settings, the context, and mapping errors to exit codes."""

from __future__ import annotations

import os
import re
import sys

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from custos.config import Settings
from custos.domain.errors import CustosError
from custos.workflow.context import Context

console = Console()
err_console = Console(stderr=True)
#: C0 controls but newline and tab, DEL, and the C1 controls (ECMA-48 sections 5.2 and 5.3).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe(value: object, *, multiline: bool = False) -> str:
    """`value` as text a terminal and Rich show but never obey: control characters (ESC, CSI,
    NUL, BEL...) become visible `\\xNN`, Rich markup is escaped. Line breaks are kept only
    when `multiline`."""
    text = (_CONTROL if multiline else _CONTROL_OR_BREAK).sub(_visible, str(value))
    return escape(text)


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
        err_console.print(
            f"[red]error:[/red] {safe(exc.diagnostics(), multiline=True)}", highlight=False
        )
        sys.exit(exc.exit_code)
