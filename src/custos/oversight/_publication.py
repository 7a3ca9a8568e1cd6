"""What the publication history keeps of a report, and the protection rule it is held to.

`Publication`: an exact report's published cells and, privately, its exact per-quarter counts
(`quarter_atoms`), which `custos.oversight._history` turns into the attacker's equations.
`Protection`: the range a withheld count from 1 to 10 must keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from custos.oversight._aggregate import compute, notice_by_quarter
from custos.oversight._events import EventFrames
from custos.oversight._periods import Period
from custos.oversight._suppress import SMALL_MAX, SMALL_MIN, ProtectedTable

#: (quarter, table, row key, column): one per-quarter count.
Atom = tuple[str, str, str, str]
HIDDEN = "hidden_notice"


@dataclass(frozen=True, kw_only=True)
class Protection:
    """The protection range a withheld count from 1 to 10 keeps (tau-ARGUS protection level).

    `band`: the attacker's interval contains the whole band 1–10. `width`: it is at least this
    wide (largest minus smallest value).
    """

    band: bool = True
    width: int = 0

    def kept(self, low: float, high: float) -> bool:
        if self.band and not (low <= SMALL_MIN and high >= SMALL_MAX):
            return False
        return high - low >= self.width

    def targets(self, low: float, high: float) -> tuple[float, float]:
        """Given an interval already shown, how low and how high the cell would have to
        reach to keep the rule (what the solver then looks for)."""
        want_low, want_high = high - max(1, self.width), low + max(1, self.width)
        if self.band:
            want_low, want_high = min(want_low, SMALL_MIN), max(want_high, SMALL_MAX)
        return want_low, want_high

    def holds(self, low: float, high: float) -> bool:
        """Whether an interval keeps the rule: never a single value, and the range kept."""
        return high - low >= 1 and self.kept(low, high)

    def describe(self) -> str:
        parts = []
        if self.band:
            parts.append(f"spans the whole band {SMALL_MIN}–{SMALL_MAX}")
        if self.width:
            parts.append(f"is at least {self.width} wide")
        return " and ".join(parts) or "is not a single value"


@dataclass(frozen=True, kw_only=True)
class PublishedTable:
    """A table as published, with what the equations need of its shape."""

    key: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    row_totals: bool
    column_totals: bool
    cells: tuple[tuple[int | None, ...], ...]

    @classmethod
    def of(cls, p: ProtectedTable) -> PublishedTable:
        t = p.table
        return cls(
            key=t.key,
            rows=t.rows,
            columns=t.columns,
            row_totals=t.row_totals,
            column_totals=t.column_totals,
            cells=p.cells,
        )


@dataclass(frozen=True, kw_only=True)
class Publication:
    """An exact report in the publication history: its cells, and (private) the exact
    per-quarter counts at its checkpoint, which the check needs to know what is at risk."""

    report_id: str
    period: str
    checkpoint: int
    tables: tuple[PublishedTable, ...]
    atoms: Mapping[Atom, int] = field(repr=False)

    def data(self) -> dict[str, Any]:
        """The published cells, as stored."""
        return {
            "tables": [
                {
                    "key": t.key,
                    "rows": list(t.rows),
                    "columns": list(t.columns),
                    "row_totals": t.row_totals,
                    "column_totals": t.column_totals,
                    "cells": [list(r) for r in t.cells],
                }
                for t in self.tables
            ]
        }

    def atom_data(self) -> list[list[Any]]:
        """The exact per-quarter counts, as stored (never published)."""
        return [[*a, v] for a, v in sorted(self.atoms.items())]

    @classmethod
    def load(
        cls, *, report_id: str, period: str, checkpoint: int, data: Any, atoms: Any
    ) -> Publication:
        tables = tuple(
            PublishedTable(
                key=t["key"],
                rows=tuple(t["rows"]),
                columns=tuple(t["columns"]),
                row_totals=bool(t["row_totals"]),
                column_totals=bool(t["column_totals"]),
                cells=tuple(tuple(r) for r in t["cells"]),
            )
            for t in data["tables"]
        )
        return cls(
            report_id=report_id,
            period=period,
            checkpoint=checkpoint,
            tables=tables,
            atoms={(q, k, r, c): int(v) for q, k, r, c, v in atoms},
        )


def quarter_atoms(
    frames: EventFrames, period: Period, catalogue: Mapping[str, str], alert_kinds: Sequence[str]
) -> dict[Atom, int]:
    """The exact per-quarter counts of every table of `period` (the unknowns' true values)."""
    out: dict[Atom, int] = {}
    for q in period.quarters:
        quarter = Period.parse(q)
        for t in compute(frames, quarter, catalogue, alert_kinds).tables:
            if t.key == HIDDEN:
                continue
            for r, row in zip(t.rows, t.values, strict=True):
                for c, v in zip(t.columns, row, strict=True):
                    out[(q, t.key, r, c)] = v
        for x, v in notice_by_quarter(frames, quarter).items():
            out[(q, HIDDEN, x, "entries")] = v
    return out
