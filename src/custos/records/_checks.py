"""Checking one row of an import file: its columns, their rules, and the problems report.

The rules follow docs/records-schema.md. A problem names the row and the column but never the
cell's value, because the report may be shown to someone who should not see the data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from custos.domain.errors import ImportRejectedError, RowProblem
from custos.domain.programs import Program
from custos.domain.subjects import normalize_name, normalize_ssn
from custos.records._frames import IMMIGRATION_STATUSES, RELATIONSHIPS
from custos.records._geography import canonical_county

REQUIRED_COLUMNS: tuple[str, ...] = (
    "household_case_number",
    "county",
    "street",
    "city",
    "zip",
    "dcn",
    "first_name",
    "last_name",
    "birth_date",
    "immigration_status",
)
PROGRAM_COLUMNS: dict[str, tuple[str, str, str]] = {
    p.value: (f"{p.value}_monthly_amount_cents", f"{p.value}_start_date", f"{p.value}_end_date")
    for p in Program
}
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "ssn",
    "phone",
    "employer",
    "relationship",
    "determination_on_file",
    "opted_out",
    *(c for cols in PROGRAM_COLUMNS.values() for c in cols),
)
ALL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: Problems kept for the report; past this only a count is kept.
MAX_PROBLEMS = 1_000
#: Row number of problems with the file as a whole (its header, its encoding).
FILE_ROW = 0

_CODE = re.compile(r"^[0-9A-Za-z-]{1,20}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CENTS = re.compile(r"^\d{1,9}$")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_LIMITS = {
    "street": 200,
    "city": 80,
    "first_name": 80,
    "last_name": 80,
    "phone": 20,
    "employer": 120,
}


@dataclass(frozen=True, kw_only=True)
class Row:
    case_number: str
    household: tuple[str, str, str, str]  # county, street, city, zip
    person: dict[str, Any]
    enrolments: list[dict[str, Any]]


@dataclass(kw_only=True)
class Report:
    problems: list[RowProblem] = field(default_factory=list)
    dropped: int = 0

    def add(self, row: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(RowProblem(row=row, column=column, message=message))
        else:
            self.dropped += 1

    def raise_if_any(self, what: str) -> None:
        if not self.problems:
            return
        rows = list(self.problems)
        if self.dropped:
            rows.append(
                RowProblem(row=FILE_ROW, column="*", message=f"{self.dropped} more problems")
            )
        count = len(self.problems) + self.dropped
        raise ImportRejectedError(f"{what}: {count} problem(s); nothing was imported", rows)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _date(
    report: Report, row: int, column: str, value: str | None, *, required: bool
) -> dt.date | None:
    value = _text(value)
    if value is None:
        if required:
            report.add(row, column, "required")
        return None
    if not _DATE.match(value):
        report.add(row, column, "not a date in YYYY-MM-DD form")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        report.add(row, column, "not a real calendar date")
        return None


def _flag(report: Report, row: int, column: str, value: str | None) -> bool:
    value = _text(value)
    if value is None:
        return False
    if value.lower() in _TRUE:
        return True
    if value.lower() not in _FALSE:
        report.add(row, column, "not a yes/no value (true/false, yes/no, 1/0)")
    return False


def parse_row(report: Report, row: int, cells: dict[str, str | None], today: dt.date) -> Row | None:
    """One row checked and converted; None (with problems reported) when it is bad."""
    before = len(report.problems) + report.dropped
    value = {c: _text(cells.get(c)) for c in ALL_COLUMNS}
    for column in REQUIRED_COLUMNS:
        if value[column] is None and column != "birth_date":
            report.add(row, column, "required")
    for column, limit in _LIMITS.items():
        text = value[column]
        if text is not None and len(text) > limit:
            report.add(row, column, f"longer than {limit} characters")
    county = _check_household(report, row, value)
    person = _check_person(report, row, value, today)
    enrolments = _check_enrolments(report, row, value)
    if len(report.problems) + report.dropped > before or county is None or person is None:
        return None
    return Row(
        case_number=str(value["household_case_number"]),
        household=(county, str(value["street"]), str(value["city"]), str(value["zip"])),
        person=person,
        enrolments=enrolments,
    )


def _check_household(report: Report, row: int, value: dict[str, str | None]) -> str | None:
    """The household columns checked; returns the county's stored spelling."""
    for column in ("household_case_number", "dcn"):
        code = value[column]
        if code is not None and not _CODE.match(code):
            report.add(row, column, "1–20 letters, digits or dashes")
    zip_code = value["zip"]
    if zip_code is not None and not _ZIP.match(zip_code):
        report.add(row, "zip", "a ZIP code is 5 digits, or ZIP+4 as 12345-6789")
    if value["county"] is None:
        return None
    county = canonical_county(value["county"])
    if county is None:
        report.add(row, "county", "not a Missouri county (or 'St. Louis City')")
    return county


