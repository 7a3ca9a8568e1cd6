"""Suppression across every report ever published: interval protection by integer programming.

Why. Each report is safe alone (`_suppress`), but reports of nested periods are not: the year
minus its two halves, or a half minus one of its quarters, gives back what each withheld, and
one report's tables bound one another (a program's requests never exceed the outcome's
total). So before a report is published, its cells are checked together with the cells of
every exact report already published, as a statistical office checks linked tables with
tau-ARGUS (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2–4.3:
protection levels, and the attacker's interval of a cell from linear programming).

The attacker's model.
1. Unknowns: one non-negative integer per calendar quarter, table, row and column (`Atom`),
   and per checkpoint where the count changed — an unchanged count is one unknown, as a
   careful attacker would guess.
2. Equations: every published cell, margin and total of every report is the sum of the
   unknowns of the quarters its period covers (periods follow one calendar: `Period.quarters`).
   A delayed-notice row counts the quarters its delay ends in, the first and "later" rows
   clamped.
3. What the tables say about one another, per quarter: the requester-kind and legal-process
   tables count the same requests (equal outcome columns); a program's, an emergency or a bulk
   row's requests never exceed the outcome's total; a sensitivity class's person-disclosures
   never exceed the requester kind's; delayed notices never exceed all disclosures.
4. For every withheld cell, the smallest and largest value of its sum over the integer
   solutions (`_solver.Bounds`).

The rule (`Protection`). No withheld count from 1 to 10 (cell or total) may be determined
(smallest = largest), and its interval must span the whole 1–10 band, or at least a set width.
A withheld zero or count above 10 is withheld only to protect others — it could have been
published — so its own interval does not matter; what it hides is checked through the small
counts it protects.

The defence. While the rule fails for some withheld cell (of this report or an earlier one),
withhold one more published cell of the report being published — one that shares an unknown
with the cell at risk, else one of the same table, else one of a related table, the smallest
count first, zeros last — and suppress the report again (`protect_all`), so each table stays
safe alone. Each round withholds more, so this ends; withholding the whole report adds no
equation, and the history alone was checked when it was published. Noisy reports add no
exact equation and are not part of the history (an exact and a noisy report never cover the
same quarter: see the budget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from custos.oversight._aggregate import OUTCOMES, notice_row
from custos.oversight._periods import Period
from custos.oversight._publication import (
    HIDDEN,
    Atom,
    Protection,
    Publication,
    PublishedTable,
)
from custos.oversight._solver import Bounds, Constraint
from custos.oversight._suppress import SMALL_MAX, SMALL_MIN, CountTable, ProtectedTable, protect_all

Cell = tuple[int, int]
_REQUESTS = ("requests_by_requester_kind", "requests_by_legal_process")
_BELOW_TOTAL = ("requests_by_program", "emergency_and_bulk")
_BLOCKS = (
    {*_REQUESTS, *_BELOW_TOTAL},
    {"people_affected", "fields_by_sensitivity", HIDDEN},
)
_ZERO_COST = 10**9


# --- the attacker's model -----------------------------------------------------------------------


class _Model:
    def __init__(self) -> None:
        self.index: dict[tuple[Atom, int], int] = {}
        self.constraints: list[Constraint] = []
        self._keys: dict[tuple[int, str, str], list[str]] = {}

    def var(self, atom: Atom, value: int) -> int:
        return self.index.setdefault((atom, value), len(self.index))

    def row_keys(self, pub: Publication, table: PublishedTable, q: str, row: str) -> list[str]:
        if table.key != HIDDEN:
            return [row]
        keys = self._keys.get((id(pub), q, table.key))
        if keys is None:
            keys = sorted(a[2] for a in pub.atoms if a[0] == q and a[1] == table.key)
            self._keys[(id(pub), q, table.key)] = keys
        return [x for x in keys if notice_row(x, table.rows) == row]

    def cell(
        self, pub: Publication, table: PublishedTable, i: int, j: int
    ) -> tuple[dict[int, int], int]:
        """The cell's linear form in the unknowns, and its true value."""
        rows = table.rows if table.column_totals and i == len(table.rows) else (table.rows[i],)
        last = table.row_totals and j == len(table.columns)
        columns = table.columns if last else (table.columns[j],)
        form: dict[int, int] = {}
        truth = 0
        for q in Period.parse(pub.period).quarters:
            for r in rows:
                for x in self.row_keys(pub, table, q, r):
                    for c in columns:
                        value = pub.atoms.get((q, table.key, x, c))
                        if value is not None:
                            v = self.var((q, table.key, x, c), value)
                            form[v] = form.get(v, 0) + 1
                            truth += value
        return form, truth

    def publish(self, pub: Publication) -> list[tuple[Cell, str, dict[int, int], int]]:
        """The report's published cells as equations; its withheld cells (cell, table,
        form, truth)."""
        withheld = []
        for table in pub.tables:
            for i, row in enumerate(table.cells):
                for j, value in enumerate(row):
                    form, truth = self.cell(pub, table, i, j)
                    if value is None:
                        withheld.append(((i, j), table.key, form, truth))
                    elif form:
                        self.constraints.append(Constraint(form=form, lower=value, upper=value))
        return withheld

    def relate(self, pub: Publication, q: str) -> None:
        """What the tables of one quarter say about one another (step 3)."""
        cells: dict[str, list[tuple[str, str, int]]] = {}
        for (quarter, key, r, c), value in pub.atoms.items():
            if quarter == q:
                cells.setdefault(key, []).append((r, c, self.var((quarter, key, r, c), value)))

        def column(key: str, c: str) -> dict[int, int]:
            return {v: 1 for _, c2, v in cells.get(key, []) if c2 == c}

        disclosed = {
            r: {v: 1} for r, c, v in cells.get("people_affected", []) if c.startswith("whose")
        }
        for c in OUTCOMES:
            kinds = column(_REQUESTS[0], c)
            self._at_most(column(_REQUESTS[1], c), kinds)
            self._at_most(kinds, column(_REQUESTS[1], c))
            for key in _BELOW_TOTAL:
                for v in column(key, c):
                    self._at_most({v: 1}, kinds)
        for _, kind, v in cells.get("fields_by_sensitivity", []):
            self._at_most({v: 1}, disclosed.get(kind, {}))
        everyone = {v: 1 for d in disclosed.values() for v in d}
        self._at_most(column(HIDDEN, "entries"), everyone)

    def _at_most(self, small: dict[int, int], large: dict[int, int]) -> None:
        """`small ≤ large`, both sums of unknowns (nothing when either is empty: a count
        with no unknown is zero, and zero is at most anything)."""
        if not small or not large:
            return
        form = dict(large)
        for v, k in small.items():
            form[v] = form.get(v, 0) - k
        self.constraints.append(Constraint(form=form, lower=0, upper=math.inf))


