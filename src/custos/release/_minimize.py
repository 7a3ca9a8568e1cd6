"""Minimization: from record columns to exactly the disclosed fields, per person (Polars).

Input is one frame per chunk of people with a `class_key` column and the raw record columns
the plan needs (see `SOURCES`); output is the payload: a dense `row` number and one text
column per disclosed field, null wherever the person's class does not disclose that field.
People whose class discloses nothing are dropped. Every value is an expression over whole
columns, so a million people are minimized in seconds, not per-person Python.

The catalogue names each field's record `column` (policies/*/catalogue.toml); this module
maps a column to record values and a generalization (a rule's `@generalize`) to a coarser
value. An unknown column or generalization is an error, never a silent pass-through: a field
we cannot compute faithfully does not leave (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from custos.release._errors import ReleaseError
from custos.release._plan import ReleasePlan

_Expr = Callable[[str], pl.Expr]


def _text(column: str) -> _Expr:
    return lambda _program: pl.col(column).cast(pl.String)


def _full_name(_program: str) -> pl.Expr:
    return pl.concat_str([pl.col("first_name"), pl.col("last_name")], separator=" ")


def _birth_date(_program: str) -> pl.Expr:
    return pl.col("birth_date").dt.to_string("%Y-%m-%d")


def _address(_program: str) -> pl.Expr:
    return pl.format("{}, {}, MO {}", pl.col("street"), pl.col("city"), pl.col("zip"))


def _household_members(_program: str) -> pl.Expr:
    return pl.col("household_size").cast(pl.String)


def _benefit_amount(program: str) -> pl.Expr:
    cents = pl.col(benefit_column(program))
    return pl.format(
        "{}.{}", (cents // 100).cast(pl.String), (cents % 100).cast(pl.String).str.zfill(2)
    )


def benefit_column(program: str) -> str:
    """The source column holding a program's active monthly amount in cents."""
    return f"benefit_{program}"


@dataclass(frozen=True, kw_only=True)
class Source:
    """How a catalogue column is read from the records, and how it may be generalized."""

    #: Raw record columns the value needs (`{program}` is replaced by the field's program).
    needs: tuple[str, ...]
    value: _Expr
    generalizations: Mapping[str, tuple[tuple[str, ...], _Expr]]


#: Catalogue `column` → record source. `household_members` is the number of people in the
#: household, not their names: the names would disclose people who are not subjects of the
#: request and would need their own accounting entries.
SOURCES: Mapping[str, Source] = {
    "full_name": Source(needs=("first_name", "last_name"), value=_full_name, generalizations={}),
    "birth_date": Source(
        needs=("birth_date",),
        value=_birth_date,
        generalizations={
            "year": (("birth_date",), lambda _p: pl.col("birth_date").dt.year().cast(pl.String))
        },
    ),
    "ssn": Source(needs=("ssn",), value=_text("ssn"), generalizations={}),
    "case_number": Source(needs=("dcn",), value=_text("dcn"), generalizations={}),
    "address": Source(
        needs=("street", "city", "zip"),
        value=_address,
        generalizations={
            "county": (("county",), _text("county")),
            "zip": (("zip",), _text("zip")),
        },
    ),
    "phone": Source(needs=("phone",), value=_text("phone"), generalizations={}),
    "household_members": Source(
        needs=("household_size",), value=_household_members, generalizations={}
    ),
    "employer": Source(needs=("employer",), value=_text("employer"), generalizations={}),
    "benefit_amount": Source(
        needs=("benefit_{program}",), value=_benefit_amount, generalizations={}
    ),
    "immigration_status": Source(
        needs=("immigration_status",), value=_text("immigration_status"), generalizations={}
    ),
    "photo": Source(needs=("photo_ref",), value=_text("photo_ref"), generalizations={}),
}


@dataclass(frozen=True, kw_only=True)
class FieldSource:
    """A disclosed field bound to its catalogue column."""

    ref: str
    program: str
    column: str


def bind_fields(plan: ReleasePlan, columns: Mapping[str, str]) -> list[FieldSource]:
    """Bind each planned field to its record source; raise for anything we cannot compute.

    `columns` maps a field ref to its catalogue column (`ctx.pack().catalogue`).
    """
    bound: list[FieldSource] = []
    for ref in plan.fields:
        column = columns.get(ref)
        if column is None:
            raise ReleaseError(f"the field {ref} is not in the catalogue; it cannot be released")
        source = SOURCES.get(column)
        if source is None:
            raise ReleaseError(
                f"the field {ref} (column {column!r}) has no record source; it cannot be released"
            )
        for cls in plan.classes.values():
            g = cls.treatment.get(ref)
            if g is not None and g not in source.generalizations:
                raise ReleaseError(f"the field {ref} cannot be generalized to {g!r}")
        bound.append(FieldSource(ref=ref, program=ref.partition("/")[0], column=column))
    return bound


def needed_columns(fields: list[FieldSource], plan: ReleasePlan) -> set[str]:
    """Raw record columns a chunk frame must hold for these fields."""
    needs: set[str] = set()
    for f in fields:
        source = SOURCES[f.column]
        for cls in plan.classes.values():
            if f.ref not in cls.treatment:
                continue
            g = cls.treatment[f.ref]
            cols = source.needs if g is None else source.generalizations[g][0]
            needs.update(c.replace("{program}", f.program) for c in cols)
    return needs


@dataclass(frozen=True, kw_only=True)
class Minimized:
    """One chunk's payload rows, and who they are (for the accounting, never in the payload)."""

    payload: pl.DataFrame
    subject_refs: list[str]
    class_keys: list[str]


def minimize(
    frame: pl.DataFrame, plan: ReleasePlan, fields: list[FieldSource], *, first_row: int | None
) -> Minimized:
    """Minimize one chunk. `frame` has `subject_ref`, `class_key` and the needed columns.

    Rows keep the frame's order; `row` numbers start at `first_row` and are dense, so the
    payload says nothing about subjects that were not matched, excluded or withheld. With
    `first_row=None` the frame's own `row` column is kept (a correction reuses the numbers).
    """
    kept = frame.filter(pl.col("class_key").is_in(list(plan.classes)))
    exprs: list[pl.Expr] = [
        pl.col("row").cast(pl.Int64)
        if first_row is None
        else (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("row")
    ]
    for f in fields:
        source = SOURCES[f.column]
        by_treatment: dict[str | None, list[str]] = {}
        for key, cls in plan.classes.items():
            if f.ref in cls.treatment:
                by_treatment.setdefault(cls.treatment[f.ref], []).append(key)
        # polars' When/Then chain types are not public; Any keeps the chain readable.
        chain: Any = None
        for g, keys in by_treatment.items():
            value = (
                source.value(f.program) if g is None else source.generalizations[g][1](f.program)
            )
            cond = pl.col("class_key").is_in(keys)
            chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
        expr: pl.Expr = pl.lit(None, dtype=pl.String) if chain is None else chain.otherwise(None)
        exprs.append(expr.cast(pl.String).alias(f.ref))
    payload = kept.select(exprs)
    return Minimized(
        payload=payload,
        subject_refs=kept.get_column("subject_ref").to_list(),
        class_keys=kept.get_column("class_key").to_list(),
    )