def _check_person(
    report: Report, row: int, value: dict[str, str | None], today: dt.date
) -> dict[str, Any] | None:
    ssn: str | None = None
    if value["ssn"] is not None:
        try:
            ssn = normalize_ssn(value["ssn"])
        except ValueError:
            report.add(row, "ssn", "an SSN is nine digits, optionally as 123-45-6789")
    status = value["immigration_status"]
    if status is not None and status not in IMMIGRATION_STATUSES:
        report.add(row, "immigration_status", "one of: " + ", ".join(IMMIGRATION_STATUSES))
    relationship = value["relationship"] or "head"
    if relationship not in RELATIONSHIPS:
        report.add(row, "relationship", "one of: " + ", ".join(RELATIONSHIPS))
    birth = _date(report, row, "birth_date", value["birth_date"], required=True)
    if birth is not None and not _EARLIEST_BIRTH <= birth <= today:
        report.add(row, "birth_date", "outside 1900-01-01 to today")
    name_norm = normalize_name(f"{value['first_name'] or ''} {value['last_name'] or ''}")
    if value["first_name"] is not None and value["last_name"] is not None and not name_norm:
        report.add(row, "first_name", "the name has no letters or digits")
    determination = _flag(report, row, "determination_on_file", value["determination_on_file"])
    opted_out = _flag(report, row, "opted_out", value["opted_out"])
    if birth is None:
        return None
    return {
        "dcn": value["dcn"],
        "first_name": value["first_name"],
        "last_name": value["last_name"],
        "name_norm": name_norm,
        "birth_date": birth,
        "ssn": ssn,
        "phone": value["phone"] or "",
        "employer": value["employer"] or "",
        "relationship": relationship,
        "immigration_status": status,
        "determination_on_file": determination,
        "opted_out": opted_out,
        "photo_ref": "",
    }


def _check_enrolments(
    report: Report, row: int, value: dict[str, str | None]
) -> list[dict[str, Any]]:
    """One enrolment per program whose columns are filled in."""
    enrolments = []
    for program, (amount_col, start_col, end_col) in PROGRAM_COLUMNS.items():
        if value[amount_col] is None and value[start_col] is None and value[end_col] is None:
            continue
        start = _date(report, row, start_col, value[start_col], required=True)
        end = _date(report, row, end_col, value[end_col], required=False)
        amount = value[amount_col]
        if amount is None:
            report.add(row, amount_col, "required when the person is enrolled")
        elif not _CENTS.match(amount):
            report.add(row, amount_col, "whole cents, 0 to 999999999, digits only")
        if start is not None and end is not None and end < start:
            report.add(row, end_col, "before the start date")
        enrolments.append(
            {
                "program": program,
                "monthly_amount_cents": int(amount) if amount and _CENTS.match(amount) else 0,
                "start_date": start,
                "end_date": end,
            }
        )
    return enrolments
