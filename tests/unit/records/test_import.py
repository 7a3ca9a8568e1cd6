"""Importing records files: every row is checked first, and a bad file writes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select

from custos.domain.errors import ImportRejectedError, InvalidInputError
from custos.domain.subjects import SubjectIdentifier
from custos.records import match
from custos.store.tables import Enrolment, Household, LedgerEntry, Person
from custos.workflow import records as records_workflow
from custos.workflow.context import Context

GOOD: list[dict[str, str]] = [
    {
        "household_case_number": "A-100",
        "county": "St. Louis City",
        "street": "12 Olive St",
        "city": "St. Louis",
        "zip": "63101",
        "dcn": "5550001",
        "first_name": "Ana",
        "last_name": "Núñez",
        "birth_date": "1990-02-03",
        "ssn": "901-22-3333",
        "relationship": "head",
        "immigration_status": "refugee_asylee",
        "snap_monthly_amount_cents": "25000",
        "snap_start_date": "2024-01-01",
    },
    {
        "household_case_number": "A-100",
        "county": "Saint Louis City",
        "street": "12 Olive St",
        "city": "St. Louis",
        "zip": "63101",
        "dcn": "5550002",
        "first_name": "Teo",
        "last_name": "Núñez",
        "birth_date": "2015-06-07",
        "relationship": "child",
        "immigration_status": "citizen",
        "medicaid_monthly_amount_cents": "40000",
        "medicaid_start_date": "2024-01-01",
        "medicaid_end_date": "2024-12-31",
    },
    {
        "household_case_number": "B-200",
        "county": "boone county",
        "street": "9 Elm St",
        "city": "Columbia",
        "zip": "65201-1234",
        "dcn": "5550003",
        "first_name": "Jo",
        "last_name": "O'Hara",
        "birth_date": "1960-10-10",
        "immigration_status": "citizen",
        "opted_out": "yes",
    },
]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(c for row in rows for c in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def counts(ctx: Context) -> tuple[int, int, int, int]:
    with ctx.reading() as s:
        return tuple(  # type: ignore[return-value]
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Household, Person, Enrolment, LedgerEntry)
        )


def rejected(ctx: Context, path: Path, **kwargs: Any) -> ImportRejectedError:
    before = counts(ctx)
    with pytest.raises(ImportRejectedError) as info:
        records_workflow.import_file(ctx, path, **kwargs)
    assert counts(ctx) == before, "a rejected file must write nothing"
    return info.value


def problems(error: ImportRejectedError) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in error.rows}


def test_a_good_csv_imports_every_row_and_logs_counts_only(
    sqlite_ctx: Context, tmp_path: Path
) -> None:
    summary = records_workflow.import_file(sqlite_ctx, write_csv(tmp_path / "in.csv", GOOD))
    assert summary.counts.as_dict() == {"households": 2, "people": 3, "enrolments": 2}
    assert counts(sqlite_ctx) == (2, 3, 2, 1)
    with sqlite_ctx.reading() as s:
        body = s.execute(select(LedgerEntry.body)).scalar_one()
        ana = match(s, SubjectIdentifier(full_name="ana nunez", birth_date=dt.date(1990, 2, 3)))
        teo_ssn, teo_rel = s.execute(
            select(Person.ssn, Person.relationship).where(Person.dcn == "5550002")
        ).one()
        jo_opted_out = s.execute(select(Person.opted_out).where(Person.dcn == "5550003")).scalar()
    entry = json.loads(body)
    assert entry["tag"] == "records:import:complete"
    assert entry["data"]["sha256"] == summary.sha256
    assert entry["data"]["people"] == 3
    for secret in ("Ana", "Núñez", "901223333", "5550001", "Olive"):
        assert secret not in body.decode()
    assert ana is not None
    assert (teo_ssn, teo_rel) == (None, "child")
    assert jo_opted_out


def test_household_members_share_one_household(sqlite_ctx: Context, tmp_path: Path) -> None:
    records_workflow.import_file(sqlite_ctx, write_csv(tmp_path / "in.csv", GOOD))
    with sqlite_ctx.reading() as s:
        rows = s.execute(
            select(Person.dcn, Household.case_number, Household.county).join(Household)
        ).all()
    by_dcn = {dcn: (case, county) for dcn, case, county in rows}
    assert by_dcn["5550001"] == by_dcn["5550002"] == ("A-100", "St. Louis City")
    assert by_dcn["5550003"] == ("B-200", "Boone")


def test_parquet_with_native_types_imports(sqlite_ctx: Context, tmp_path: Path) -> None:
    frame = pl.DataFrame(GOOD).with_columns(
        pl.col("birth_date").str.to_date(),
        pl.col("snap_monthly_amount_cents").cast(pl.Int64),
    )
    path = tmp_path / "in.parquet"
    frame.write_parquet(path)
    summary = records_workflow.import_file(sqlite_ctx, path)
    assert summary.file_format == "parquet"
    assert summary.counts.people == 3


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (2, "birth_date", "03/02/1990"),
        (2, "birth_date", "1990-02-30"),
        (2, "birth_date", "2999-01-01"),
        (1, "ssn", "12-345-678"),
        (3, "county", "Atlantis"),
        (3, "county", "St. Louis"),
        (1, "zip", "6310"),
        (2, "immigration_status", "alien"),
        (1, "relationship", "cousin"),
        (1, "snap_monthly_amount_cents", "250.00"),
        (1, "snap_start_date", ""),
        (2, "medicaid_end_date", "2023-01-01"),
        (3, "opted_out", "maybe"),
        (3, "dcn", "55 5003"),
        (3, "first_name", ""),
    ],
)
def test_each_bad_cell_is_reported_by_row_and_column(
    sqlite_ctx: Context, tmp_path: Path, row: int, column: str, value: str
) -> None:
    rows = [dict(r) for r in GOOD]
    rows[row - 1][column] = value
    error = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows))
    assert (row, column) in problems(error)


def test_the_problem_report_never_repeats_personal_data(
    sqlite_ctx: Context, tmp_path: Path
) -> None:
    rows = [dict(r) for r in GOOD]
    rows[0]["ssn"] = "901-22-33334"
    rows[1]["birth_date"] = "2015/06/07"
    rows[2]["last_name"] = "O'Hara" * 20
    text = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows)).diagnostics()
    for value in ("901-22-33334", "2015/06/07", "O'Hara"):
        assert value not in text


def test_every_bad_row_is_reported_not_just_the_first(sqlite_ctx: Context, tmp_path: Path) -> None:
    rows = [dict(r) for r in GOOD]
    rows[0]["zip"] = "x"
    rows[2]["ssn"] = "y"
    error = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows))
    assert problems(error) == {(1, "zip"), (3, "ssn")}


def test_duplicates_within_the_file_are_rejected(sqlite_ctx: Context, tmp_path: Path) -> None:
    rows = [dict(r) for r in GOOD]
    rows[2]["dcn"] = rows[0]["dcn"]
    rows[2]["ssn"] = rows[0]["ssn"]
    error = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows))
    assert problems(error) == {(3, "dcn"), (3, "ssn")}
    assert any("row 1" in p.message for p in error.rows)


def test_one_household_with_two_addresses_is_rejected(sqlite_ctx: Context, tmp_path: Path) -> None:
    rows = [dict(r) for r in GOOD]
    rows[1]["street"] = "99 Other St"
    error = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows))
    assert problems(error) == {(2, "household_case_number")}


def test_rows_already_in_the_store_are_rejected_and_nothing_is_added(
    sqlite_ctx: Context, tmp_path: Path
) -> None:
    records_workflow.import_file(sqlite_ctx, write_csv(tmp_path / "a.csv", GOOD[2:]))
    error = rejected(sqlite_ctx, write_csv(tmp_path / "b.csv", GOOD))
    assert problems(error) == {(3, "dcn"), (3, "household_case_number")}


def test_missing_and_unknown_columns_are_file_problems(sqlite_ctx: Context, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "county"} | {"wic_start_date": ""} for r in GOOD]
    error = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows))
    assert problems(error) == {(0, "county"), (0, "wic_start_date")}


def test_empty_and_unreadable_files_are_rejected(sqlite_ctx: Context, tmp_path: Path) -> None:
    header_only = tmp_path / "empty.csv"
    header_only.write_text(",".join(GOOD[0]) + "\n", encoding="utf-8")
    assert problems(rejected(sqlite_ctx, header_only)) == {(0, "*")}
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet at all")
    assert problems(rejected(sqlite_ctx, garbage)) == {(0, "*")}


def test_oversized_and_unsupported_files_are_refused(sqlite_ctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", GOOD)
    with pytest.raises(InvalidInputError, match="over the limit"):
        records_workflow.import_file(sqlite_ctx, path, max_bytes=100)
    other = tmp_path / "in.xlsx"
    other.write_bytes(b"x")
    with pytest.raises(InvalidInputError, match="CSV"):
        records_workflow.import_file(sqlite_ctx, other)
    assert counts(sqlite_ctx) == (0, 0, 0, 0)


def test_problem_report_is_capped_but_counts_everything(
    sqlite_ctx: Context, tmp_path: Path
) -> None:
    rows = []
    for i in range(1_200):
        row = dict(GOOD[2])
        row["dcn"] = f"D{i}"
        row["household_case_number"] = f"H{i}"
        row["zip"] = "bad"
        rows.append(row)
    error = rejected(sqlite_ctx, write_csv(tmp_path / "in.csv", rows))
    assert "1200 problem(s)" in str(error)
    assert error.rows[-1].message == "200 more problems"
