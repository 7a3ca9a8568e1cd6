"""Bounds of linear forms over the non-negative integer solutions of a linear system (HiGHS).

The attacker of a set of published tables knows linear equations and inequalities in unknown
non-negative integer counts; the tightest interval they can give a withheld cell is the
minimum and the maximum of its linear form over the integer solutions (Willenborg & de Waal,
*Elements of Statistical Disclosure Control*, 2001, §6.2; tau-ARGUS computes the same bounds
to check its protection levels). HiGHS solves each bound: first the linear relaxation, hot
started from the previous basis, since only the objective changes between bounds; when its
optimal vertex is integral that is also the integer optimum, and only otherwise is the integer
program solved. Every bound the solver cannot certify is reported as the cell's own value,
so a failed solve fails closed: the cell counts as given away.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np

#: A linear form: unknown index → coefficient.
Form = Mapping[int, int]
_TOLERANCE = 1e-6


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """`lower ≤ form ≤ upper` (`math.inf` for no upper bound)."""

    form: Form
    lower: float
    upper: float


_banner_shown = threading.Lock()


def _quiet() -> highspy.Highs:
    """A silent solver. HiGHS writes its banner to the process's standard output (the C
    stream, past Python's `sys.stdout`) the first time one is created: send that one to
    /dev/null, so the CLI's output stays its own."""
    if not _banner_shown.acquire(blocking=False):
        h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's wrapper is unannotated
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with Path(os.devnull).open("wb") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's wrapper is unannotated
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    h.setOptionValue("output_flag", False)  # noqa: FBT003 - HiGHS's own signature
    # The Python wrapper routes HiGHS's callbacks through Python on every event; none is used.
    h.disableCallbacks()  # type: ignore[no-untyped-call]  # highspy's wrapper is unannotated
    return h


def _fix_singletons(
    n: int, constraints: Sequence[Constraint]
) -> tuple[dict[int, float], list[Constraint], list[tuple[float, float]]]:
    """Presolve by singleton rows: an equation left with one unknown fixes it, and the fixed
    value is substituted everywhere, until nothing changes; an inequality left with one
    unknown becomes that unknown's bounds. Returns the fixed unknowns, the constraints that
    are left (over unfixed unknowns only) and each unknown's bounds. A published cell of a
    quarter's report is such an equation: most unknowns go before the solver sees them."""
    fixed: dict[int, float] = {}
    uses: dict[int, list[int]] = {}
    for r, c in enumerate(constraints):
        for v in c.form:
            uses.setdefault(v, []).append(r)
    todo = list(range(len(constraints)))
    while todo:
        r = todo.pop()
        c = constraints[r]
        free = [(v, k) for v, k in c.form.items() if k and v not in fixed]
        if len(free) != 1 or c.lower != c.upper:
            continue
        v, k = free[0]
        rest = sum(k2 * fixed[v2] for v2, k2 in c.form.items() if v2 in fixed)
        fixed[v] = (c.lower - rest) / k
        todo.extend(uses.get(v, []))
    bounds = [(0.0, math.inf)] * n
    left = []
    for c in constraints:
        rest = sum(k * fixed[v] for v, k in c.form.items() if v in fixed)
        form = {v: k for v, k in c.form.items() if k and v not in fixed}
        lower, upper = c.lower - rest, c.upper - rest
        if len(form) == 1 and next(iter(form.values())) > 0:
            ((v, k),) = form.items()
            low, high = bounds[v]
            bounds[v] = (max(low, lower / k), min(high, upper / k))
        elif form:
            left.append(Constraint(form=form, lower=lower, upper=upper))
    return fixed, left, bounds


def _round(value: float, how: Callable[[float], int], slack: float) -> float:
    return value if math.isinf(value) else float(how(value + slack))


