"""The SQL that reads a person's record columns, by name, as of one day.

A release names the raw columns its fields need (`custos.release.needed_columns`): person
columns, household columns, the household's size and each program's active monthly amount.
This module turns those names into labelled SQL expressions over `Person` (joining
`Household` only when a household column is asked for) and gives the Polars type of each, so
the workflow can read them in chunks without knowing how a record is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Select, func, or_, select

from custos.domain.errors import InvalidInputError
from custos.store.tables import Enrolment, Household, Person

_PERSON_COLUMNS: dict[str, Any] = {
    "first_name": Person.first_name,
    "last_name": Person.last_name,
    "birth_date": Person.birth_date,
    "ssn": Person.ssn,
    "dcn": Person.dcn,
    "phone": Person.phone,
    "employer": Person.employer,
    "immigration_status": Person.immigration_status,
    "photo_ref": Person.photo_ref,
}
_HOUSEHOLD_COLUMNS: dict[str, Any] = {
    "street": Household.street,
    "city": Household.city,
    "zip": Household.zip,
    "county": Household.county,
}
_BENEFIT_PREFIX = "benefit_"


@dataclass(frozen=True, kw_only=True)
class RecordColumns:
    """Labelled SQL expressions for some record columns, in name order."""

    names: tuple[str, ...]
    exprs: tuple[Any, ...]
    #: A household column is among them: the query must join `Household`.
    joins_household: bool

    def join(self, query: Select[Any]) -> Select[Any]:
        """`query` (over `Person`) with the joins these columns need."""
        if self.joins_household:
            return query.join(Household, Household.id == Person.household_id)
        return query

    def polars_schema(self) -> dict[str, Any]:
        """The Polars type of each column, in order."""
        return {name: _dtype(name) for name in self.names}


def _dtype(name: str) -> Any:
    if name == "birth_date":
        return pl.Date
    if name == "household_size" or name.startswith(_BENEFIT_PREFIX):
        return pl.Int64
    return pl.String


def _household_size() -> Any:
    other = Person.__table__.alias("members")
    return (
        select(func.count())
        .select_from(other)
        .where(other.c.household_id == Person.household_id)
        .scalar_subquery()
    )


def _benefit(program: str, day: dt.date) -> Any:
    """A program's monthly amount in cents over the person's enrolments active on `day`."""
    e = Enrolment
    return (
        select(func.coalesce(func.sum(e.monthly_amount_cents), 0))
        .where(
            e.person_id == Person.id,
            e.program == program,
            e.start_date <= day,
            or_(e.end_date.is_(None), e.end_date > day),
        )
        .scalar_subquery()
    )


def record_columns(columns: Iterable[str], *, day: dt.date) -> RecordColumns:
    """SQL for the named record columns as of `day` (benefit amounts: enrolments active then).

    An unknown name is an error, never an empty column.
    """
    names: list[str] = []
    exprs: list[Any] = []
    joins_household = False
    for name in sorted(set(columns)):
        expr: Any
        if name in _PERSON_COLUMNS:
            expr = _PERSON_COLUMNS[name]
        elif name in _HOUSEHOLD_COLUMNS:
            expr = _HOUSEHOLD_COLUMNS[name]
            joins_household = True
        elif name == "household_size":
            expr = _household_size()
        elif name.startswith(_BENEFIT_PREFIX):
            expr = _benefit(name.removeprefix(_BENEFIT_PREFIX), day)
        else:
            raise InvalidInputError(f"no record column {name!r}")
        names.append(name)
        exprs.append(expr.label(name))
    return RecordColumns(names=tuple(names), exprs=tuple(exprs), joins_household=joins_household)
