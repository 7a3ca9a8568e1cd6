"""Reporting periods: a year, a half, a quarter or a month, written as people say them.

One calendar. Reports are published for years, halves and quarters only: each is a whole
number of calendar quarters, so any two published periods are either disjoint or one holds the
other, and every published figure is a sum of per-quarter figures. That is what lets the
history check (`custos.oversight._history`) write every report ever published as equations in
the same per-quarter unknowns, and the privacy-loss budget be kept per quarter. Months parse
(for reading) but are not a publication period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from custos.domain.errors import FieldProblem, InvalidInputError

_PATTERN = re.compile(
    r"^(?P<year>\d{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>\d{2})))?$"
)


@dataclass(frozen=True, kw_only=True)
class Period:
    """A half-open interval of UTC days `[start, end)` with its label (`2026-H1`)."""

    label: str
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026`, `2026-H1`, `2026-Q3` or `2026-03`; anything else is invalid input."""
        m = _PATTERN.match(text.strip())
        if m is None:
            raise _invalid(text)
        year = int(m["year"])
        if m["half"]:
            first, months = 1 + 6 * (int(m["half"]) - 1), 6
        elif m["quarter"]:
            first, months = 1 + 3 * (int(m["quarter"]) - 1), 3
        elif m["month"]:
            first, months = int(m["month"]), 1
            if not 1 <= first <= 12:  # noqa: PLR2004 - months of the year
                raise _invalid(text)
        else:
            first, months = 1, 12
        start = dt.date(year, first, 1)
        last = first + months
        end = dt.date(year + (last - 1) // 12, (last - 1) % 12 + 1, 1)
        return cls(label=text.strip(), start=start, end=end)

    @property
    def quarters(self) -> tuple[str, ...]:
        """The calendar quarters the period covers (`2026-H1` → `2026-Q1`, `2026-Q2`)."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        first = (self.start.year * 12 + self.start.month - 1) // 3
        return tuple(f"{q // 4}-Q{q % 4 + 1}" for q in range(first, first + max(1, months // 3)))

    @property
    def publishable(self) -> bool:
        """A year, a half or a quarter: a period of the publication calendar."""
        return "-" not in self.label or self.label[5] in "HQ"

    def covers(self, other: Period) -> bool:
        """Whether `other` lies within this period."""
        return self.start <= other.start and other.end <= self.end

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(), dt.UTC)


def _invalid(text: str) -> InvalidInputError:
    return InvalidInputError(
        "the period is invalid",
        [
            FieldProblem(
                path="period", message=f"expected 2026, 2026-H1, 2026-Q1 or 2026-01: {text!r}"
            )
        ],
    )
