"""Importing benefits records from CSV or Parquet: validate everything, then load everything.

The file's schema is documented in docs/records-schema.md. The import is all or nothing: a
first pass reads the whole file in bounded batches and checks every row (types, dates, SSN
shape, county, duplicates within the file and against the store); only a file with no problem
reaches the second pass, which reads it again and loads it. Problem messages name the row and
column but never echo a cell's value, because the report may be shown to someone who should not
see the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import ImportRejectedError, InvalidInputError, RowProblem
from custos.domain.programs import Program
from custos.domain.subjects import normalize_name, normalize_ssn
from custos.records._frames import (
    ENROLMENT_SCHEMA,
    HOUSEHOLD_SCHEMA,
    IMMIGRATION_STATUSES,
    PERSON_SCHEMA,
    RELATIONSHIPS,
    RecordSet,
)
from custos.records._geography import canonical_county
from custos.records._load import LoadCounts, load
from custos.store.tables import Household, Person

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

#: Files larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Rows read per batch: memory stays bounded however long the file is.
BATCH_ROWS = 50_000
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

Progress = Callable[[str, int], None]


@dataclass(frozen=True, kw_only=True)
class ImportSummary:
    """What an import wrote, and which file it was. No personal data: fit for the ledger."""

    file_format: str
    sha256: str
    size_bytes: int
    counts: LoadCounts


@dataclass(frozen=True, kw_only=True)
class _Row:
    case_number: str
    household: tuple[str, str, str, str]  # county, street, city, zip
    person: dict[str, Any]
    enrolments: list[dict[str, Any]]


@dataclass(kw_only=True)
class _Report:
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


def file_format(path: Path) -> str:
    """`csv` or `parquet`, from the file name; anything else is refused."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    raise InvalidInputError("import files are CSV (.csv) or Parquet (.parquet)")


def check_size(path: Path, max_bytes: int) -> int:
    """The file's size; refuses a missing file or one over `max_bytes`."""
    if not path.is_file():
        raise InvalidInputError("the import file does not exist or is not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInputError(
            f"the import file is {size:,} bytes, over the limit of {max_bytes:,} bytes; "
            "split it or raise the limit (--max-bytes)"
        )
    return size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scan(path: Path, fmt: str) -> pl.LazyFrame:
    if fmt == "csv":
        return pl.scan_csv(path, infer_schema=False, encoding="utf8")
    return pl.scan_parquet(path)


