"""The in-memory shape of a batch of records: three Polars frames matching the store's tables.

Generation and import both produce a `RecordSet`; one loader writes it. Keeping the frame
schemas here, next to each other, is what keeps the two producers and the loader in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

HOUSEHOLD_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "case_number": pl.String(),
    "county": pl.String(),
    "street": pl.String(),
    "city": pl.String(),
    "zip": pl.String(),
}

PERSON_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "household_id": pl.String(),
    "dcn": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "name_norm": pl.String(),
    "birth_date": pl.Date(),
    "ssn": pl.String(),
    "phone": pl.String(),
    "employer": pl.String(),
    "relationship": pl.String(),
    "immigration_status": pl.String(),
    "determination_on_file": pl.Boolean(),
    "opted_out": pl.Boolean(),
    "photo_ref": pl.String(),
}

ENROLMENT_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.String(),
    "program": pl.String(),
    "monthly_amount_cents": pl.Int64(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
}

IMMIGRATION_STATUSES: tuple[str, ...] = (
    "citizen",
    "lawful_permanent_resident",
    "refugee_asylee",
    "other_qualified",
    "not_qualified",
    "unknown",
)

RELATIONSHIPS: tuple[str, ...] = ("head", "spouse", "child", "other")


@dataclass(frozen=True, kw_only=True)
class RecordSet:
    """Households, their members and the members' enrolments, ready to load together."""

    households: pl.DataFrame
    people: pl.DataFrame
    enrolments: pl.DataFrame

    @property
    def total_rows(self) -> int:
        return self.households.height + self.people.height + self.enrolments.height

    @classmethod
    def concat(cls, parts: list[RecordSet]) -> RecordSet:
        return cls(
            households=pl.concat([p.households for p in parts]),
            people=pl.concat([p.people for p in parts]),
            enrolments=pl.concat([p.enrolments for p in parts]),
        )

    def conformed(self) -> RecordSet:
        """The same records with exactly the store's columns, in order, with their types."""
        return RecordSet(
            households=_conform(self.households, HOUSEHOLD_SCHEMA),
            people=_conform(self.people, PERSON_SCHEMA),
            enrolments=_conform(self.enrolments, ENROLMENT_SCHEMA),
        )


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
