"""Small-cell suppression: primary (counts 1 to 10) and complementary, so none can be derived.

Policy. The CMS cell size suppression policy: no cell from 1 to 10 may be published, and no
such cell may be derivable from other published figures — so more cells are withheld
("complementary suppression"). Zero may be shown. The same rule is applied to totals.

Why a suppressed cell cannot be derived. A table with totals is a system of linear equations:
each row's cells sum to the row total, each column's to the column total. Substituting the
published values leaves equations in the suppressed cells only. With the totals' signs flipped,
every cell appears with coefficient +1 in exactly one row equation and one column equation, so
the system is the incidence matrix of a bipartite multigraph — equations as nodes, suppressed
cells as edges (a cell in a table without column totals joins its row to one extra free node,
and so on). The null space of an incidence matrix is spanned by the graph's cycles. Hence a
suppressed cell's value is determined by the published figures exactly when its edge lies on no
cycle, that is when it is a bridge (Willenborg & de Waal, *Elements of Statistical Disclosure
Control*, 2001, ch. 6 on the "hypercube" and network views of secondary suppression).

The algorithm therefore (1) suppresses every cell and total from 1 to 10, then (2) while some
suppressed cell is a bridge, suppresses the cheapest path of further cells that closes a cycle
through it — cheapest meaning the smallest counts, zeros last, since a suppressed zero protects
little. Adding edges never makes another edge a bridge, and every edge added lies on the new
cycle, so each round removes a bridge and the loop ends.

Tables that publish the same totals (the outcome totals of requests appear in several tables)
share their suppression of those totals: a total withheld in one table is withheld in all, so
one table cannot reveal what another protects. Shared totals are the same unknowns in every
linked table, so there each one sits in the equations of several tables — no longer an edge
of one graph — and the bridge argument holds table by table but not for the tables together:
two tables, each safe alone, can pin a cell down between them. Linked tables are therefore
also checked together by exact elimination over the rationals (a withheld cell is determined
when every solution of the published equations gives it the same value), and while one is,
the cheapest published cell beside it is withheld too and the tables are protected again.
Each round withholds one more cell, so this ends; withholding everything is always safe.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

#: The smallest and largest counts that may never be published (CMS policy).
SMALL_MIN = 1
SMALL_MAX = 10
TOTAL_LABEL = "Total"

_ZERO_COST = 10**9

Cell = tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class CountTable:
    """A table of exact counts before any protection."""

    key: str
    title: str
    #: What is counted: "requests", "people", "person-disclosures", …
    unit: str
    row_header: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    #: Interior counts, `values[i][j]` for `rows[i]` × `columns[j]`.
    values: tuple[tuple[int, ...], ...]
    #: Publish each row's sum (a last "Total" column).
    row_totals: bool = True
    #: Publish each column's sum (a last "Total" row).
    column_totals: bool = True
    #: Tables with the same link publish the same column totals and share their suppression.
    link: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if len(self.values) != len(self.rows) or any(
            len(r) != len(self.columns) for r in self.values
        ):
            raise ValueError(f"table {self.key}: values do not match rows × columns")
        if any(v < 0 for r in self.values for v in r):
            raise ValueError(f"table {self.key}: counts are never negative")

    @property
    def row_labels(self) -> tuple[str, ...]:
        return (*self.rows, TOTAL_LABEL) if self.column_totals else self.rows

    @property
    def column_labels(self) -> tuple[str, ...]:
        return (*self.columns, TOTAL_LABEL) if self.row_totals else self.columns

    def grid(self) -> list[list[int]]:
        """The published grid: the counts with their totals appended."""
        out = [list(r) for r in self.values]
        if self.row_totals:
            for r in out:
                r.append(sum(r))
        if self.column_totals:
            width = len(self.column_labels)
            out.append([sum(r[j] for r in out) for j in range(width)])
        return out

    def total_row_cells(self) -> dict[str, Cell]:
        """Column label → position of its total (the shared cells of linked tables)."""
        if not self.column_totals:
            return {}
        last = len(self.rows)
        return {label: (last, j) for j, label in enumerate(self.column_labels)}


@dataclass(frozen=True, kw_only=True)
class ProtectedTable:
    """A table as published: every cell a count, or None where suppressed."""

    table: CountTable
    cells: tuple[tuple[int | None, ...], ...]
    primary: frozenset[Cell]
    complementary: frozenset[Cell]

    @property
    def suppressed(self) -> frozenset[Cell]:
        return self.primary | self.complementary


def is_small(value: int) -> bool:
    return SMALL_MIN <= value <= SMALL_MAX


# --- the equation graph -------------------------------------------------------------------------

_FREE = ("free", 0)
Node = tuple[str, int]


def _ends(table: CountTable, cell: Cell) -> tuple[Node, Node]:
    """The two equations a cell takes part in (the free node where there is no equation)."""
    i, j = cell
    return (("row", i) if table.row_totals else _FREE, ("col", j) if table.column_totals else _FREE)


def _connected(table: CountTable, edges: Sequence[Cell], a: Node, b: Node) -> bool:
    adjacency: dict[Node, list[Node]] = {}
    for e in edges:
        u, v = _ends(table, e)
        adjacency.setdefault(u, []).append(v)
        adjacency.setdefault(v, []).append(u)
    seen, stack = {a}, [a]
    while stack:
        node = stack.pop()
        if node == b:
            return True
        for nxt in adjacency.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def determined(table: CountTable, suppressed: frozenset[Cell] | set[Cell], cell: Cell) -> bool:
    """Whether the published figures fix the value of suppressed `cell` (it is a bridge)."""
    u, v = _ends(table, cell)
    if u == v:
        return False  # in no equation, or twice in the same one: never determined
    others = [e for e in suppressed if e != cell]
    return not _connected(table, others, u, v)


def _shortest(
    adjacency: dict[Node, list[tuple[Node, Cell]]],
    cost: Callable[[Cell], int],
    start: Node,
    goal: Node,
) -> dict[Node, tuple[Node, Cell]] | None:
    """Dijkstra: for each node reached, the node and cell it was reached by; None if `goal`
    cannot be reached."""
    best: dict[Node, int] = {start: 0}
    back: dict[Node, tuple[Node, Cell]] = {}
    queue: list[tuple[int, Node]] = [(0, start)]
    while queue:
        d, node = heapq.heappop(queue)
        if node == goal:
            return back
        if d > best.get(node, d):
            continue
        for nxt, c in adjacency.get(node, ()):
            nd = d + cost(c)
            if nd < best.get(nxt, nd + 1):
                best[nxt] = nd
                back[nxt] = (node, c)
                heapq.heappush(queue, (nd, nxt))
    return None


def _cheapest_cycle(
    table: CountTable, grid: list[list[int]], suppressed: set[Cell], bridge: Cell
) -> list[Cell] | None:
    """Cells to add so that `bridge` lies on a cycle: Dijkstra between its two equations.

    None when no cycle can be closed at all.
    """
    start, goal = _ends(table, bridge)
    cells = [(i, j) for i in range(len(grid)) for j in range(len(grid[0])) if (i, j) != bridge]
    adjacency: dict[Node, list[tuple[Node, Cell]]] = {}
    for c in cells:
        u, v = _ends(table, c)
        adjacency.setdefault(u, []).append((v, c))
        adjacency.setdefault(v, []).append((u, c))

    def cost(c: Cell) -> int:
        if c in suppressed:
            return 0
        value = grid[c[0]][c[1]]
        return (value if value > 0 else _ZERO_COST) + 1

    back = _shortest(adjacency, cost, start, goal)
    if back is None:
        return None
    path: list[Cell] = []
    node = goal
    while node != start:
        node, c = back[node]
        path.append(c)
    return [c for c in path if c not in suppressed]


def protect(table: CountTable, forced: frozenset[Cell] = frozenset()) -> ProtectedTable:
    """Primary then complementary suppression of one table (see the module docstring).

    `forced` cells are withheld whatever their value (totals another linked table withholds).
    """
    grid = table.grid()
    # 1. Primary: every count and total from 1 to 10.
    primary = {
        (i, j) for i, row in enumerate(grid) for j, value in enumerate(row) if is_small(value)
    }
    suppressed = primary | set(forced)
    # 2. Complementary: close a cycle through every bridge, cheapest cells first.
    while True:
        bridge = next((c for c in sorted(suppressed) if determined(table, suppressed, c)), None)
        if bridge is None:
            break
        added = _cheapest_cycle(table, grid, suppressed, bridge)
        if added is None:
            # No cycle can protect it: withhold the whole table.
            suppressed = {(i, j) for i, row in enumerate(grid) for j in range(len(row))}
            break
        suppressed |= set(added)
    cells = tuple(
        tuple(None if (i, j) in suppressed else v for j, v in enumerate(row))
        for i, row in enumerate(grid)
    )
    return ProtectedTable(
        table=table,
        cells=cells,
        primary=frozenset(primary),
        complementary=frozenset(suppressed - primary),
    )


def protect_all(
    tables: Sequence[CountTable], withheld: Mapping[str, Iterable[Cell]] | None = None
) -> list[ProtectedTable]:
    """Protect every table, sharing the suppression of linked totals, until linked tables
    together determine no withheld cell (see the module docstring).

    `withheld`: cells to withhold whatever their value, by table key (the history check's).
    """
    forced_by_link: dict[str, set[str]] = {}
    #: Cells withheld, table by table, to break a derivation across linked tables.
    extra: list[set[Cell]] = [set((withheld or {}).get(t.key, ())) for t in tables]
    while True:
        out = []
        for t, more in zip(tables, extra, strict=True):
            positions = t.total_row_cells()
            labels = forced_by_link.get(t.link, set()) if t.link else set()
            out.append(protect(t, frozenset(positions[label] for label in labels) | more))
        changed = False
        for p in out:
            if p.table.link is None:
                continue
            hidden = {label for label, c in p.table.total_row_cells().items() if c in p.suppressed}
            known = forced_by_link.setdefault(p.table.link, set())
            if not hidden <= known:
                known |= hidden
                changed = True
        if changed:
            continue
        for link in sorted({t.link for t in tables if t.link is not None}):
            members = [k for k, t in enumerate(tables) if t.link == link]
            group = [out[k] for k in members]
            found = _jointly_determined(group)
            if found is not None:
                position, cell = _beside(group, *found)
                extra[members[position]].add(cell)
                changed = True
                break
        if not changed:
            return out


def _beside(group: Sequence[ProtectedTable], position: int, cell: Cell) -> tuple[int, Cell]:
    """The cheapest published cell to withhold for determined `cell`: in its row or column
    first, elsewhere in its table next, then in the other linked tables. There is always one:
    with everything withheld, nothing is determined."""

    def rank(k: int, c: Cell) -> int:
        if k != position:
            return 2
        return 0 if c[0] == cell[0] or c[1] == cell[1] else 1

    published = [
        ((rank(k, (i, j)), value if value > 0 else _ZERO_COST), k, (i, j))
        for k, p in enumerate(group)
        for i, row in enumerate(p.cells)
        for j, value in enumerate(row)
        if value is not None
    ]
    _, k, c = min(published)
    return k, c


def _jointly_determined(group: Sequence[ProtectedTable]) -> tuple[int, Cell] | None:
    """A withheld cell (table position, cell) that the linked tables' published figures
    determine together, or None. Exact: reduced row echelon form over the rationals."""
    rows, owners = _joint_system(group)
    for r, column in enumerate(_reduce(rows)):
        # A pivot variable is determined when its row involves no free variable.
        if all(v == 0 for c, v in enumerate(rows[r]) if c != column):
            return owners[column]
    return None


def _joint_system(
    group: Sequence[ProtectedTable],
) -> tuple[list[list[Fraction]], list[tuple[int, Cell]]]:
    """The published sums of linked tables as equations in their withheld cells (constants
    dropped: they do not change what is determined), and where each unknown sits. A withheld
    total of the shared total row is one unknown for all the tables."""
    variables: dict[tuple[str, Cell], int] = {}
    owners: list[tuple[int, Cell]] = []

    def variable(position: int, cell: Cell) -> int:
        table = group[position].table
        shared = table.column_totals and cell[0] == len(table.rows)
        name = (
            (f"total:{table.column_labels[cell[1]]}", (0, 0)) if shared else (str(position), cell)
        )
        if name not in variables:
            variables[name] = len(variables)
            owners.append((position, cell))
        return variables[name]

    for position, p in enumerate(group):
        for cell in sorted(p.suppressed):
            variable(position, cell)
    rows: list[list[Fraction]] = []
    for position, p in enumerate(group):
        for equation in _equations(p.table):
            row = [Fraction(0)] * len(variables)
            for cell, k in equation:
                if cell in p.suppressed:
                    row[variable(position, cell)] += k
            if any(row):
                rows.append(row)
    return rows, owners


def _equations(table: CountTable) -> list[list[tuple[Cell, int]]]:
    """Each published sum as (cell, coefficient) pairs adding to zero."""
    height, width = len(table.row_labels), len(table.column_labels)
    across = [
        [*(((i, j), 1) for j in range(width - 1)), ((i, width - 1), -1)] for i in range(height)
    ]
    down = [
        [*(((i, j), 1) for i in range(height - 1)), ((height - 1, j), -1)] for j in range(width)
    ]
    return (across if table.row_totals else []) + (down if table.column_totals else [])


def _reduce(rows: list[list[Fraction]]) -> list[int]:
    """Bring `rows` to reduced row echelon form in place; the pivot column of each row kept
    (rows past the rank are dropped)."""
    pivots: list[int] = []
    width = len(rows[0]) if rows else 0
    rank = 0
    for c in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][c] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        lead = rows[rank][c]
        rows[rank] = [v / lead for v in rows[rank]]
        for r in range(len(rows)):
            if r != rank and rows[r][c] != 0:
                f = rows[r][c]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[rank], strict=True)]
        pivots.append(c)
        rank += 1
    del rows[rank:]
    return pivots
