"""`custos serve`, `custos demo`, `custos db upgrade`, `custos version`."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custos.cli._common import console, context, load_settings, safe
from custos.workflow.context import Context

if TYPE_CHECKING:
    from pathlib import Path

    from custos.workflow.demo import DemoCredentials

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("version")(version)
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(db_app, name="db")


def version() -> None:
    """Print the Custos version."""
    from custos import __version__

    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema or migrate it to the newest version."""
    from custos.store.migrate import upgrade

    ctx = context()
    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(ctx.engine)
    console.print("schema is up to date")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes over the one database.")
    ] = 1,
) -> None:
    """Serve the API (and web pages) with uvicorn, in one process or several.

    Each worker builds the app from the same `CUSTOS_*` environment; one of them leads and
    runs the checkpoint publisher and housekeeping (`custos.workflow.leader`).
    """
    import uvicorn

    settings = load_settings()  # refuse a bad configuration before starting any worker
    Context.from_settings(settings).engine.dispose()
    uvicorn.run(
        "custos.api.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=_log_config(),
        access_log=settings.access_log,
        http="httptools",
        loop="uvloop",
        # A worker imports the whole command line before it answers its first health check;
        # on a loaded machine that takes longer than uvicorn's 5 s, and it would be killed.
        timeout_worker_healthcheck=60,
    )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with Custos's own loggers (leader, housekeeping, checkpoints) on
    the same handler, so what the background work does shows on the console."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["custos"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def demo(
    people: Annotated[
        int, typer.Option(min=0, help="Synthetic people to generate on first run.")
    ] = 5000,
    seed: Annotated[int, typer.Option()] = 7,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes over the one database.")
    ] = 1,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Set up, print credentials, exit.")
    ] = False,
) -> None:
    """Set up a demo (SQLite under ./var, synthetic people, demo accounts) and serve it."""
    import os

    os.environ.setdefault("CUSTOS_DEMO", "true")
    from custos.workflow import demo as demo_workflow

    ctx = context()
    creds = demo_workflow.set_up(ctx, people=people, seed=seed)
    _print_credentials(creds, demo_workflow.credentials_path(ctx), f"http://{host}:{port}")
    if no_serve:
        return
    typer.echo(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    serve(host=host, port=port, workers=workers)


#: How a newcomer gets an administrator's current sign-in code from the demo's secret.
TOTP_COMMAND = """.venv/bin/python -c 'import pyotp; print(pyotp.TOTP("{secret}").now())'"""


def _print_credentials(creds: DemoCredentials, path: Path, base: str) -> None:
    """Every credential whole, one a line (never a table a narrow terminal would cut), and
    where the file holding them is, first and last."""
    echo = typer.echo
    echo(f"Demo credentials, random for this installation, are saved in {path} (mode 0600).")
    echo("")
    echo(f"Staff (web: {base}/staff/ ; CLI: --as USERNAME):")
    width = max(len(u) for u in creds.staff)
    for user, password in creds.staff.items():
        echo(f"  {user:<{width}}  password {password}")
        if user in creds.totp:
            echo(
                f"  {'':<{width}}  TOTP secret {creds.totp[user]} (add it to an authenticator app)"
            )
    for user, secret in creds.totp.items():
        echo(f"Sign-in code for {user} now, without an app (the code changes every 30 seconds):")
        echo(f"  {TOTP_COMMAND.format(secret=secret)}")
    echo("")
    echo("Requesting agencies (API for machines: Authorization: Bearer TOKEN;")
    echo(f"  portal for their officers: {base}/portal/ with username, password and a TOTP code):")
    for rid, info in creds.requesters.items():
        echo(f"  {safe(info['name'])} ({info['kind']})")
        echo(f"    requester id  {rid}")
        echo(f"    API token     {info['token']}")
        echo(f"    age identity  {info['age_identity_file']}")
        if "officer_username" in info:
            echo(f"    officer       {safe(info['officer_name'])}")
            echo(f"      username    {info['officer_username']}")
            echo(f"      password    {info['officer_password']}")
            echo(f"      TOTP secret {info['officer_totp_secret']}")
    echo("")
    echo("An officer's current code (instead of an authenticator app holding the secret):")
    echo("  .venv/bin/python -c 'import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).now())' SECRET")
    echo("")
    echo(f"{creds.people:,} synthetic people in the records.")
    echo(f"All of the above is in {path}")
