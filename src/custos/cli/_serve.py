"""`custos` commands: serve."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("version")(_version)


def _version() -> None:
    """Print the Custos version."""
    from custos import __version__

    typer.echo(__version__)