class Bounds:
    """The system, loaded once; `interval(form)` for each withheld cell."""

    def __init__(
        self,
        unknowns: int,
        constraints: Sequence[Constraint],
        solution: Sequence[int] | None = None,
    ) -> None:
        """`solution`: an integer solution already known (the true counts), if any."""
        self._fixed, left, self._bounds = _fix_singletons(unknowns, constraints)
        free = [v for v in range(unknowns) if v not in self._fixed]
        self._column = {v: k for k, v in enumerate(free)}
        self._n = len(free)
        self._constraints = [
            Constraint(
                form={self._column[v]: k for v, k in c.form.items()},
                lower=c.lower,
                upper=c.upper,
            )
            for c in left
        ]
        self._lp = self._model()
        self._h = _quiet()
        # Only the objective changes between bounds: keep the basis, skip presolve.
        self._h.setOptionValue("presolve", "off")
        self._h.setOptionValue("simplex_strategy", 4)  # primal: the old basis stays feasible
        self._h.passModel(self._lp)
        self._costs: list[int] = []
        self._pool: list[np.ndarray] = []
        self._stack: np.ndarray | None = None
        if solution is not None:
            self._keep(np.array([float(solution[v]) for v in free]))

    def _model(self) -> highspy.HighsLp:
        columns: list[list[tuple[int, float]]] = [[] for _ in range(self._n)]
        for r, c in enumerate(self._constraints):
            for v, k in c.form.items():
                if k:
                    columns[v].append((r, float(k)))
        lp = highspy.HighsLp()
        lp.num_col_ = self._n
        lp.num_row_ = len(self._constraints)
        lp.col_cost_ = np.zeros(self._n)
        free = sorted(self._column, key=self._column.__getitem__)
        lp.col_lower_ = np.array([self._bounds[v][0] for v in free], dtype=float)
        lp.col_upper_ = np.array(
            [highspy.kHighsInf if math.isinf(b) else b for b in (self._bounds[v][1] for v in free)],
            dtype=float,
        )
        lp.row_lower_ = np.array([c.lower for c in self._constraints], dtype=float)
        lp.row_upper_ = np.array(
            [highspy.kHighsInf if math.isinf(c.upper) else c.upper for c in self._constraints],
            dtype=float,
        )
        starts = [0]
        for col in columns:
            starts.append(starts[-1] + len(col))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array([r for col in columns for r, _ in col], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([k for col in columns for _, k in col], dtype=float)
        return lp

    def _objective(self, form: Form) -> None:
        if self._costs:
            idx = np.array(self._costs, dtype=np.int32)
            self._h.changeColsCost(len(idx), idx, np.zeros(len(idx)))
        self._costs = [v for v, k in form.items() if k]
        idx = np.array(self._costs, dtype=np.int32)
        self._h.changeColsCost(len(idx), idx, np.array([float(form[v]) for v in self._costs]))

    def _relaxed(self, sense: highspy.ObjSense) -> tuple[float, bool] | None:
        """The relaxation's bound and whether its vertex is integral (then it is also the
        integer optimum, and the vertex another integer solution to keep)."""
        self._h.changeObjectiveSense(sense)
        self._h.run()
        status = self._h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return (math.inf if sense == highspy.ObjSense.kMaximize else -math.inf), True
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        value = self._h.getInfo().objective_function_value
        values = np.asarray(self._h.getSolution().col_value)
        if bool(np.all(np.abs(values - np.round(values)) < _TOLERANCE)):
            self._keep(np.round(values))
            return float(round(value)), True
        return value, False

    def _keep(self, solution: np.ndarray) -> None:
        """An integer solution found on the way: it may already show another cell's bound."""
        self._pool.append(solution)
        self._stack = None

    def _known(self, form: Form, *, maximize: bool) -> float | None:
        """The best value of `form` over the integer solutions found so far."""
        if not self._pool:
            return None
        if self._stack is None:
            self._stack = np.vstack(self._pool)
        idx = np.array(sorted(form), dtype=np.int32)
        values = self._stack[:, idx] @ np.array([float(form[v]) for v in idx])
        return float(values.max() if maximize else values.min())

    def _mip(self) -> highspy.Highs:
        h = _quiet()
        h.passModel(self._lp)
        h.changeColsIntegrality(
            self._n,
            np.arange(self._n, dtype=np.int32),
            np.full(self._n, highspy.HighsVarType.kInteger, dtype=np.uint8),
        )
        h.setOptionValue("time_limit", 20.0)
        return h

    def _reach(
        self,
        free: Form,
        constant: float,
        *,
        inner: tuple[float | None, float | None],
        relaxed: tuple[tuple[float, bool], tuple[float, bool]],
        kept: Callable[[float, float], bool],
        targets: Callable[[float, float], tuple[float, float]] | None,
    ) -> tuple[float, float] | None:
        if targets is None or inner[0] is None or inner[1] is None:
            return None
        low, high = constant + inner[0], constant + inner[1]
        want_low, want_high = targets(low, high)
        if not relaxed[1][1] and want_high > high:
            found = self._reaches(free, want_high - constant, maximize=True)
            high = max(high, constant + found) if found is not None else high
        if kept(low, high):
            return low, high
        if not relaxed[0][1] and want_low < low:
            found = self._reaches(free, want_low - constant, maximize=False)
            low = min(low, constant + found) if found is not None else low
        return (low, high) if kept(low, high) else None

    def _reaches(self, form: Form, need: float, *, maximize: bool) -> float | None:
        """An integer solution taking `form` to `need` (at least, or at most), if any: a
        feasibility problem, which HiGHS stops at its first solution."""
        h = self._mip()
        idx = np.array(sorted(form), dtype=np.int32)
        low, high = (need, highspy.kHighsInf) if maximize else (-highspy.kHighsInf, need)
        h.addRow(low, high, len(idx), idx, np.array([float(form[v]) for v in idx]))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.round(np.asarray(h.getSolution().col_value))
        self._keep(values)
        return float(sum(k * values[v] for v, k in form.items()))

    def _integer(self, form: Form, sense: highspy.ObjSense) -> float | None:
        h = self._mip()
        idx = np.array([v for v in form if form[v]], dtype=np.int32)
        h.changeColsCost(len(idx), idx, np.array([float(form[v]) for v in idx]))
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return math.inf if sense == highspy.ObjSense.kMaximize else -math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        return float(round(h.getInfo().objective_function_value))

    def interval(  # noqa: PLR0911 - one return per step of the algorithm
        self,
        form: Form,
        truth: int,
        kept: Callable[[float, float], bool],
        targets: Callable[[float, float], tuple[float, float]] | None = None,
    ) -> tuple[float, float]:
        """The interval of `form` over the integer solutions, as far as `kept` needs it.

        1. Integer solutions found so far bound it from inside; if that inner interval is
           kept, so is the true one.
        2. The relaxation bounds it from outside; if that is not kept, neither is the true one.
        3. Otherwise integer programs look for solutions reaching the `targets` (low, high)
           the rule needs from the inner interval — a feasibility question, answered at the
           first solution — and failing that, settle each fractional end exactly.
        An end the solver cannot certify is `truth` (fail closed: the cell counts as given
        away).
        """
        constant = sum(k * self._fixed[v] for v, k in form.items() if v in self._fixed)
        free = {self._column[v]: k for v, k in form.items() if k and v not in self._fixed}
        if not free:
            return constant, constant
        inner = (self._known(free, maximize=False), self._known(free, maximize=True))
        if (
            inner[0] is not None
            and inner[1] is not None
            and kept(constant + inner[0], constant + inner[1])
        ):
            return constant + inner[0], constant + inner[1]
        self._objective(free)
        low, high = (
            self._relaxed(highspy.ObjSense.kMinimize),
            self._relaxed(highspy.ObjSense.kMaximize),
        )
        if low is None or high is None:
            return truth, truth
        outer = (_round(low[0], math.ceil, -_TOLERANCE), _round(high[0], math.floor, _TOLERANCE))
        if not kept(constant + outer[0], constant + outer[1]):
            return constant + outer[0], constant + outer[1]
        reached = self._reach(
            free, constant, inner=inner, relaxed=(low, high), kept=kept, targets=targets
        )
        if reached is not None:
            return reached
        ends = []
        for (value, integral), sense in (
            (low, highspy.ObjSense.kMinimize),
            (high, highspy.ObjSense.kMaximize),
        ):
            exact = float(value) if integral else self._integer(free, sense)
            if exact is None:
                return truth, truth
            ends.append(exact)
        return constant + ends[0], constant + ends[1]
