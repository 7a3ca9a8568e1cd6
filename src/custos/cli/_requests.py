"""`custos staff|requester|agreement|request …`: the operator's view of accounts and requests.

The CLI runs on the server with direct database access, so it acts as a named staff member
(`--as USERNAME`) without a password; role checks still apply to that member, exactly as over
the API. Requesters use the API.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from custos.cli import _officers, _scope
from custos.cli._common import context, safe
from custos.cli._output import AsJson, Column, dump, line, listing, show
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.errors import ConflictError, FieldProblem, InvalidInputError
from custos.domain.lifecycle import RequestStatus
from custos.domain.programs import FieldRef, Program
from custos.domain.roles import Role
from custos.workflow import (
    accounts,
    agreements,
    documents,
    requests,
    second_factor,
    tokens,
    totp_seal,
)
from custos.workflow.context import Context
from custos.workflow.intake import LegalProcessInput, RequestInput

AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (username).")]

staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
requester_app = typer.Typer(
    help="Requester agencies, their API tokens and their officers.", no_args_is_help=True
)
agreement_app = typer.Typer(
    help="Agreements (MOUs, data-sharing agreements).", no_args_is_help=True
)
request_app = typer.Typer(
    help="Disclosure requests: submit, review, approve, deny.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")
    app.add_typer(requester_app, name="requester")
    _officers.register(requester_app)
    app.add_typer(agreement_app, name="agreement")
    app.add_typer(request_app, name="request")
    _scope.register(request_app)


def _problems_from(exc: ValidationError) -> InvalidInputError:
    return InvalidInputError(
        "the input is invalid",
        [
            FieldProblem(path=".".join(str(p) for p in e["loc"]) or "input", message=e["msg"])
            for e in exc.errors()
        ],
    )


# --- staff ----------------------------------------------------------------------------------


@staff_app.command("create")
def staff_create(  # nosec B107  (the password is prompted for; "" is never accepted)
    username: str,
    role: Annotated[list[Role], typer.Option("--role", help="Repeat for several roles.")],
    display_name: Annotated[str, typer.Option()] = "",
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="CUSTOS_NEW_PASSWORD"
        ),
    ] = "",
    as_user: Annotated[
        str | None, typer.Option("--as", help="Acting admin; omit to bootstrap.")
    ] = None,
) -> None:
    """Create a staff account; without --as, the server operator bootstraps the first admin."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user) if as_user else None
    staff = accounts.create_staff(
        ctx,
        actor=actor,
        username=username,
        display_name=display_name,
        password=password,
        roles=set(role),
    )
    line(f"created {safe(staff.username)} ({staff.id}) with roles {', '.join(sorted(staff.roles))}")


