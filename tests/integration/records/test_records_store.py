"""Records on real databases: SQLite always, PostgreSQL when CUSTOS_TEST_POSTGRES_URL is set.

The same tests run on both because the loader takes a different path on each (executemany on
SQLite, COPY on PostgreSQL), and both must commit with the ledger event or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from custos.domain.disclosure import BulkCriterion
from custos.domain.errors import ConflictError, ImportRejectedError
from custos.domain.programs import Program
from custos.domain.subjects import SubjectIdentifier
from custos.records import DEMO_PEOPLE, facts_for, match, select_bulk
from custos.store.tables import Enrolment, Household, LedgerEntry, Person
from custos.workflow import records as records_workflow
from custos.workflow.context import Context


def _count(ctx: Context, table: type) -> int:
    with ctx.reading() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


def test_demo_data_loads_with_one_ledger_event_and_no_personal_data(ctx: Context) -> None:
    counts = records_workflow.generate_demo(ctx, people=3_000, seed=5)
    assert counts.people == _count(ctx, Person) == 3_000
    assert counts.households == _count(ctx, Household)
    assert counts.enrolments == _count(ctx, Enrolment)
    with ctx.reading() as s:
        bodies = s.execute(select(LedgerEntry.body)).scalars().all()
    assert len(bodies) == 1
    event = json.loads(bodies[0])
    assert event["tag"] == "records:import:complete"
    assert event["data"] == {"source": "demo", "seed": 5, **counts.as_dict()}
    for person in DEMO_PEOPLE.values():
        assert person.last_name not in bodies[0].decode()
        assert person.dcn not in bodies[0].decode()


def test_demo_data_refuses_a_store_that_holds_people(ctx: Context) -> None:
    records_workflow.generate_demo(ctx, people=100, seed=1)
    with pytest.raises(ConflictError):
        records_workflow.generate_demo(ctx, people=100, seed=2)
    assert _count(ctx, Person) == 100
    assert _count(ctx, LedgerEntry) == 1


def test_matching_facts_and_bulk_on_generated_data(ctx: Context) -> None:
    records_workflow.generate_demo(ctx, people=3_000, seed=9)
    felon = DEMO_PEOPLE["snap_fleeing_felon"]
    twin = DEMO_PEOPLE["twin_name_b"]
    with ctx.reading() as s:
        assert match(s, SubjectIdentifier(case_number=felon.dcn)) == felon.person_id
        assert match(s, SubjectIdentifier(ssn=str(felon.ssn))) == felon.person_id
        assert (
            match(s, SubjectIdentifier(full_name=twin.full_name, birth_date=twin.birth_date))
            is None
        )
        facts = facts_for(s, [felon.person_id], on=ctx.today())
        assert facts[felon.person_id].programs == frozenset({"snap"})
        snap_city = list(
            select_bulk(
                s,
                BulkCriterion(
                    programs=frozenset({Program.SNAP}), counties=frozenset({"St. Louis City"})
                ),
                on=ctx.today(),
            )
        )
        expected = set(
            s.execute(
                select(Person.id)
                .join(Household)
                .join(Enrolment)
                .where(
                    Household.county == "St. Louis City",
                    Enrolment.program == "snap",
                    Enrolment.end_date.is_(None) | (Enrolment.end_date > ctx.today()),
                )
            ).scalars()
        )
    assert felon.person_id in snap_city
    assert len(snap_city) == len(set(snap_city))
    assert set(snap_city) == expected


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _rows(n: int) -> list[dict[str, str]]:
    return [
        {
            "household_case_number": f"HH-{i // 3}",
            "county": "Cole",
            "street": f"{i // 3} Capitol Ave",
            "city": "Jefferson City",
            "zip": "65101",
            "dcn": f"ID-{i}",
            "first_name": "Sam",
            "last_name": f"Tester{i}",
            "birth_date": "1985-05-05",
            "ssn": f"95{i:07d}",
            "relationship": "head" if i % 3 == 0 else "child",
            "immigration_status": "citizen",
            "snap_monthly_amount_cents": "15000",
            "snap_start_date": "2023-03-01",
        }
        for i in range(n)
    ]


def test_import_loads_many_batches_in_one_transaction(ctx: Context, tmp_path: Path) -> None:
    summary = records_workflow.import_file(ctx, _write(tmp_path / "big.csv", _rows(120_000)))
    assert summary.counts.as_dict() == {
        "households": 40_000,
        "people": 120_000,
        "enrolments": 120_000,
    }
    assert _count(ctx, Person) == 120_000
    with ctx.reading() as s:
        found = match(
            s,
            SubjectIdentifier(full_name="sam tester119999", birth_date=dt.date(1985, 5, 5)),
        )
        assert found is not None


def test_a_bad_last_row_rejects_the_whole_file(ctx: Context, tmp_path: Path) -> None:
    rows = _rows(60_000)
    rows[-1]["birth_date"] = "not a date"
    with pytest.raises(ImportRejectedError) as info:
        records_workflow.import_file(ctx, _write(tmp_path / "bad.csv", rows))
    assert [(p.row, p.column) for p in info.value.rows] == [(60_000, "birth_date")]
    assert _count(ctx, Person) == 0
    assert _count(ctx, Household) == 0
    assert _count(ctx, LedgerEntry) == 0
