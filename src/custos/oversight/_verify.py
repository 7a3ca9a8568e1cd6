"""Recompute a published report from the log and list every difference (`report verify`).

What the report says about itself is compared, never trusted: whether it is noisy, its noise
parameters and its budget come from the log's own publication entry (`logged`); the field
catalogue from the policy pack that entry names; the period from the entry. Then:

- an exact report: every published cell equals the log's count; every cell the suppression
  withholds on its own is withheld (more may be, for the history check, when the method
  says so); titles, units, notes, rows, columns and figures are the log's;
- a noisy report: its structure is the log's; each published total is the sum of its
  published cells, and linked tables publish the same shared totals; no count from 1 to 10 is
  shown; its parameters and budget statement are the entry's, and the budget is what the
  earlier noisy publications in the log leave; with the digest key, its exact counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from custos.oversight._aggregate import ExactFigures, compute
from custos.oversight._events import EventFrames
from custos.oversight._periods import Period
from custos.oversight._report import FORMAT, digest, table_data
from custos.oversight._suppress import SMALL_MAX, SMALL_MIN, CountTable, protect_all

_SHAPE = ("title", "unit", "note", "row_header", "rows", "columns")
_CLOSE = 1e-6


def differences(
    published: Mapping[str, Any],
    frames: EventFrames,
    *,
    logged: Mapping[str, Any],
    earlier: Sequence[Mapping[str, Any]],
    catalogue: Mapping[str, str],
    alert_kinds: Sequence[str],
    secret: bytes | None = None,
) -> list[str]:
    """Every way `published` differs from what the log gives (see the module docstring).

    `logged`: the data of the log's entry announcing this report; `earlier`: those of the
    reports announced before it.
    """
    period = Period.parse(str(logged["period"]))
    out = _header(published, logged, period, catalogue, alert_kinds)
    figures = compute(frames, period, catalogue, alert_kinds)
    if logged.get("noise") is None:
        if published.get("method", {}).get("noise") is not None:
            out.append("the report claims noise, but the log announced it as exact")
        return out + _exact(published, figures)
    out += _noisy_method(published, logged, earlier, period)
    out += _noisy_cells(published, figures.tables)
    if secret is not None and digest(secret, figures) != published.get("exact_digest"):
        out.append("the exact counts under the noise do not match the log")
    return out


def _header(
    published: Mapping[str, Any],
    logged: Mapping[str, Any],
    period: Period,
    catalogue: Mapping[str, str],
    alert_kinds: Sequence[str],
) -> list[str]:
    out = []
    if published.get("format") != FORMAT:
        out.append("the format is not a Custos transparency report's")
    shown = published.get("period", {})
    expected = {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    if shown != expected:
        out.append(f"period: published {shown}, the log gives {expected}")
    if dict(published.get("catalogue", {})) != dict(catalogue):
        out.append("the field catalogue printed is not that of the pack the log records")
    if list(published.get("alert_rules", [])) != list(alert_kinds):
        out.append("the alert rules printed are not the ones this verifier knows")
    if published.get("checkpoint") != logged.get("checkpoint"):
        out.append("the checkpoint is not the one the log's announcement names")
    return out


def _shape_differences(theirs: Mapping[str, Any], mine: Mapping[str, Any]) -> list[str]:
    key = mine["key"]
    out = [f"table {key}: the {part} differ" for part in _SHAPE if theirs.get(part) != mine[part]]
    cells = theirs.get("cells", [])
    if len(cells) != len(mine["cells"]) or any(
        len(a) != len(b) for a, b in zip(cells, mine["cells"], strict=False)
    ):
        out.append(f"table {key}: the number of rows or columns differs")
    return out


def _tables(
    published: Mapping[str, Any], mine: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[Mapping[str, Any], Mapping[str, Any]]], list[str]]:
    """Published and recomputed tables paired by key; missing and extra tables listed."""
    theirs = {t["key"]: t for t in published.get("tables", [])}
    pairs, out = [], []
    for m in mine:
        t = theirs.pop(m["key"], None)
        if t is None:
            out.append(f"table {m['key']} is missing")
        else:
            pairs.append((t, m))
    out.extend(f"table {key} is not one the log gives" for key in theirs)
    return pairs, out


def _exact(published: Mapping[str, Any], figures: ExactFigures) -> list[str]:
    out = []
    shown = published.get("figures", {})
    median = figures.median_days_to_decision
    if shown.get("median_days_to_decision") != median:
        out.append(
            f"median days to decision: published {shown.get('median_days_to_decision')}, "
            f"recomputed {median}"
        )
    if shown.get("decisions_at_least") != (None if median is None else SMALL_MAX + 1):
        out.append("decisions_at_least is not what the log gives")
    extra_allowed = published.get("method", {}).get("history") is not None
    alone = {p.table.key: p for p in protect_all(figures.tables)}
    truth = {t.key: t for t in figures.tables}
    pairs, missing = _tables(published, [table_data(p) for p in alone.values()])
    out += missing
    for theirs, mine in pairs:
        shape = _shape_differences(theirs, mine)
        out += shape
        if not shape:
            out += _exact_cells(theirs, mine, truth[mine["key"]], extra_allowed=extra_allowed)
    return out


def _exact_cells(
    theirs: Mapping[str, Any], mine: Mapping[str, Any], table: CountTable, *, extra_allowed: bool
) -> list[str]:
    key, grid, out = mine["key"], table.grid(), []
    for i, (a, b) in enumerate(zip(theirs["cells"], mine["cells"], strict=True)):
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            where = f"table {key}, {mine['rows'][i]} × {mine['columns'][j]}"
            if x is not None and x != grid[i][j]:
                out.append(f"{where}: published {x}, the log gives {'—' if y is None else y}")
            elif x is None and y is not None and not extra_allowed:
                out.append(f"{where}: published —, the log gives {y}")
            elif x is not None and y is None:
                out.append(f"{where}: published {x}, the log gives — (it must be withheld)")
    return out


def _noisy_method(
    published: Mapping[str, Any],
    logged: Mapping[str, Any],
    earlier: Sequence[Mapping[str, Any]],
    period: Period,
) -> list[str]:
    noise = published.get("method", {}).get("noise")
    entry = logged["noise"]
    if not isinstance(noise, Mapping):
        return ["the log announced a noisy report, but the report states no noise"]
    out = []
    claims = {
        "epsilon": (noise.get("epsilon"), float(logged["epsilon"])),
        "per_table_epsilon": (noise.get("per_table_epsilon"), float(entry["per_table_epsilon"])),
        "tables": (noise.get("tables"), entry["tables"]),
    }
    for name, (shown, recorded) in claims.items():
        if not isinstance(shown, int | float) or abs(float(shown) - float(recorded)) > _CLOSE:
            out.append(f"noise {name}: the report states {shown}, the log records {recorded}")
    populations = {p: float(e) for p, e in entry["populations"].items()}
    if {p: float(e) for p, e in (noise.get("populations") or {}).items()} != populations:
        out.append("noise populations: the report's are not the log's")
    if noise.get("tables") != len(published.get("tables", [])):
        out.append("noise tables: not the number of tables published")
    if noise.get("budget") != entry.get("budget"):
        out.append("the budget statement is not the one the log records")
    return out + _budget(entry.get("budget"), populations, earlier, period)


def _budget(
    statement: Any,
    populations: Mapping[str, float],
    earlier: Sequence[Mapping[str, Any]],
    period: Period,
) -> list[str]:
    """The budget left, recomputed from the earlier noisy publications in the log."""
    if not isinstance(statement, Mapping):
        return ["the log records no budget entry for this noisy report"]
    limit = float(statement["limit_per_quarter_and_population"])
    spent: dict[tuple[str, str], float] = {}
    for data in earlier:
        if data.get("noise") is None:
            continue
        for q in Period.parse(str(data["period"])).quarters:
            for population, epsilon in data["noise"]["populations"].items():
                spent[(q, population)] = spent.get((q, population), 0.0) + float(epsilon)
    out = []
    for q in period.quarters:
        for population, epsilon in populations.items():
            left = limit - spent.get((q, population), 0.0) - epsilon
            stated = statement.get("left", {}).get(q, {}).get(population)
            if left < -_CLOSE:
                out.append(f"budget: {q} {population} is overspent")
            if stated is None or abs(float(stated) - max(0.0, left)) > _CLOSE:
                out.append(f"budget: {q} {population} states {stated} left, the log gives {left}")
    return out


def _noisy_cells(published: Mapping[str, Any], truth: Sequence[CountTable]) -> list[str]:
    mine = [table_data(p) for p in protect_all(truth)]
    pairs, out = _tables(published, mine)
    shared: dict[tuple[str, str], set[int]] = {}
    links = {t.key: t for t in truth}
    for theirs, m in pairs:
        shape = _shape_differences(theirs, m)
        out += shape
        if shape:
            continue
        table = links[m["key"]]
        out += _consistency(theirs, table)
        if table.link is not None and table.column_totals:
            for label, value in zip(table.column_labels, theirs["cells"][-1], strict=True):
                if value is not None:
                    shared.setdefault((table.link, label), set()).add(value)
    out += [
        f"linked tables publish different totals for {label}: {sorted(values)}"
        for (_, label), values in sorted(shared.items())
        if len(values) > 1
    ]
    return out


def _consistency(theirs: Mapping[str, Any], table: CountTable) -> list[str]:
    """Published totals are the sums of their published cells; no small count is shown."""
    key, cells, out = table.key, theirs["cells"], []
    out += [
        f"table {key} publishes a small count at {i},{j}"
        for i, row in enumerate(cells)
        for j, v in enumerate(row)
        if v is not None and SMALL_MIN <= v <= SMALL_MAX
    ]
    lines: list[list[int | None]] = []
    if table.row_totals:
        lines += [list(row) for row in cells]
    if table.column_totals:
        lines += [[row[j] for row in cells] for j in range(len(cells[0]))]
    for n, line in enumerate(lines):
        *parts, total = line
        if total is not None and None not in parts and sum(p for p in parts if p) != total:
            out.append(f"table {key}: a published total is not the sum of its cells ({n})")
    return out
