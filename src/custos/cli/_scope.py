"""`custos request scope`: counsel records what a legal document names, from the command line.

The same step as the classification form on the staff request page and `POST
/v1/staff/requests/{id}/classify` with a `scope`: the options are read into the
`LegalProcessInput` the API takes and handed to `requests.classify`, which re-runs the decision
under the recorded scope. Every malformed option is reported at once, by the option as typed,
and nothing is stored unless all of them are sound.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from custos.cli._common import context, safe
from custos.cli._output import line
from custos.domain.errors import FieldProblem, InvalidInputError
from custos.domain.legal import LegalProcessKind
from custos.domain.lifecycle import RequestStatus
from custos.domain.programs import FieldRef, Program
from custos.workflow import accounts, requests
from custos.workflow.intake import LegalProcessInput, SubjectInput

_DAY = ["%Y-%m-%d"]
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

#: `custos request scope --help`, written for the agency's lawyers, a paragraph at a time.
_PARAGRAPHS = (
    "Record what a legal document names (its scope), as counsel reads it.",
    (
        "Nothing is disclosed beyond what the document names. Name the people as they appear "
        "on the document, each by one identifier: --case-number, --ssn, or --name with the "
        "birth date. Anyone the request asks about whom the document does not name is withheld "
        "as \"outside the document's scope\", whether or not the agency's records hold them. "
        "Name no one when the document names nobody in particular (a criterion)."
    ),
    (
        "Name what the document reaches: whole programs (--program snap) or single fields "
        "(--field snap/address), and the period of records it covers (--from, --until) if it "
        "says."
    ),
    (
        "Each use replaces the scope recorded before; the decision is re-run and earlier "
        "approvals no longer count. If the decision then discloses nothing to anyone, the "
        "request is denied in the same step. Give --kind to correct what the document is at "
        "the same time."
    ),
    (
        "Example, an order naming two people, for their TANF records since 2025: custos "
        "request scope REQUEST_ID --as counsel --program tanf --from 2025-01-01 --case-number "
        '1000012345 --name "Jane Q. Doe, 1990-01-02"'
    ),
)
_HELP = "\n\n".join(_PARAGRAPHS)

AsUser = Annotated[str, typer.Option("--as", help="Act as this staff member (a legal reviewer).")]
CaseNumbers = Annotated[
    list[str] | None,
    typer.Option("--case-number", help="A person the document names by case number."),
]
Ssns = Annotated[
    list[str] | None,
    typer.Option("--ssn", help="A person the document names by SSN (123-45-6789)."),
]
Names = Annotated[
    list[str] | None,
    typer.Option(
        "--name",
        help='A person the document names by full name and birth date: "NAME, YYYY-MM-DD".',
    ),
]
Programs = Annotated[
    list[Program] | None,
    typer.Option("--program", help="A program whose records the document reaches."),
]
Fields = Annotated[
    list[str] | None, typer.Option("--field", help="A single field it reaches: program/field.")
]
From = Annotated[
    dt.datetime | None,
    typer.Option("--from", formats=_DAY, help="First day of the records it covers."),
]
Until = Annotated[
    dt.datetime | None,
    typer.Option("--until", formats=_DAY, help="Last day of the records it covers."),
]
Kind = Annotated[
    LegalProcessKind | None,
    typer.Option(help="What the document is, if the request has it wrong."),
]


def register(request_app: typer.Typer) -> None:
    request_app.command("scope", help=_HELP)(request_scope)


def request_scope(
    request_id: Annotated[str, typer.Argument(help="The request the document supports.")],
    as_user: AsUser,
    case_number: CaseNumbers = None,
    ssn: Ssns = None,
    name: Names = None,
    program: Programs = None,
    field: Fields = None,
    period_from: From = None,
    period_until: Until = None,
    kind: Kind = None,
    note: Annotated[str, typer.Option(help="Counsel's note, kept with the review.")] = "",
) -> None:
    problems: list[FieldProblem] = []
    scope: dict[str, Any] = {
        "programs": list(program or []),
        "fields": _fields(field or [], problems),
        "people": _people(case_number or [], ssn or [], name or [], problems),
        "period_from": period_from.date() if period_from else None,
        "period_until": period_until.date() if period_until else None,
    }
    if period_from and period_until and period_until < period_from:
        problems.append(FieldProblem(path="--until", message="is before --from"))
    if not problems and not any(scope.values()):
        problems.append(
            FieldProblem(
                path="scope",
                message="name at least one person, program, field or date; "
                "to confirm the classification as it is, use `custos request classify`",
            )
        )
    if problems:
        raise InvalidInputError("the scope is invalid; nothing was recorded", problems)
    ctx = context()
    actor = accounts.staff_by_username(ctx, as_user)
    view = requests.get_for_staff(ctx, actor=actor, request_id=request_id)
    current = dict(view.classified_process or view.legal_process)
    process = _process(current | {"kind": kind or current["kind"], "scope": scope})
    status = requests.classify(
        ctx, actor=actor, request_id=request_id, legal_process=process, note=note
    )
    _report(requests.get_for_staff(ctx, actor=actor, request_id=request_id), status)


def _fields(given: list[str], problems: list[FieldProblem]) -> list[str]:
    for value in given:
        try:
            FieldRef.parse(value)
        except ValueError:
            problems.append(
                FieldProblem(
                    path=f"--field {safe(value)}",
                    message="expected program/field, e.g. snap/address",
                )
            )
    return given


def _people(
    case_numbers: list[str], ssns: list[str], names: list[str], problems: list[FieldProblem]
) -> list[dict[str, str]]:
    """The people as the API takes them; each malformed one becomes a problem naming its option.

    An SSN is never echoed back: it is named by its position among the `--ssn` options.
    """
    given: list[tuple[str, dict[str, str]]] = [
        (f"--case-number {safe(c)}", {"case_number": c}) for c in case_numbers
    ]
    given += [(f"--ssn (number {i})", {"ssn": s}) for i, s in enumerate(ssns, start=1)]
    for value in names:
        full_name, _, born = value.rpartition(",")
        if not full_name.strip() or not _is_day(born.strip()):
            problems.append(
                FieldProblem(
                    path=f"--name {safe(value)}",
                    message='give the full name and birth date as "NAME, YYYY-MM-DD"',
                )
            )
            continue
        given.append(
            (f"--name {safe(value)}", {"full_name": full_name, "birth_date": born.strip()})
        )
    people: list[dict[str, str]] = []
    for option, person in given:
        try:
            SubjectInput.model_validate(person).to_domain()
        except (ValueError, ValidationError) as exc:
            message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            problems.append(FieldProblem(path=option, message=message))
            continue
        people.append(person)
    return people


def _is_day(value: str) -> bool:
    if not _ISO_DAY.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _process(data: dict[str, Any]) -> LegalProcessInput:
    try:
        return LegalProcessInput.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(path=".".join(str(p) for p in e["loc"]) or "scope", message=e["msg"])
            for e in exc.errors()
        ]
        raise InvalidInputError("the scope is invalid; nothing was recorded", problems) from None


def _report(view: requests.StaffRequestView, status: RequestStatus) -> None:
    """What the scope did to the request, in counts of the people it asks about."""
    outside = sum(c.people for c in view.classes if c.outside_scope)
    line(
        f"scope recorded for {view.id}; decision re-run: {len(view.subjects) - outside} of "
        f"{len(view.subjects)} person(s) asked about are named by the document, {outside} "
        "withheld as outside the document's scope"
    )
    if status is RequestStatus.DENIED:
        line("it discloses nothing to anyone, so the request is denied")
    else:
        line(f"request {view.id}: {status.value}")
