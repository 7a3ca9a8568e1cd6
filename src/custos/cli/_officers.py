"""`custos requester officer add|list|suspend|reinstate|reset-second-factor`: requesting
agencies' officers.

An officer is a person with their own portal sign-in (password and TOTP code). `add` prints
the password and the TOTP secret (and its `otpauth://` URI) once: hand them to the officer,
who adds the secret to an authenticator app.
"""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli._common import context, safe
from custos.cli._output import AsJson, Column, dump, line, listing
from custos.workflow import accounts, officers

AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (username).")]

officer_app = typer.Typer(
    help="Officers of requesting agencies: their own portal accounts.", no_args_is_help=True
)


def register(requester_app: typer.Typer) -> None:
    requester_app.add_typer(officer_app, name="officer")


@officer_app.command("add")
def officer_add(
    requester_id: str,
    username: str,
    as_user: AsUser,
    name: Annotated[str, typer.Option(help="The officer's full name.")],
    email: Annotated[str, typer.Option(help="Work email.")] = "",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="CUSTOS_NEW_PASSWORD",
            help="Their first password; omit it to have a random one made.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Register an officer; prints their password and TOTP secret once."""
    ctx = context()
    made = officers.register(
        ctx,
        actor=accounts.staff_by_username(ctx, as_user),
        requester_id=requester_id,
        username=username,
        display_name=name,
        email=email,
        password=password,
    )
    if as_json:
        dump(made)
        return
    line(f"registered {safe(made.officer.display_name)} as {made.officer.id}")
    line(f"username: {safe(made.officer.username)}")
    line(f"password (shown once): {safe(made.password)}")
    line(f"TOTP secret (shown once): {made.totp_secret}")
    typer.echo(made.otpauth_uri)


_COLUMNS = (
    Column("id", lambda o: o.id, is_id=True),
    Column("agency", lambda o: o.requester_name),
    Column("name", lambda o: o.display_name),
    Column("username", lambda o: o.username),
    Column("status", lambda o: o.status),
)


@officer_app.command("list")
def officer_list(
    as_user: AsUser,
    requester: Annotated[
        str | None, typer.Option(help="Only this agency's (requester id).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List officers, by agency."""
    ctx = context()
    found = officers.list_officers(
        ctx, actor=accounts.staff_by_username(ctx, as_user), requester_id=requester
    )
    listing(found, _COLUMNS, as_json=as_json)


@officer_app.command("suspend")
def officer_suspend(officer_id: str, as_user: AsUser) -> None:
    """Suspend an officer: they cannot sign in, and their open sessions end now."""
    ctx = context()
    view = officers.suspend(
        ctx, actor=accounts.staff_by_username(ctx, as_user), officer_id=officer_id
    )
    line(f"suspended {safe(view.display_name)} ({view.id})")


@officer_app.command("reinstate")
def officer_reinstate(officer_id: str, as_user: AsUser) -> None:
    """Let a suspended officer sign in again."""
    ctx = context()
    view = officers.reinstate(
        ctx, actor=accounts.staff_by_username(ctx, as_user), officer_id=officer_id
    )
    line(f"reinstated {safe(view.display_name)} ({view.id})")


@officer_app.command("reset-second-factor")
def officer_reset_second_factor(officer_id: str, as_user: AsUser, as_json: AsJson = False) -> None:
    """Replace an officer's lost second factor (admin): prints the new TOTP secret once; the
    old one stops working and their sessions end."""
    ctx = context()
    made = officers.reset_second_factor(
        ctx, actor=accounts.staff_by_username(ctx, as_user), officer_id=officer_id
    )
    if as_json:
        dump(made)
        return
    line(f"reset the second factor of {safe(made.officer.display_name)} ({made.officer.id})")
    line(f"new TOTP secret (shown once): {made.totp_secret}")
    typer.echo(made.otpauth_uri)
