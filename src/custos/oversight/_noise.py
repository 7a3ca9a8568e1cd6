"""Optional differential privacy for the count tables, through OpenDP.

Mechanism. Each table's interior counts get integer (discrete) Laplace noise from OpenDP's
`make_laplace` over a vector of integers with the L1 distance; totals are then summed from the
noisy counts, and negative results are set to zero (both post-processing, which costs no
privacy — Dwork & Roth, *The Algorithmic Foundations of Differential Privacy*, Prop. 2.1).

Budget. The stated epsilon is split evenly over the tables (sequential composition, ibid.
Thm. 3.14). A table whose unit can fall in several cells (a person-disclosure naming fields of
three sensitivity classes) declares how many: its L1 sensitivity. OpenDP's own privacy map is
asked for each table's loss, and the noise scale is refused unless the map confirms it.

Order. Noise is added before suppression, so suppression is applied to the noisy counts and is
itself post-processing (NOTES: "Suppressing cells after noise is post-processing").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import version
from typing import Any

from custos.oversight._suppress import CountTable


@dataclass(frozen=True, kw_only=True)
class NoiseMethod:
    """What was done, for the report's method section."""

    epsilon: float
    per_table_epsilon: float
    tables: int
    library: str
    mechanism: str = "discrete Laplace on each count, totals summed from the noisy counts"


def _opendp() -> Any:  # opendp's prelude is not typed
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def add_noise(
    tables: Sequence[CountTable], *, epsilon: float, sensitivity: Mapping[str, int] | None = None
) -> tuple[list[CountTable], NoiseMethod]:
    """Noisy copies of `tables` with total privacy loss `epsilon` (pure ε-DP)."""
    if not epsilon > 0:
        raise ValueError("epsilon must be positive")
    dp = _opendp()
    per_table = epsilon / max(1, len(tables))
    out = []
    for t in tables:
        contributions = (sensitivity or {}).get(t.key, 1)
        scale = contributions / per_table
        measurement = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=int)),
            dp.l1_distance(T=int),
            scale=scale,
        )
        loss = float(measurement.map(contributions))
        if loss > per_table * (1 + 1e-9):
            raise ValueError(f"OpenDP reports a loss of {loss} > {per_table} for {t.key}")
        flat = [v for row in t.values for v in row]
        noisy = [max(0, int(v)) for v in measurement(flat)] if flat else []
        width = len(t.columns)
        values = tuple(tuple(noisy[i * width : (i + 1) * width]) for i in range(len(t.rows)))
        out.append(replace(t, values=values))
    return out, NoiseMethod(
        epsilon=epsilon,
        per_table_epsilon=per_table,
        tables=len(tables),
        library=f"OpenDP {version('opendp')}",
    )