def _batches(path: Path, fmt: str, report: _Report) -> Iterator[tuple[int, pl.DataFrame]]:
    """(number of the batch's first row, batch with every column as text), 1-based rows."""
    try:
        lazy = _scan(path, fmt)
        names = lazy.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError):
        report.add(FILE_ROW, "*", f"the file cannot be read as {fmt.upper()}")
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [c for c in names if c not in ALL_COLUMNS]
    for column in missing:
        report.add(FILE_ROW, column, "required column is missing")
    for column in unknown:
        report.add(FILE_ROW, column, "unknown column (see docs/records-schema.md)")
    if len(set(names)) != len(names):
        report.add(FILE_ROW, "*", "a column name appears twice")
    if report.problems:
        return
    text = lazy.select(
        [pl.col(c).cast(pl.String) for c in names]
        + [pl.lit(None, dtype=pl.String).alias(c) for c in ALL_COLUMNS if c not in names]
    )
    first = 1
    try:
        for batch in text.collect_batches(chunk_size=BATCH_ROWS):
            yield first, batch
            first += batch.height
    except (pl.exceptions.PolarsError, OSError):
        report.add(
            FILE_ROW, "*", f"the file cannot be read as {fmt.upper()} (after row {first - 1})"
        )


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _date(
    report: _Report, row: int, column: str, value: str | None, *, required: bool
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


def _flag(report: _Report, row: int, column: str, value: str | None) -> bool:
    value = _text(value)
    if value is None:
        return False
    if value.lower() in _TRUE:
        return True
    if value.lower() not in _FALSE:
        report.add(row, column, "not a yes/no value (true/false, yes/no, 1/0)")
    return False


def _parse(report: _Report, row: int, cells: dict[str, str | None], today: dt.date) -> _Row | None:
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
    return _Row(
        case_number=str(value["household_case_number"]),
        household=(county, str(value["street"]), str(value["city"]), str(value["zip"])),
        person=person,
        enrolments=enrolments,
    )


def _check_household(report: _Report, row: int, value: dict[str, str | None]) -> str | None:
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
    report: _Report, row: int, value: dict[str, str | None], today: dt.date
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
    report: _Report, row: int, value: dict[str, str | None]
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


def _rows(batch: pl.DataFrame, first: int) -> Iterator[tuple[int, dict[str, str | None]]]:
    for offset, cells in enumerate(batch.iter_rows(named=True)):
        yield first + offset, cells


def _existing(session: Session, column: Any, values: Iterable[str]) -> set[str]:
    found: set[str] = set()
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == 900:  # noqa: PLR2004 - under every driver's parameter limit
            found.update(session.execute(select(column).where(column.in_(chunk))).scalars())
            chunk = []
    if chunk:
        found.update(session.execute(select(column).where(column.in_(chunk))).scalars())
    return found


@dataclass(kw_only=True)
class _Uniqueness:
    """First rows of every DCN, SSN and household seen, to find duplicates within the file."""

    dcns: dict[str, int] = field(default_factory=dict)
    ssns: dict[str, int] = field(default_factory=dict)
    households: dict[str, tuple[int, tuple[str, str, str, str]]] = field(default_factory=dict)

    def check(self, report: _Report, row: int, parsed: _Row) -> None:
        dcn, ssn = str(parsed.person["dcn"]), parsed.person["ssn"]
        if dcn in self.dcns:
            report.add(row, "dcn", f"the same DCN as row {self.dcns[dcn]}")
        else:
            self.dcns[dcn] = row
        if ssn is not None and ssn in self.ssns:
            report.add(row, "ssn", f"the same SSN as row {self.ssns[ssn]}")
        elif ssn is not None:
            self.ssns[ssn] = row
        seen = self.households.get(parsed.case_number)
        if seen is None:
            self.households[parsed.case_number] = (row, parsed.household)
        elif seen[1] != parsed.household:
            report.add(
                row,
                "household_case_number",
                f"county/street/city/zip differ from row {seen[0]} with the same case number",
            )


def _check_store(session: Session, report: _Report, rows: list[tuple[int, _Row]]) -> None:
    """Report rows whose DCN, SSN or household case number the store already holds."""
    checks: list[tuple[Any, str, str, dict[str, int]]] = [
        (Person.dcn, "dcn", "a person with this DCN", {}),
        (Person.ssn, "ssn", "a person with this SSN", {}),
        (Household.case_number, "household_case_number", "a household with this case number", {}),
    ]
    for row, parsed in rows:
        checks[0][3].setdefault(str(parsed.person["dcn"]), row)
        if parsed.person["ssn"] is not None:
            checks[1][3].setdefault(str(parsed.person["ssn"]), row)
        checks[2][3].setdefault(parsed.case_number, row)
    for column, name, what, first_rows in checks:
        for value in sorted(_existing(session, column, first_rows)):
            report.add(first_rows[value], name, f"{what} is already in the store")


def validate_file(
    session: Session,
    path: Path,
    *,
    today: dt.date,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> int:
    """Check every row of the file; returns the row count or raises ImportRejectedError.

    Reads only: run it in a reading session, then `load_file` in the writing transaction.
    """
    fmt = file_format(path)
    check_size(path, max_bytes)
    report = _Report()
    unique = _Uniqueness()
    count = 0
    for first, batch in _batches(path, fmt, report):
        good: list[tuple[int, _Row]] = []
        for row, cells in _rows(batch, first):
            count += 1
            parsed = _parse(report, row, cells, today)
            if parsed is not None:
                unique.check(report, row, parsed)
                good.append((row, parsed))
        _check_store(session, report, good)
        if progress is not None:
            progress("validate", batch.height)
    if count == 0 and not report.problems:
        report.add(FILE_ROW, "*", "the file has no rows")
    report.raise_if_any("the import file was rejected")
    return count


def load_file(
    session: Session,
    path: Path,
    *,
    today: dt.date,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> ImportSummary:
    """Load a file `validate_file` accepted, batch by batch, in the caller's transaction.

    Rows are parsed again rather than held from the first pass, so memory stays bounded; a
    file that changed in between fails its checks here and the caller's transaction rolls back.
    """
    fmt = file_format(path)
    size = check_size(path, max_bytes)
    digest = sha256_of(path)
    report = _Report()
    household_ids: dict[str, str] = {}
    totals = {"households": 0, "people": 0, "enrolments": 0}
    for first, batch in _batches(path, fmt, report):
        households: list[dict[str, Any]] = []
        people: list[dict[str, Any]] = []
        enrolments: list[dict[str, Any]] = []
        for row, cells in _rows(batch, first):
            parsed = _parse(report, row, cells, today)
            if parsed is None:
                continue
            hh_id = household_ids.get(parsed.case_number)
            if hh_id is None:
                hh_id = household_ids[parsed.case_number] = f"hh_{uuid.uuid4().hex}"
                county, street, city, zip_code = parsed.household
                households.append(
                    {
                        "id": hh_id,
                        "case_number": parsed.case_number,
                        "county": county,
                        "street": street,
                        "city": city,
                        "zip": zip_code,
                    }
                )
            person_id = f"per_{uuid.uuid4().hex}"
            people.append({"id": person_id, "household_id": hh_id, **parsed.person})
            enrolments.extend({"person_id": person_id, **e} for e in parsed.enrolments)
        report.raise_if_any("the import file changed while it was imported")
        counts = load(
            session,
            RecordSet(
                households=pl.DataFrame(households, schema=HOUSEHOLD_SCHEMA),
                people=pl.DataFrame(people, schema=PERSON_SCHEMA),
                enrolments=pl.DataFrame(enrolments, schema=ENROLMENT_SCHEMA),
            ),
        )
        for key, value in counts.as_dict().items():
            totals[key] += value
        if progress is not None:
            progress("load", batch.height)
    report.raise_if_any("the import file could not be read again")
    if sha256_of(path) != digest:
        raise InvalidInputError(
            "the import file changed while it was imported; nothing was imported"
        )
    return ImportSummary(
        file_format=fmt, sha256=digest, size_bytes=size, counts=LoadCounts(**totals)
    )
