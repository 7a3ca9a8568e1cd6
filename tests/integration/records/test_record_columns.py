"""The record-column SQL a release reads through, on real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import select

from custos.domain.errors import InvalidInputError
from custos.records import record_columns
from custos.store.tables import Enrolment, Household, Person
from custos.workflow import records as records_workflow
from custos.workflow.context import Context

COLUMNS = {"last_name", "birth_date", "county", "household_size", "benefit_snap"}


def _read(ctx: Context, columns: set[str], day: dt.date) -> pl.DataFrame:
    cols = record_columns(columns, day=day)
    q = cols.join(select(Person.id, *cols.exprs)).order_by(Person.id)
    with ctx.reading() as s:
        rows = [tuple(r) for r in s.execute(q)]
    return pl.DataFrame(rows, schema={"id": pl.String, **cols.polars_schema()}, orient="row")


def test_record_columns_read_what_the_tables_hold(ctx: Context) -> None:
    records_workflow.generate_demo(ctx, people=150, seed=3)
    day = ctx.today()
    frame = _read(ctx, COLUMNS, day)
    assert frame.columns == ["id", *sorted(COLUMNS)]
    with ctx.reading() as s:
        people = {p.id: p for p in s.scalars(select(Person))}
        households = {h.id: h for h in s.scalars(select(Household))}
        enrolments = s.scalars(select(Enrolment)).all()
    assert frame.height == len(people)
    sizes: dict[str, int] = {}
    for p in people.values():
        sizes[p.household_id] = sizes.get(p.household_id, 0) + 1
    snap: dict[str, int] = {}
    for e in enrolments:
        if e.program == "snap" and e.start_date <= day and (e.end_date is None or e.end_date > day):
            snap[e.person_id] = snap.get(e.person_id, 0) + e.monthly_amount_cents
    for row in frame.iter_rows(named=True):
        p = people[row["id"]]
        assert row["last_name"] == p.last_name
        assert row["birth_date"] == p.birth_date
        assert row["county"] == households[p.household_id].county
        assert row["household_size"] == sizes[p.household_id]
        assert row["benefit_snap"] == snap.get(p.id, 0)
    assert any(v > 0 for v in snap.values())


def test_only_household_columns_join_households() -> None:
    day = dt.date(2026, 1, 1)
    assert not record_columns({"ssn", "household_size", "benefit_tanf"}, day=day).joins_household
    assert record_columns({"ssn", "zip"}, day=day).joins_household
    assert record_columns({"zip", "ssn", "city"}, day=day).names == ("city", "ssn", "zip")


def test_an_unknown_column_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="no record column"):
        record_columns({"ssn", "favourite_colour"}, day=dt.date(2026, 1, 1))
