"""`custos person|notice|concern …`: staff help people on their behalf, and the notice and
concern queues.

Like the other staff commands, these run on the server and act as a named staff member
(`--as USERNAME`); role checks apply to that member. `custos person verify` needs no
database: anyone can check a downloaded accounting offline with the log's verifier key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from custos.cli._common import context, safe
from custos.cli._output import AsJson, Column, dump, line, listing
from custos.domain.errors import IntegrityError
from custos.rights import html_to_pdf, verify_accounting
from custos.workflow import accounts, rights
from custos.workflow.context import Context

AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (username).")]

person_app = typer.Typer(help="Act on a person's behalf: codes, accounting.", no_args_is_help=True)
notice_app = typer.Typer(help="The queue of letters to people.", no_args_is_help=True)
concern_app = typer.Typer(help="Reports of suspected unauthorized sharing.", no_args_is_help=True)
challenge_app = typer.Typer(help="People's challenges, for legal review.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(person_app, name="person")
    app.add_typer(notice_app, name="notice")
    app.add_typer(concern_app, name="concern")
    app.add_typer(challenge_app, name="challenge")


@person_app.command("find")
def find(case_number: str, as_: AsUser, as_json: AsJson = False) -> None:
    """Person ids with this DCN or household case number."""
    ctx = context()
    found = rights.find_person(
        ctx, actor=accounts.staff_by_username(ctx, as_), case_number=case_number
    )
    if as_json:
        dump(found)
        return
    for pid in found:
        line(safe(pid))


@person_app.command("code")
def code(
    person_id: str,
    as_: AsUser,
    letter: Annotated[
        Path | None, typer.Option(help="Write the letter with the code here (.html or .pdf).")
    ] = None,
    language: Annotated[str | None, typer.Option(help="en or es (default: the person's).")] = None,
) -> None:
    """Issue a one-time access code. The code is shown once: print its letter now."""
    ctx = context()
    issued = rights.issue_access_code(
        ctx, actor=accounts.staff_by_username(ctx, as_), person_id=person_id, language=language
    )
    if letter is not None:
        if letter.suffix == ".pdf":
            letter.write_bytes(html_to_pdf(issued.letter_html))
        else:
            letter.write_text(issued.letter_html, encoding="utf-8")
    line(f"code {issued.code} (expires {issued.expires_at:%Y-%m-%d}), notice {issued.notice_id}")


_DISCLOSURE_COLUMNS = (
    Column("date", lambda d: d.entry.disclosed_at.date().isoformat()),
    Column("recipient", lambda d: d.entry.requester_name),
    Column("fields", lambda d: ", ".join(d.entry.fields)),
    Column("basis", lambda d: "required by law" if d.entry.compelled else "discretionary"),
    Column(
        "destroy by",
        lambda d: d.entry.retention_until.isoformat() if d.entry.retention_until else "—",
    ),
    Column("status", lambda d: d.status),
    Column("proof", lambda d: "yes" if d.proof else "next checkpoint"),
)


def _write_accounting(ctx: Context, acc: rights.Accounting, out: Path) -> None:
    if out.suffix == ".json":
        out.write_text(json.dumps(rights.accounting_json(acc), indent=2), encoding="utf-8")
        return
    letter = rights.accounting_letter(ctx, acc, pdf=out.suffix == ".pdf")
    if isinstance(letter, bytes):
        out.write_bytes(letter)
    else:
        out.write_text(letter, encoding="utf-8")


@person_app.command("disclosures")
def disclosures(
    person_id: str,
    as_: AsUser,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the accounting here: .json (with proofs), .html or .pdf."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """A person's accounting of disclosures, for them (the view they would get themselves)."""
    ctx = context()
    acc = rights.accounting_for_staff(
        ctx, actor=accounts.staff_by_username(ctx, as_), person_id=person_id
    )
    if out is not None:
        _write_accounting(ctx, acc, out)
    if as_json:
        typer.echo(json.dumps(rights.accounting_json(acc), indent=2))
        return
    listing(acc.disclosures, _DISCLOSURE_COLUMNS, as_json=False)
    for w in acc.withheld:
        line(safe(rights.withheld_message(w), multiline=True))
    for p in acc.pending:
        line(f"pending {p.request_id}: {safe(p.requester_name)}, challenge by {p.challenge_by}")


@person_app.command("verify")
def verify(
    accounting: Path,
    key: Annotated[list[str], typer.Option(help="A trusted log verifier key (repeatable).")],
) -> None:
    """Check a downloaded accounting (JSON) offline against its signed checkpoint.

    Every entry's inclusion proof, the completeness proof and each status's proof (its
    release's lifecycle events) are checked; the exit code is non-zero on any failure.
    """
    verify_accounting_file(accounting, key)


