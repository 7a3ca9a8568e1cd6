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
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import InvalidInputError
from custos.records._checks import (
    ALL_COLUMNS,
    FILE_ROW,
    OPTIONAL_COLUMNS,
    PROGRAM_COLUMNS,
    REQUIRED_COLUMNS,
    Report,
    Row,
    parse_row,
)
from custos.records._frames import ENROLMENT_SCHEMA, HOUSEHOLD_SCHEMA, PERSON_SCHEMA, RecordSet
from custos.records._load import LoadCounts, load
from custos.store.tables import Household, Person

__all__ = [
    "ALL_COLUMNS",
    "DEFAULT_MAX_BYTES",
    "OPTIONAL_COLUMNS",
    "PROGRAM_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportSummary",
    "load_file",
    "validate_file",
]

#: Files larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Rows read per batch: memory stays bounded however long the file is.
BATCH_ROWS = 50_000

Progress = Callable[[str, int], None]


@dataclass(frozen=True, kw_only=True)
class ImportSummary:
    """What an import wrote, and which file it was. No personal data: fit for the ledger."""

    file_format: str
    sha256: str
    size_bytes: int
    counts: LoadCounts


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


def _batches(path: Path, fmt: str, report: Report) -> Iterator[tuple[int, pl.DataFrame]]:
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

    def check(self, report: Report, row: int, parsed: Row) -> None:
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


def _check_store(session: Session, report: Report, rows: list[tuple[int, Row]]) -> None:
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
    report = Report()
    unique = _Uniqueness()
    count = 0
    for first, batch in _batches(path, fmt, report):
        good: list[tuple[int, Row]] = []
        for row, cells in _rows(batch, first):
            count += 1
            parsed = parse_row(report, row, cells, today)
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


def _record_set(
    report: Report,
    batch: pl.DataFrame,
    first: int,
    today: dt.date,
    household_ids: dict[str, str],
) -> RecordSet:
    """One batch's rows as the frames `load` writes; `household_ids` carries each case
    number's household id from batch to batch (a household's members may span two)."""
    households: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    enrolments: list[dict[str, Any]] = []
    for row, cells in _rows(batch, first):
        parsed = parse_row(report, row, cells, today)
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
    return RecordSet(
        households=pl.DataFrame(households, schema=HOUSEHOLD_SCHEMA),
        people=pl.DataFrame(people, schema=PERSON_SCHEMA),
        enrolments=pl.DataFrame(enrolments, schema=ENROLMENT_SCHEMA),
    )


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
    report = Report()
    household_ids: dict[str, str] = {}
    totals = {"households": 0, "people": 0, "enrolments": 0}
    for first, batch in _batches(path, fmt, report):
        records = _record_set(report, batch, first, today, household_ids)
        report.raise_if_any("the import file changed while it was imported")
        counts = load(session, records)
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
