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
one table cannot reveal what another protects.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


def protect_all(tables: Sequence[CountTable]) -> list[ProtectedTable]:
    """Protect every table, sharing the suppression of linked totals until nothing changes."""
    forced_by_link: dict[str, set[str]] = {}
    while True:
        out = []
        for t in tables:
            positions = t.total_row_cells()
            labels = forced_by_link.get(t.link, set()) if t.link else set()
            out.append(protect(t, frozenset(positions[label] for label in labels)))
        changed = False
        for p in out:
            if p.table.link is None:
                continue
            withheld = {
                label for label, c in p.table.total_row_cells().items() if c in p.suppressed
            }
            known = forced_by_link.setdefault(p.table.link, set())
            if not withheld <= known:
                known |= withheld
                changed = True
        if not changed:
            return out
