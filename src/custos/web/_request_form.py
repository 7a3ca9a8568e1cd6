"""The requester's new-request form: its fields, and every problem with them at once.

The API's `RequestInput` stops at the first layer that fails (shape, then the request's own
rules), so an empty form would name only some of its problems. A person filling a form needs
them all in one go (the GOV.UK error summary pattern), so the form is checked here field by
field first, in the order the page shows the fields; only a form with no problem of its own
is handed to `RequestInput`, whose answer is then mapped back onto the fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import UploadFile
from pydantic import Field, ValidationError

from custos.domain.disclosure import Purpose
from custos.domain.errors import FieldProblem, InvalidInputError
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import FieldRef, FieldSpec, Program
from custos.domain.subjects import SubjectIdentifier
from custos.web._render import FormData, field_errors
from custos.workflow.intake import RequestInput

#: The form's questions in page order: the error summary lists problems in this order, and
#: the check-your-answers page's "Change" buttons name them.
ORDER = (
    "form",
    "subject",
    "full_name",
    "birth_date",
    "case_number",
    "ssn",
    "purpose",
    "purpose_text",
    "statements",
    "fields",
    "kind",
    "issuer",
    "docket_number",
    "signer",
    "issued_on",
    "expires_on",
    "document",
    "emergency_statement",
)

#: Where a problem's link in the error summary goes when it is not the field's own input.
ANCHORS = {"subject": "f-full_name", "statements": "f-fleeing_or_violating", "form": ""}

#: Service problem paths → the form's names.
ALIASES = {
    "legal_process.document_sha256": "document",
    "legal_process.kind": "kind",
    "subjects": "subject",
    "request": "form",
    "purpose_text": "purpose_text",
}


def _optional(value: str) -> str | None:
    return value.strip() or None


class RequestForm(FormData):
    """The request form: who and what is asked for, why, under which legal process.

    `document_sha256` and `document_name` carry an already uploaded document through the
    check-your-answers page and back, since a browser cannot refill a file input.
    """

    document: UploadFile | None = None
    document_sha256: str = ""
    document_name: str = ""
    purpose: str = ""
    purpose_text: str = ""
    kind: str = ""
    issuer: str = ""
    docket_number: str = ""
    signer: str = ""
    issued_on: str = ""
    expires_on: str = ""
    full_name: str = ""
    birth_date: str = ""
    case_number: str = ""
    ssn: str = ""
    fields: list[str] = Field(default_factory=list)
    fleeing_or_violating: str = ""
    locating_is_official_duty: str = ""
    proper_exercise_of_duty: str = ""
    emergency_statement: str = ""

    def request_input(self) -> dict[str, Any]:
        """The form as the requester API's request body (`RequestInput`) has it."""
        subject = {
            "full_name": _optional(self.full_name),
            "birth_date": _optional(self.birth_date),
            "case_number": _optional(self.case_number),
            "ssn": _optional(self.ssn),
        }
        return {
            "subjects": [subject] if any(subject.values()) else [],
            "fields": self.fields,
            "purpose": self.purpose,
            "purpose_text": self.purpose_text,
            "legal_process": {
                "kind": self.kind,
                "issuer": self.issuer,
                "docket_number": self.docket_number,
                "signer": self.signer,
                "issued_on": _optional(self.issued_on),
                "expires_on": _optional(self.expires_on),
                "document_sha256": self.document_sha256 or None,
            },
            "statements": {
                "fleeing_or_violating": bool(self.fleeing_or_violating),
                "locating_is_official_duty": bool(self.locating_is_official_duty),
                "proper_exercise_of_duty": bool(self.proper_exercise_of_duty),
            },
            "emergency_statement": _optional(self.emergency_statement),
        }