def verify_accounting_file(accounting: Path, key: list[str]) -> None:
    """The check behind `custos person verify` and `custos ledger verify FILE`."""
    try:
        document = json.loads(accounting.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise IntegrityError("the accounting file cannot be read as JSON") from None
    result = verify_accounting(document, verifier_keys=key)
    newer = len(result.unproven)
    newer_text = f"; {newer} newer, checked but not yet provable" if newer else ""
    line(
        f"OK: {len(result.indices)} disclosures proven in the log of "
        f"{safe(result.checkpoint.origin)} at size {result.checkpoint.size}, each about "
        f"{safe(result.person)}; the list is complete: {result.complete.count} accounting "
        f"entries name this person below entry {result.complete.covers}{newer_text}; "
        "each status proven by its release's lifecycle events "
        f"({sum(result.release_events.values())} for {len(result.release_events)} releases, "
        "none left out)"
    )


@notice_app.command("sweep")
def sweep(as_: AsUser) -> None:
    """Queue the letters that are due (disclosures made, requests noticed before release)."""
    ctx = context()
    count = rights.sweep_notices_as(ctx, actor=accounts.staff_by_username(ctx, as_))
    line(f"{count} notices queued")


_NOTICE_COLUMNS = (
    Column("id", lambda n: n.id, is_id=True),
    Column("person", lambda n: n.person_id, is_id=True),
    Column("kind", lambda n: n.kind),
    Column("language", lambda n: n.language),
    Column("created", lambda n: n.created_at.isoformat(timespec="minutes")),
)


@notice_app.command("list")
def list_notices(as_: AsUser, status: str = "queued", as_json: AsJson = False) -> None:
    """Notices by status (queued, sent): the letters to print and mail."""
    ctx = context()
    found = rights.notice_queue(ctx, actor=accounts.staff_by_username(ctx, as_), status=status)
    listing(found, _NOTICE_COLUMNS, as_json=as_json)


@notice_app.command("print")
def print_notice(notice_id: str, as_: AsUser, out: Path) -> None:
    """Render a letter to `out` (.html or .pdf)."""
    ctx = context()
    letter = rights.render_notice(
        ctx,
        actor=accounts.staff_by_username(ctx, as_),
        notice_id=notice_id,
        pdf=out.suffix == ".pdf",
    )
    if isinstance(letter, bytes):
        out.write_bytes(letter)
    else:
        out.write_text(letter, encoding="utf-8")


@notice_app.command("sent")
def mark_sent(notice_id: str, as_: AsUser) -> None:
    """Record that a printed notice was mailed (logged in the ledger)."""
    ctx = context()
    rights.mark_notice_sent(ctx, actor=accounts.staff_by_username(ctx, as_), notice_id=notice_id)
    line(f"{safe(notice_id)} marked sent")


_CONCERN_COLUMNS = (
    Column("id", lambda c: c.id, is_id=True),
    Column("acknowledgement", lambda c: c.acknowledgement, is_id=True),
    Column("received", lambda c: c.received_at.isoformat(timespec="minutes")),
    Column("status", lambda c: c.status),
    Column("description", lambda c: c.description),
)


@concern_app.command("list")
def list_concerns(as_: AsUser, status: str = "received", as_json: AsJson = False) -> None:
    """Concerns about unauthorized sharing, by triage status."""
    ctx = context()
    found = rights.concern_queue(ctx, actor=accounts.staff_by_username(ctx, as_), status=status)
    listing(found, _CONCERN_COLUMNS, as_json=as_json)


@concern_app.command("triage")
def triage(
    concern_id: str,
    as_: AsUser,
    priority: rights.ConcernPriority,
    note: str,
    close: bool = False,
) -> None:
    """Triage a concern: set its priority and note what the privacy officer found."""
    ctx = context()
    view = rights.triage_concern(
        ctx,
        actor=accounts.staff_by_username(ctx, as_),
        concern_id=concern_id,
        priority=priority,
        note=note,
        close=close,
    )
    line(f"{safe(view.acknowledgement)}: {safe(view.status)}")


_CHALLENGE_COLUMNS = (
    Column("id", lambda c: c.id, is_id=True),
    Column("request", lambda c: c.request_id, is_id=True),
    Column("target", lambda c: c.target),
    Column("filed", lambda c: c.filed_at.isoformat(timespec="minutes")),
    Column("status", lambda c: c.status),
    Column("recall needed", lambda c: c.recall_needed),
)


@challenge_app.command("file")
def file_for(
    person_id: str,
    as_: AsUser,
    reason: Annotated[str, typer.Option(help="The person's reason, in their words.")],
    release: Annotated[
        str | None, typer.Option(help="The release of a disclosure already made.")
    ] = None,
    request: Annotated[str | None, typer.Option(help="A pending request.")] = None,
) -> None:
    """Enter a challenge a person made by mail, phone or at a counter (intake, legal)."""
    ctx = context()
    view = rights.file_challenge_for(
        ctx,
        actor=accounts.staff_by_username(ctx, as_),
        person_id=person_id,
        request_id=request,
        release_id=release,
        reason=reason,
    )
    line(f"challenge {view.id} filed ({view.target} {view.release_id or view.request_id})")


@challenge_app.command("list")
def list_challenges(as_: AsUser, status: str = "open", as_json: AsJson = False) -> None:
    """Challenges by status (open, upheld, rejected)."""
    ctx = context()
    found = rights.challenge_queue(ctx, actor=accounts.staff_by_username(ctx, as_), status=status)
    listing(found, _CHALLENGE_COLUMNS, as_json=as_json)


@challenge_app.command("resolve")
def resolve(challenge_id: str, as_: AsUser, outcome: rights.ChallengeOutcome, reason: str) -> None:
    """Uphold or reject a challenge (legal reviewers)."""
    ctx = context()
    view = rights.resolve_challenge(
        ctx,
        actor=accounts.staff_by_username(ctx, as_),
        challenge_id=challenge_id,
        outcome=outcome,
        reason=reason,
    )
    line(f"{view.id}: {safe(view.status)}" + (" (recall needed)" if view.recall_needed else ""))