@dataclass(frozen=True, kw_only=True)
class AtRisk:
    """A withheld cell the published reports together give away."""

    #: Position of the report in the list checked, and its id.
    position: int
    report_id: str
    table: str
    cell: Cell
    low: float
    high: float
    value: int


Owner = tuple[int, str, Cell]  # position of the report, table key, cell


def _components(n: int, constraints: Sequence[Constraint]) -> list[int]:
    """Union-find: the component of each unknown (unknowns linked by any constraint)."""
    parent = list(range(n))

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for c in constraints:
        vs = [v for v, k in c.form.items() if k]
        for v in vs[1:]:
            parent[find(v)] = find(vs[0])
    return [find(v) for v in range(n)]


def _model(
    publications: Sequence[Publication],
) -> tuple[_Model, dict[frozenset[tuple[int, int]], tuple[int, list[Owner]]], set[int]]:
    """The model of every publication; the withheld small counts by linear form (truth and
    owners); the unknowns the last publication touches."""
    model = _Model()
    withheld: dict[frozenset[tuple[int, int]], tuple[int, list[Owner]]] = {}
    touched: set[int] = set()
    for position, pub in enumerate(publications):
        before = len(model.constraints)
        for cell, key, form, truth in model.publish(pub):
            if position == len(publications) - 1:
                touched.update(form)
            if SMALL_MIN <= truth <= SMALL_MAX:  # a zero or a count above 10 only protects
                entry = withheld.setdefault(frozenset(form.items()), (truth, []))
                entry[1].append((position, key, cell))
        if position == len(publications) - 1:
            for c in model.constraints[before:]:
                touched.update(c.form)
    related: set[tuple[int, str]] = set()
    for pub in publications:
        for q in Period.parse(pub.period).quarters:
            if (pub.checkpoint, q) not in related:
                related.add((pub.checkpoint, q))
                model.relate(pub, q)
    return model, withheld, touched


def at_risk(
    publications: Sequence[Publication],
    protection: Protection,
    *,
    focus: set[Owner] | None = None,
) -> list[AtRisk]:
    """Withheld counts from 1 to 10 of `publications` whose interval breaks the rule (steps
    1–4): those the last publication can affect (linked to it by some equation), or only
    those of `focus`."""
    model, withheld, touched = _model(publications)
    component = _components(len(model.index), model.constraints)
    near = {component[v] for v in touched}
    chosen = {
        form: entry
        for form, entry in withheld.items()
        if (focus is None and any(component[v] in near for v, _ in form))
        or (focus is not None and any(o in focus for o in entry[1]))
    }
    keep = {component[v] for form in chosen for v, _ in form}
    columns = sorted(v for v in range(len(model.index)) if component[v] in keep)
    renumber = {v: k for k, v in enumerate(columns)}
    bounds = Bounds(
        len(columns),
        [
            Constraint(
                form={renumber[v]: k for v, k in c.form.items()}, lower=c.lower, upper=c.upper
            )
            for c in model.constraints
            if c.form and component[next(iter(c.form))] in keep
        ],
        solution=[
            value
            for (_, value), v in sorted(model.index.items(), key=lambda e: e[1])
            if component[v] in keep
        ],
    )
    out: list[AtRisk] = []
    for form_items, (truth, owners) in chosen.items():
        low, high = bounds.interval(
            {renumber[v]: k for v, k in form_items}, truth, protection.holds, protection.targets
        )
        if not protection.holds(low, high):
            out.extend(
                AtRisk(
                    position=n,
                    report_id=publications[n].report_id,
                    table=k,
                    cell=c,
                    low=low,
                    high=high,
                    value=truth,
                )
                for n, k, c in owners
            )
    return out