def _date(value: str, errors: dict[str, str], name: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "Enter a real date, for example 2026-03-01"
        return None


def _subject_problems(form: RequestForm, errors: dict[str, str]) -> None:
    birth = _date(form.birth_date, errors, "birth_date")
    given = [form.full_name, form.birth_date, form.case_number, form.ssn]
    if not any(v.strip() for v in given):
        errors["subject"] = (
            "Name the person: full name and date of birth, or case number, or Social Security "
            "number"
        )
        return
    if "birth_date" in errors:
        return
    try:
        SubjectIdentifier(
            full_name=_optional(form.full_name),
            birth_date=birth,
            case_number=_optional(form.case_number),
            ssn=_optional(form.ssn),
        )
    except ValueError as exc:
        key = "ssn" if "SSN is nine digits" in str(exc) else "subject"
        errors[key] = str(exc)[:1].upper() + str(exc)[1:]


def _process_problems(form: RequestForm, errors: dict[str, str]) -> None:
    if form.kind not in {k.value for k in LegalProcessKind}:
        errors["kind"] = "Choose the kind of legal process"
    issued = _date(form.issued_on, errors, "issued_on")
    expires = _date(form.expires_on, errors, "expires_on")
    if issued and expires and expires < issued:
        errors["expires_on"] = "The expiry date must be on or after the date it was issued"
    if form.kind != LegalProcessKind.NONE.value and not form.document_sha256:
        errors.setdefault("document", "Upload the signed document")


def own_problems(form: RequestForm, catalogue: Mapping[FieldRef, FieldSpec]) -> dict[str, str]:
    """Every problem the form itself shows, by field (an upload's refusal already in)."""
    errors: dict[str, str] = {}
    _subject_problems(form, errors)
    if form.purpose not in {p.value for p in Purpose}:
        errors["purpose"] = "Choose the purpose of the request"
    if not form.purpose_text.strip():
        errors["purpose_text"] = "Describe the purpose: what you will use the information for"
    known = {str(ref) for ref in catalogue}
    if not form.fields:
        errors["fields"] = "Choose at least one piece of information"
    elif any(f not in known for f in form.fields):
        errors["fields"] = "Choose the information from the list"
    elif len(set(form.fields)) != len(form.fields):
        errors["fields"] = "Each piece of information is asked for once"
    _process_problems(form, errors)
    return errors


def _pydantic_problems(exc: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            path=".".join(str(p) for p in e["loc"] if not isinstance(p, int)),
            message=str(e["msg"]),
        )
        for e in exc.errors()
    ]


def check(
    form: RequestForm, catalogue: Mapping[FieldRef, FieldSpec], requester_id: str
) -> tuple[RequestInput | None, dict[str, str]]:
    """The request the form makes, or every problem with it (keyed by form field)."""
    errors = own_problems(form, catalogue)
    if errors:
        return None, errors
    try:
        data = RequestInput.model_validate(form.request_input())
        data.to_domain(requester_id)
    except ValidationError as exc:
        return None, field_errors(_pydantic_problems(exc), ALIASES)
    except InvalidInputError as exc:
        problems = exc.problems or (FieldProblem(path="form", message=str(exc)),)
        return None, field_errors(problems, ALIASES)
    return data, {}


def anchor(name: str) -> str:
    """The id of the input a question's link or "Change" button goes to."""
    return ANCHORS.get(name, f"f-{name}")


def summary(errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """The error summary: (link target, message) in page order, unknown keys last."""
    rank = {name: i for i, name in enumerate(ORDER)}
    keys = sorted(errors, key=lambda k: rank.get(k, len(ORDER)))
    return [(anchor(k), errors[k]) for k in keys]


def by_program(catalogue: Mapping[FieldRef, FieldSpec]) -> list[tuple[Program, list[FieldSpec]]]:
    """The catalogue's fields grouped by program, in the catalogue's own order."""
    groups: dict[Program, list[FieldSpec]] = {}
    for ref, spec in catalogue.items():
        groups.setdefault(ref.program, []).append(spec)
    return list(groups.items())


__all__ = ["ALIASES", "RequestForm", "by_program", "check", "own_problems", "summary"]
