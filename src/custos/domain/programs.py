"""Benefit programs and the sensitivity classes of the fields they hold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Program(StrEnum):
    SNAP = "snap"
    TANF = "tanf"
    MEDICAID = "medicaid"
    HOUSING = "housing"


class Sensitivity(StrEnum):
    """Sensitivity classes, used in reports and by policy rules."""

    IDENTITY = "identity"
    CONTACT = "contact"
    HOUSEHOLD = "household"
    EMPLOYMENT = "employment"
    BENEFIT_DETAIL = "benefit_detail"
    HEALTH = "health"
    IMMIGRATION_STATUS = "immigration_status"


@dataclass(frozen=True, kw_only=True, order=True)
class FieldRef:
    """A field as a program holds it: `snap/address` is not `medicaid/address` in law."""

    program: Program
    name: str

    def __str__(self) -> str:
        return f"{self.program.value}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> FieldRef:
        """Parse `program/field`; raises ValueError on anything else."""
        program, sep, name = text.partition("/")
        if not sep or not name:
            raise ValueError(f"expected program/field, got {text!r}")
        return cls(program=Program(program), name=name)


@dataclass(frozen=True, kw_only=True)
class FieldSpec:
    """One entry of a pack's field catalogue."""

    ref: FieldRef
    sensitivity: Sensitivity
    label: str
    #: The record column this field is read from when a release is built.
    column: str
