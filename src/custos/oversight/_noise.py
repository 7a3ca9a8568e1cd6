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
from dataclasses import dataclass, field, replace
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
    #: Epsilon spent on each population (a table's unit): its tables' per-table epsilon summed.
    populations: Mapping[str, float] = field(default_factory=dict)
    mechanism: str = (
        "discrete Laplace on each count; then tables that share totals are made to agree by a "
        "least-squares fit to common totals, clipped at zero and rounded so that each column "
        "still sums to its total"
    )


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
    populations: dict[str, float] = {}
    for t in tables:
        populations[t.unit] = populations.get(t.unit, 0.0) + per_table
    return consistent(out), NoiseMethod(
        epsilon=epsilon,
        per_table_epsilon=per_table,
        tables=len(tables),
        library=f"OpenDP {version('opendp')}",
        populations=populations,
    )


def _apportion(values: Sequence[float], total: int) -> list[int]:
    """Non-negative integers close to `values` that sum to `total`: clip at zero, scale to
    the total, then largest remainders (Hamilton's method) for the units left over."""
    clipped = [max(0.0, v) for v in values]
    mass = sum(clipped)
    scaled = (
        [v * total / mass for v in clipped] if mass > 0 else [total / len(values)] * len(values)
    )
    out = [int(v) for v in scaled]
    order = sorted(range(len(values)), key=lambda k: scaled[k] - out[k], reverse=True)
    for k in order[: total - sum(out)]:
        out[k] += 1
    return out


def consistent(tables: Sequence[CountTable]) -> list[CountTable]:
    """Linked noisy tables made to agree on their shared column totals (post-processing).

    For each shared column, the least-squares fit of the noisy counts under the constraint
    that every linked table sums to one common total t moves each of table k's n_k counts by
    (t − S_k)/n_k, where S_k is its noisy sum; minimising Σ_k (t − S_k)²/n_k gives
    t = Σ_k (S_k/n_k) / Σ_k (1/n_k). The total is rounded (at least zero) and each table's
    fitted column apportioned to it in non-negative integers. Only the noisy counts are used,
    so this costs no privacy (Dwork & Roth 2014, Prop. 2.1); the Census Bureau's TopDown
    algorithm post-processes its noisy counts the same way (Abowd et al., *Harvard Data
    Science Review*, 2022, §5: least squares, then rounding).
    """
    groups: dict[str, list[int]] = {}
    for k, t in enumerate(tables):
        if t.link is not None and t.column_totals:
            groups.setdefault(t.link, []).append(k)
    out = list(tables)
    for members in groups.values():
        if len(members) < 2:  # noqa: PLR2004 - nothing to agree with
            continue
        columns = [[list(r) for r in tables[k].values] for k in members]
        for j in range(len(tables[members[0]].columns)):
            sums = [sum(r[j] for r in cols) for cols in columns]
            sizes = [max(1, len(cols)) for cols in columns]
            common = sum(s / n for s, n in zip(sums, sizes, strict=True)) / sum(
                1 / n for n in sizes
            )
            total = max(0, round(common))
            for cols, s, n in zip(columns, sums, sizes, strict=True):
                fitted = [r[j] + (common - s) / n for r in cols]
                for r, v in zip(cols, _apportion(fitted, total), strict=True):
                    r[j] = v
        for k, cols in zip(members, columns, strict=True):
            out[k] = replace(tables[k], values=tuple(tuple(r) for r in cols))
    return out