# --- the defence --------------------------------------------------------------------------------


def _atoms(model: _Model, pub: Publication, table: PublishedTable, cell: Cell) -> set[Atom]:
    form, _ = model.cell(pub, table, *cell)
    names = {v: atom for (atom, _), v in model.index.items()}
    return {names[v] for v in form}


def _choose(
    publications: Sequence[Publication], risks: set[tuple[int, str, Cell]]
) -> dict[str, set[Cell]]:
    """For each cell at risk, the published cell of the last report to withhold (see the
    module docstring); empty when that report publishes nothing more."""
    model = _Model()
    candidate = publications[-1]
    published = [
        (t, (i, j), value, _atoms(model, candidate, t, (i, j)))
        for t in candidate.tables
        for i, row in enumerate(t.cells)
        for j, value in enumerate(row)
        if value is not None
    ]
    out: dict[str, set[Cell]] = {}
    for position, key, cell in sorted(risks):
        pub = publications[position]
        table = next(t for t in pub.tables if t.key == key)
        risky = _atoms(model, pub, table, cell)
        left = [e for e in published if e[1] not in out.get(e[0].key, set())]
        if left:
            t, c, _, _ = min(left, key=lambda e: _rank(e, key, risky))
            out.setdefault(t.key, set()).add(c)
    return out


def _rank(
    entry: tuple[PublishedTable, Cell, int, set[Atom]], key: str, risky: set[Atom]
) -> tuple[int, int]:
    """Which published cell to withhold for a cell at risk, best first: a count (not a
    total) sharing an unknown with it (the same count of a nested period); a count of a
    related table on the same row or column label (the relations of step 3 run along
    those); a count of its own table on its row or column; any count of its own table, then
    of a related table; a total sharing an unknown; anything. The smallest count first,
    zeros last: a withheld zero protects little."""
    t, (i, j), value, atoms = entry
    block = next((b for b in _BLOCKS if key in b), {key})
    count = i < len(t.rows) and j < len(t.columns)
    labels = {a[2] for a in risky} | {a[3] for a in risky}
    mine = {a[2] for a in atoms} | {a[3] for a in atoms}
    tiers = (
        count and bool(atoms & risky),
        count and t.key != key and t.key in block and bool(labels & mine),
        count and t.key == key and bool(labels & mine),
        count and t.key == key,
        count and t.key in block,
        bool(atoms & risky),
    )
    near = next((n for n, hit in enumerate(tiers) if hit), len(tiers))
    return near, value if value > 0 else _ZERO_COST


def protect_history(
    tables: Sequence[CountTable],
    *,
    report_id: str,
    period: Period,
    checkpoint: int,
    atoms: Mapping[Atom, int],
    history: Sequence[Publication],
    protection: Protection,
) -> tuple[list[ProtectedTable], Publication]:
    """Suppress `tables` so that, with every report in `history`, no withheld cell of any of
    them breaks `protection` (see the module docstring)."""
    forced: dict[str, set[Cell]] = {}
    baseline: set[Owner] = set()
    focus: set[Owner] | None = None
    position = len(history)
    while True:
        protected = protect_all(tables, withheld=forced)
        pub = Publication(
            report_id=report_id,
            period=period.label,
            checkpoint=checkpoint,
            tables=tuple(PublishedTable.of(p) for p in protected),
            atoms=atoms,
        )
        publications = [*history, pub]
        if focus is not None:
            # Withholding more only widens intervals: check what was at risk, and what
            # this report newly withholds.
            focus |= {(position, p.table.key, c) for p in protected for c in p.suppressed}
        found = at_risk(publications, protection, focus=focus)
        risks = {(r.position, r.table, r.cell) for r in found} - baseline
        if not risks:
            return protected, pub
        more = _choose(publications, risks)
        if not more:
            if baseline:
                raise ValueError("the published reports give away withheld cells")
            # 5. Withholding everything still leaves cells at risk: the earlier reports did
            # so before this one (published before this check existed); only this one's
            # contribution counts.
            baseline = {(r.position, r.table, r.cell) for r in at_risk(history, protection)}
            continue
        focus = set(risks)
        for p in protected:
            # Keep what is withheld now, so that each round only widens intervals.
            forced.setdefault(p.table.key, set()).update(p.suppressed)
        for key, cells in more.items():
            forced.setdefault(key, set()).update(cells)
