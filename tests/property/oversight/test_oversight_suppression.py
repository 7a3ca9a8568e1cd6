"""Suppression never publishes a count from 1 to 10, and no withheld cell can be worked out.

"Worked out" is checked independently of the implementation's graph argument: the published
figures give linear equations (each row sums to its total, each column to its total); a
withheld cell is recoverable exactly when its unit vector lies in the row space of those
equations restricted to the withheld cells, which exact rational elimination decides.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from custos.oversight import CountTable, ProtectedTable, protect, protect_all

Cell = tuple[int, int]


def _equations(table: CountTable) -> list[dict[Cell, int]]:
    """Each equation as {cell: coefficient} over the published grid, summing to zero."""
    grid = table.grid()
    height, width = len(grid), len(grid[0])
    eqs: list[dict[Cell, int]] = []
    if table.row_totals:
        for i in range(height):
            eq = {(i, j): 1 for j in range(width - 1)}
            eq[(i, width - 1)] = -1
            eqs.append(eq)
    if table.column_totals:
        for j in range(width):
            eq = {(i, j): 1 for i in range(height - 1)}
            eq[(height - 1, j)] = -1
            eqs.append(eq)
    return eqs


def _rank(rows: list[list[Fraction]]) -> int:
    m = [r[:] for r in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((r for r in range(rank, len(m)) if m[r][c] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for r in range(len(m)):
            if r != rank and m[r][c] != 0:
                f = m[r][c] / m[rank][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


def recoverable(tables: list[ProtectedTable]) -> list[tuple[str, Cell]]:  # noqa: C901 - one check
    """Withheld cells whose value the published figures of all the tables determine.

    Linked tables share their total row: the same unknowns in every linked table.
    """
    names: dict[tuple[str, Cell], int] = {}

    def var(p: ProtectedTable, c: Cell) -> tuple[str, Cell]:
        t = p.table
        last = len(t.rows)
        if t.link is not None and t.column_totals and c[0] == last:
            return (f"link:{t.link}:{t.column_labels[c[1]]}", (0, 0))
        return (t.key, c)

    for p in tables:
        for c in sorted(p.suppressed):
            names.setdefault(var(p, c), len(names))
    if not names:
        return []
    matrix: list[list[Fraction]] = []
    for p in tables:
        for eq in _equations(p.table):
            row = [Fraction(0)] * len(names)
            for c, k in eq.items():
                if c in p.suppressed:
                    row[names[var(p, c)]] += k
            if any(row):
                matrix.append(row)
    base = _rank(matrix) if matrix else 0
    out = []
    for key, n in names.items():
        unit = [Fraction(int(i == n)) for i in range(len(names))]
        if _rank([*matrix, unit]) == base:
            out.append(key)
    return out


counts = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 400))


@st.composite
def tables(draw: st.DrawFn, *, link: str | None = None, columns: int | None = None) -> CountTable:
    n_rows = draw(st.integers(1, 5))
    n_cols = columns if columns is not None else draw(st.integers(1, 5))
    values = tuple(tuple(draw(counts) for _ in range(n_cols)) for _ in range(n_rows))
    row_totals, column_totals = (True, True) if link else (draw(st.booleans()), draw(st.booleans()))
    return CountTable(
        key=f"t{draw(st.integers(0, 10**6))}",
        title="t",
        unit="u",
        row_header="r",
        rows=tuple(f"r{i}" for i in range(n_rows)),
        columns=tuple(f"c{j}" for j in range(n_cols)),
        values=values,
        row_totals=row_totals,
        column_totals=column_totals,
        link=link,
    )


def _published_small(p: ProtectedTable) -> list[int]:
    return [v for row in p.cells for v in row if v is not None and 1 <= v <= 10]


@settings(max_examples=300, deadline=None)
@given(tables())
def test_one_table_publishes_no_small_cell_and_none_can_be_derived(table: CountTable) -> None:
    p = protect(table)
    assert _published_small(p) == []
    assert recoverable([p]) == []
    # What is published is the truth.
    for row, truth in zip(p.cells, table.grid(), strict=True):
        assert all(v is None or v == t for v, t in zip(row, truth, strict=True))


def _linked(rows: int, values: tuple[tuple[int, ...], ...]) -> CountTable:
    return CountTable(
        key="t0",
        title="t",
        unit="u",
        row_header="r",
        rows=tuple(f"r{i}" for i in range(rows)),
        columns=("c0", "c1", "c2"),
        values=values,
        link="L",
    )


# More examples than elsewhere: at 150 a derivation across two linked tables was found only
# now and then, and what it finds is a published count someone could work out.
@settings(max_examples=600, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda c: st.lists(tables(link="L", columns=c), min_size=2, max_size=3)
    )
)
# Each table safe alone, yet together they gave away a 1: the second table's columns fix
# the first table's last row, and with it the withheld cell above.
@example(
    [_linked(4, ((1, 0, 0), (0, 0, 0), (0, 1, 0), (0, 12, 11))), _linked(2, ((1, 0, 0), (0, 0, 0)))]
)
def test_linked_tables_protect_their_shared_totals(linked: list[CountTable]) -> None:
    # Linked tables count the same things: make their column totals agree, as in a report.
    first = linked[0].grid()[-1][:-1]
    fixed = [linked[0]]
    for t in linked[1:]:
        values = [list(r) for r in t.values]
        for j, target in enumerate(first):
            have = sum(r[j] for r in values[:-1]) if len(values) > 1 else 0
            if len(values) == 1 or have > target:
                values = [[0] * len(first) for _ in values]
                values[0][j] = target
                have = 0
            values[-1][j] = target - sum(r[j] for r in values[:-1])
        fixed.append(
            CountTable(
                key=f"{t.key}-{len(fixed)}",
                title=t.title,
                unit=t.unit,
                row_header=t.row_header,
                rows=t.rows,
                columns=t.columns,
                values=tuple(tuple(r) for r in values),
                link="L",
            )
        )
    protected = protect_all(fixed)
    for p in protected:
        assert _published_small(p) == []
    shared = {
        frozenset(label for label, c in p.table.total_row_cells().items() if c in p.suppressed)
        for p in protected
    }
    assert len(shared) == 1
    assert recoverable(protected) == []


def test_a_lone_small_cell_takes_a_partner_in_its_row_and_column() -> None:
    table = CountTable(
        key="k",
        title="t",
        unit="u",
        row_header="r",
        rows=("a", "b"),
        columns=("x", "y"),
        values=((3, 50), (40, 60)),
    )
    p = protect(table)
    assert p.cells[0][0] is None
    assert len(p.suppressed) == 4  # the cheapest cycle: the four interior cells
    assert p.cells[2] == (43, 110, 153)