@staff_app.command("reset-second-factor")
def staff_reset_second_factor(
    username: Annotated[str, typer.Argument(help="The staff member who lost their factor.")],
    as_user: Annotated[str, typer.Option("--as", help="Acting administrator (username).")],
) -> None:
    """Reset another staff member's lost second factor: their sessions end, and they enrol a
    new one at their next sign-in. Nobody resets their own."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    target = accounts.staff_by_username(ctx, username)
    second_factor.reset(ctx, actor=actor, staff_id=target.id)
    line(f"reset the second factor of {safe(username)}: they enrol a new one at next sign-in")


@staff_app.command("totp-keygen")
def staff_totp_keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the key (must not exist).")],
) -> None:
    """Create the key that encrypts staff's and officers' TOTP secrets (CUSTOS_TOTP_KEY_PATH).

    Keep it outside the database and its backups: a database copy without it mints no codes.
    Lose it and every second factor must be reset.
    """
    try:
        totp_seal.write_key_file(path)
    except FileExistsError:
        raise ConflictError(f"{path} exists; a key is never overwritten") from None
    line(f"wrote a new TOTP key to {safe(path)} (mode 0600); set CUSTOS_TOTP_KEY_PATH to it")


# --- requesters -----------------------------------------------------------------------------


@requester_app.command("register")
def requester_register(
    name: str,
    kind: Annotated[RequesterKind, typer.Option()],
    age_recipient: Annotated[list[str], typer.Option("--age-recipient", help="age1… public key")],
    as_user: AsUser,
    contact: Annotated[str, typer.Option()] = "",
) -> None:
    """Register an outside agency that may send requests."""
    ctx = context()
    view = accounts.register_requester(
        ctx,
        actor=accounts.staff_by_username(ctx, as_user),
        name=name,
        kind=kind,
        age_recipients=age_recipient,
        contact=contact,
    )
    line(f"registered {safe(view.name)} as {view.id}")


_REQUESTER_COLUMNS = (
    Column("id", lambda r: r.id, is_id=True),
    Column("name", lambda r: r.name),
    Column("kind", lambda r: r.kind),
    Column("active", lambda r: "yes" if r.active else "no"),
)


@requester_app.command("list")
def requester_list(as_user: AsUser, as_json: AsJson = False) -> None:
    """List requester agencies."""
    ctx = context()
    found = accounts.list_requesters(ctx, actor=accounts.staff_by_username(ctx, as_user))
    listing(found, _REQUESTER_COLUMNS, as_json=as_json)


@requester_app.command("token")
def requester_token(
    requester_id: str,
    as_user: AsUser,
    scope: Annotated[list[str] | None, typer.Option("--scope")] = None,
    days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
) -> None:
    """Issue an API token. It is shown once; store it safely."""
    ctx = context()
    issued = tokens.issue_token(
        ctx,
        actor=accounts.staff_by_username(ctx, as_user),
        requester_id=requester_id,
        scopes=scope,
        lifetime_days=days,
    )
    line(
        f"token {issued.token_id}, expires {issued.expires_at:%Y-%m-%d}, "
        f"scopes {safe(', '.join(issued.scopes))}"
    )
    typer.echo(issued.token)


@requester_app.command("revoke-token")
def requester_revoke(token_id: str, as_user: AsUser) -> None:
    """Revoke an API token at once."""
    ctx = context()
    tokens.revoke_token(ctx, actor=accounts.staff_by_username(ctx, as_user), token_id=token_id)
    line(f"revoked {safe(token_id)}")


# --- agreements -----------------------------------------------------------------------------


@agreement_app.command("register")
def agreement_register(
    requester_id: str,
    title: Annotated[str, typer.Option()],
    document: Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)],
    party: Annotated[list[str], typer.Option("--party")],
    program: Annotated[list[Program], typer.Option("--program")],
    purpose: Annotated[list[Purpose], typer.Option("--purpose")],
    valid_from: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    valid_until: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    as_user: AsUser,
    field: Annotated[list[str] | None, typer.Option("--field", help="program/field")] = None,
    retention_days: Annotated[int, typer.Option(min=1)] = 1826,
) -> None:
    """Record a signed agreement; its document's SHA-256 binds it."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    sha = documents.upload(
        ctx,
        actor=actor,
        content=document.read_bytes(),
        filename=document.name,
        content_type="application/octet-stream",
    )
    view = agreements.register_agreement(
        ctx,
        actor=actor,
        requester_id=requester_id,
        title=title,
        parties=party,
        programs=program,
        fields=[FieldRef.parse(f) for f in field or []],
        purposes=purpose,
        retention_days=retention_days,
        valid_from=valid_from.date(),
        valid_until=valid_until.date(),
        document_sha256=sha,
    )
    line(f"recorded agreement {view.id}")


# --- requests -------------------------------------------------------------------------------


def _load_request_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{path.name} is not JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path.name} must hold a JSON object")
    return data


