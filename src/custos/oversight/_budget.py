"""The privacy-loss budget of noisy reports: per calendar quarter and per population.

Why per quarter. Every count a report publishes is a sum over the quarters its period covers
(`Period.quarters`), and each unit counted — a request, a person named, a person-disclosure,
a challenge, a release, an alert — falls in exactly one quarter (by its entry's time). So a
noisy report of a half year spends its epsilon on each of its two quarters, and two reports
that share a quarter compose sequentially there (Dwork & Roth, *The Algorithmic Foundations
of Differential Privacy*, 2014, Thm. 3.14), while disjoint quarters compose in parallel
(McSherry, *Privacy Integrated Queries*, SIGMOD 2009, §2.3).

Why per population. A report's tables count different units; a table spends only on its own
(its `unit`): the spend of a population is the sum of the per-table epsilon of its tables.

The rules. A noisy report is refused when any quarter's population would go over the limit;
an exact report is never published for a quarter a noisy one covers, nor a noisy one for a
quarter an exact one covers (the exact figures would undo the noise).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from custos.domain.errors import ConflictError

_SLACK = 1e-9


class BudgetExceededError(ConflictError):
    """Publishing would spend more privacy loss than a quarter's budget allows."""

    kind = "privacy-budget-exceeded"


class ExactBesideNoisyError(ConflictError):
    """An exact and a noisy report would cover the same quarter."""

    kind = "exact-beside-noisy"


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The limit, and what earlier noisy reports spent, by (quarter, population)."""

    limit: float
    spent: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def statement(self, quarters: Iterable[str], spend: Mapping[str, float]) -> dict[str, object]:
        """What a report states: the limit, what it spends, and what is left after it in each
        quarter and population. Raises `BudgetExceededError` on any overspend."""
        left: dict[str, dict[str, float]] = {}
        over = []
        for q in quarters:
            left[q] = {}
            for population, epsilon in sorted(spend.items()):
                remaining = self.limit - self.spent.get((q, population), 0.0) - epsilon
                if remaining < -_SLACK:
                    over.append(f"{q} {population}")
                left[q][population] = round(max(0.0, remaining), 9)
        if over:
            raise BudgetExceededError(
                "this report would spend more privacy loss than the budget allows "
                f"(limit epsilon {self.limit} per quarter and population): {', '.join(over)}"
            )
        return {
            "limit_per_quarter_and_population": self.limit,
            "spent": {p: round(e, 9) for p, e in sorted(spend.items())},
            "left": left,
        }


def check_exclusive(*, quarters: Iterable[str], noisy: bool, published: Mapping[str, bool]) -> None:
    """Refuse a report whose quarters another report already covers the other way
    (`published`: quarter → whether a noisy report covers it; absent: none)."""
    clash = sorted(q for q in quarters if q in published and published[q] != noisy)
    if clash:
        kind, other = ("a noisy", "an exact") if noisy else ("an exact", "a noisy")
        raise ExactBesideNoisyError(
            f"{kind} report cannot cover {', '.join(clash)}: {other} report already does"
        )