@request_app.command("submit")
def request_submit(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The request as JSON (API schema).")
    ],
    requester_id: Annotated[str, typer.Option(help="The requester the request is entered for.")],
    as_user: AsUser,
    document: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="The legal document.")
    ] = None,
) -> None:
    """Enter a request received on paper, with its legal document."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    raw = _load_request_file(file)
    if document is not None:
        content_type = (
            "application/pdf" if document.suffix.lower() == ".pdf" else "application/octet-stream"
        )
        sha = documents.upload(
            ctx,
            actor=actor,
            content=document.read_bytes(),
            filename=document.name,
            content_type=content_type,
        )
        raw.setdefault("legal_process", {})["document_sha256"] = sha
    try:
        data = RequestInput.model_validate(raw)
    except ValidationError as exc:
        raise _problems_from(exc) from None
    rid = requests.submit(ctx, actor=actor, data=data, requester_id=requester_id)
    view = requests.get_for_staff(ctx, actor=actor, request_id=rid)
    line(f"request {rid}: {view.status.value}, decision {_outcome(view.outcome)}")


def _outcome(outcome: Any) -> str:
    return str(outcome.value) if outcome else "-"


def _flags(item: requests.QueueItem) -> str:
    return " ".join(f for f, on in (("EMERGENCY", item.emergency), ("bulk", item.bulk)) if on)


_QUEUE_COLUMNS = (
    Column("id", lambda i: i.id, is_id=True),
    Column("requester", lambda i: i.requester_name),
    Column("status", lambda i: i.status),
    Column("decision", lambda i: _outcome(i.outcome)),
    Column("process", lambda i: i.legal_process),
    Column("flags", _flags),
    Column("submitted", lambda i: f"{i.submitted_at:%Y-%m-%d %H:%M}"),
)


@request_app.command("list")
def request_list(
    as_user: AsUser,
    status: Annotated[list[RequestStatus] | None, typer.Option("--status")] = None,
    as_json: AsJson = False,
) -> None:
    """The queue, emergencies first."""
    ctx = context()
    items = requests.queue(ctx, actor=accounts.staff_by_username(ctx, as_user), statuses=status)
    listing(items, _QUEUE_COLUMNS, as_json=as_json)


def _print_request(view: requests.StaffRequestView) -> None:
    line(f"[bold]{view.id}[/bold] from {safe(view.requester_name)} ({view.requester_kind.value})")
    line(
        f"status {view.status.value}; decision {_outcome(view.outcome)}; "
        f"pack {safe(view.pack_name)} {safe(view.pack_hash or '')}"
    )
    line(f"purpose {view.purpose.value}: {safe(view.purpose_text, multiline=True)}")
    process = view.classified_process or view.legal_process
    line(
        f"legal process {safe(process['kind'])} "
        f"({'reviewed' if view.classified_by else 'not yet reviewed'})"
    )
    if view.emergency_statement:
        line(f"[red]EMERGENCY[/red]: {safe(view.emergency_statement, multiline=True)}")
    for cls in view.classes:
        table = Table("field", "decision", "rules", "citations", title=f"{cls.people} person(s)")
        for f in cls.fields:
            table.add_row(
                safe(f.field),
                f.effect.value,
                safe(", ".join(f.rule_ids) or "(none)"),
                safe("; ".join(f.citations) or "-"),
            )
        show(table)
    approvals = sum(a.decision_version == view.decision_version for a in view.approvals)
    line(f"approvals: {approvals} of {view.approvals_needed}")
    window = _window_line(view)
    if window:
        line(window)


def _window_line(view: requests.StaffRequestView) -> str | None:
    """The challenge window in one line: who must be told first, and when it may go."""
    if not view.noticed_before:
        return None
    told = f"challenge window: {view.noticed_before} person(s) told before disclosure"
    if view.letters_unsent:
        return f"{told}; {view.letters_unsent} letter(s) not yet marked sent (no release date yet)"
    return f"{told}; earliest release {view.earliest_release}"


@request_app.command("show")
def request_show(request_id: str, as_user: AsUser, as_json: AsJson = False) -> None:
    """A request with its per-field decision, rules and citations."""
    ctx = context()
    view = requests.get_for_staff(
        ctx, actor=accounts.staff_by_username(ctx, as_user), request_id=request_id
    )
    if as_json:
        dump(view)
    else:
        _print_request(view)


@request_app.command("classify")
def request_classify(
    request_id: str,
    as_user: AsUser,
    kind: Annotated[
        str | None, typer.Option(help="Corrected legal-process kind; omit to confirm.")
    ] = None,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Confirm or correct the legal-process classification (legal reviewer)."""
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    corrected = None
    if kind is not None:
        current = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
        base = dict(current.classified_process or current.legal_process)
        base["kind"] = kind
        try:
            corrected = LegalProcessInput.model_validate(base)
        except ValidationError as exc:
            raise _problems_from(exc) from None
    status = requests.classify(
        ctx, actor=actor, request_id=request_id, legal_process=corrected, note=note
    )
    done = "corrected; decision re-run" if corrected else "confirmed"
    closed = "; it discloses nothing, so it is denied" if status is RequestStatus.DENIED else ""
    line(f"classification {done}{closed}")


@request_app.command("approve")
def request_approve(
    request_id: str, as_user: AsUser, note: Annotated[str, typer.Option()] = ""
) -> None:
    """Give one of the two approvals."""
    ctx = context()
    status = requests.approve(
        ctx, actor=accounts.staff_by_username(ctx, as_user), request_id=request_id, note=note
    )
    line(f"request {safe(request_id)}: {status.value}")


@request_app.command("deny")
def request_deny(request_id: str, as_user: AsUser, reason: Annotated[str, typer.Option()]) -> None:
    """Deny with a reason (kept internal; requesters see a neutral wording)."""
    ctx = context()
    requests.deny(
        ctx, actor=accounts.staff_by_username(ctx, as_user), request_id=request_id, reason=reason
    )
    line(f"request {safe(request_id)}: denied")


@request_app.command("lapse")
def request_lapse() -> None:
    """Lapse every open request whose legal process has expired."""
    ctx: Context = context()
    line(f"{requests.lapse_expired(ctx)} request(s) lapsed")
