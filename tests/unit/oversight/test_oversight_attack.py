"""The privacy researcher's attack: integer programming over every report ever published.

A synthetic ledger of a year with many small counts; reports for the year, its halves and its
quarters, some issued twice, some again at a later checkpoint after pending requests were
decided. The attacker writes every published cell, margin and total of every report as a
linear equation in unknown per-quarter counts (one unknown per quarter, table, row and column,
and per checkpoint where the count changed), adds what the tables say about one another — the
outcome totals shared by the requester and legal-process tables, programs, emergency and bulk
rows never above their outcome total, a sensitivity class never above the disclosures of its
requester kind — and asks integer programming (HiGHS, through the same bounds helper the
defence uses) for the smallest and the
largest value of every withheld count from 1 to 10: none may be determined, and each must stay
anywhere in the whole 1–10 band. (Withheld zeros and counts above 10 only protect others.)

Written independently of `custos.oversight._history`, which defends against the same attack.
Before the history check existed (each report suppressed on its own), this attack gave away
443 withheld counts from 1 to 10 on this ledger: 156 determined exactly, 287 narrowed inside
the band.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from custos import oversight
from custos.domain.events import Event, EventTag
from custos.ledger import canonical
from custos.oversight._solver import Bounds, Constraint

CATALOGUE = {
    "snap/address": "contact",
    "snap/full_name": "identity",
    "medicaid/diagnosis": "health",
    "tanf/employer": "employment",
    "housing/immigration_status": "immigration_status",
}
KINDS = ["local_law_enforcement", "federal_immigration_enforcement", "court", "state"]
PROCESSES = ["court_order", "administrative_subpoena", "judicial_warrant", "written_request"]
ATTACKED = (
    "requests_by_requester_kind",
    "requests_by_legal_process",
    "requests_by_program",
    "emergency_and_bulk",
    "people_affected",
    "fields_by_sensitivity",
    "challenges",
    "retention_overdue",
)
YEAR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

Atom = tuple[int, str, str, str, str]  # snapshot, quarter, table, row, column


def _events(rng: random.Random, requests: int) -> tuple[list[Event], list[Event]]:
    """The year's entries, and the status entries that decide its pending requests later."""
    out: list[Event] = []
    later: list[Event] = []
    for r in range(requests):
        rid = f"req{r}"
        at = YEAR + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        kind = rng.choice(KINDS)
        fields = rng.sample(sorted(CATALOGUE), rng.randint(1, 2))
        bulk = rng.random() < 0.05
        data = {
            "requester": "rq",
            "requester_kind": kind,
            "legal_process": rng.choice(PROCESSES),
            "fields": fields,
            "named_subjects": 0 if bulk else rng.randint(1, 3),
            "bulk": {"programs": [fields[0].split("/")[0]]} if bulk else None,
            "emergency": rng.random() < 0.06,
        }
        out.append(
            Event(tag=EventTag.REQUEST_INTAKE_RECEIVE, at=at, actor="x", request_id=rid, data=data)
        )
        outcome = rng.choice(["approved", "partly_approved", "denied"])
        decision = {
            "approved": EventTag.REQUEST_DECISION_DISCLOSE,
            "partly_approved": EventTag.REQUEST_DECISION_PARTIAL,
            "denied": EventTag.REQUEST_DECISION_DENY,
        }[outcome]
        out.append(
            Event(
                tag=decision,
                at=at,
                actor="system",
                request_id=rid,
                data={"outcome": outcome, "subjects": data["named_subjects"]},
            )
        )
        roll = rng.random()
        status = (
            EventTag.REQUEST_STATUS_APPROVE
            if outcome != "denied" and roll < 0.6
            else EventTag.REQUEST_STATUS_DENY
            if roll < 0.8
            else EventTag.REQUEST_STATUS_WITHDRAW
            if roll < 0.88
            else None
        )
        done = at + dt.timedelta(days=rng.randint(1, 20))
        if status is None:
            later.append(
                Event(tag=EventTag.REQUEST_STATUS_DENY, at=done, actor="s", request_id=rid)
            )
            continue
        out.append(Event(tag=status, at=done, actor="s", request_id=rid))
        if status is EventTag.REQUEST_STATUS_APPROVE:
            out.extend(
                Event(
                    tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
                    at=done,
                    actor="s",
                    request_id=rid,
                    data={
                        "release": f"rel{r}",
                        "requester_kind": kind,
                        "fields": fields,
                        "notice_delayed_until": "2027-02-01" if rng.random() < 0.1 else None,
                    },
                )
                for _ in range(rng.randint(1, 3))
            )
        if rng.random() < 0.04:
            out.append(
                Event(
                    tag=EventTag.PERSON_CHALLENGE_FILE,
                    at=done,
                    actor="p",
                    request_id=rid,
                    data={"challenge": f"ch{r}"},
                )
            )
    return out, later


def frames(events: Sequence[Event]) -> oversight.EventFrames:
    bodies = [canonical(e.body()) for e in sorted(events, key=lambda e: e.at)]
    return oversight.decode(oversight.count_chunks([(list(range(len(bodies))), bodies)]))


@dataclass(frozen=True)
class Published:
    snapshot: int
    report: oversight.Report


def quarters(period: oversight.Period) -> list[str]:
    first = (period.start.month - 1) // 3
    count = (
        (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    ) // 3
    return [f"{period.start.year}-Q{first + k + 1}" for k in range(count)]


class Attacker:
    """Unknowns, equations and inequalities; bounds of linear forms by integer programming."""

    def __init__(self, truth: dict[tuple[int, str], oversight.ExactFigures]) -> None:
        self.truth = truth
        self.index: dict[Atom, int] = {}
        self.equations: list[tuple[dict[int, int], float, float]] = []

    def value(self, atom: Atom) -> int:
        snapshot, quarter, key, row, column = atom
        t = next(t for t in self.truth[(snapshot, quarter)].tables if t.key == key)
        return t.values[t.rows.index(row)][t.columns.index(column)]

    def var(self, atom: Atom) -> int:
        # Unchanged counts share one unknown across checkpoints: the attacker may guess so.
        snapshot, *rest = atom
        same = next(
            (
                (s, *rest)
                for s in range(snapshot)
                if (s, rest[0]) in self.truth and self.value((s, *rest)) == self.value(atom)  # type: ignore[arg-type]
            ),
            atom,
        )
        return self.index.setdefault(same, len(self.index))  # type: ignore[arg-type]

    def form(self, atoms: Sequence[Atom]) -> dict[int, int]:
        out: dict[int, int] = {}
        for a in atoms:
            v = self.var(a)
            out[v] = out.get(v, 0) + 1
        return out

    def cell_atoms(
        self, p: Published, table: oversight.ProtectedTable, i: int, j: int
    ) -> list[Atom]:
        t = table.table
        rows = t.rows if i == len(t.rows) else (t.rows[i],)
        columns = t.columns if j == len(t.columns) else (t.columns[j],)
        return [
            (p.snapshot, q, t.key, r, c)
            for q in quarters(p.report.period)
            for r in rows
            for c in columns
        ]

    def publish(self, p: Published) -> list[tuple[list[Atom], int]]:
        """Add a report's published cells; return its withheld cells with their true values."""
        withheld = []
        for table in p.report.tables:
            if table.table.key not in ATTACKED:
                continue
            truth = table.table.grid()
            for i, row in enumerate(table.cells):
                for j, value in enumerate(row):
                    atoms = self.cell_atoms(p, table, i, j)
                    if value is None:
                        withheld.append((atoms, truth[i][j]))
                    else:
                        self.equations.append((self.form(atoms), value, value))
        return withheld

    def relations(self, snapshot: int, quarter: str) -> None:
        figures = {t.key: t for t in self.truth[(snapshot, quarter)].tables}

        def column(key: str, c: str) -> dict[int, int]:
            return self.form([(snapshot, quarter, key, r, c) for r in figures[key].rows])

        def minus(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
            out = dict(a)
            for k, v in b.items():
                out[k] = out.get(k, 0) - v
            return out

        for c in oversight.OUTCOMES:
            kinds = column("requests_by_requester_kind", c)
            self.equations.append((minus(kinds, column("requests_by_legal_process", c)), 0, 0))
            for key in ("requests_by_program", "emergency_and_bulk"):
                for r in figures[key].rows:
                    cell = self.form([(snapshot, quarter, key, r, c)])
                    self.equations.append((minus(kinds, cell), 0, math.inf))
        for kind in figures["fields_by_sensitivity"].columns:
            disclosed = self.form(
                [(snapshot, quarter, "people_affected", kind, "whose data was disclosed")]
            )
            for r in figures["fields_by_sensitivity"].rows:
                cell = self.form([(snapshot, quarter, "fields_by_sensitivity", r, kind)])
                self.equations.append((minus(disclosed, cell), 0, math.inf))

    def solver(self) -> Bounds:
        return Bounds(
            len(self.index),
            [Constraint(form=f, lower=lo, upper=hi) for f, lo, hi in self.equations],
        )


def _band(lo: float, hi: float) -> bool:
    return hi > lo and lo <= 1 and hi >= 10


def attack(
    published: Sequence[Published], truth: dict[tuple[int, str], oversight.ExactFigures]
) -> list[str]:
    attacker = Attacker(truth)
    withheld: dict[frozenset[Atom], int] = {}
    for p in published:
        for atoms, value in attacker.publish(p):
            withheld[frozenset(atoms)] = value
    for snapshot, quarter in truth:
        attacker.relations(snapshot, quarter)
    for key in withheld:  # every unknown gets its column before the matrix is built
        attacker.form(sorted(key))
    solver = attacker.solver()
    found = []
    for cell, value in withheld.items():
        if not 1 <= value <= 10:
            continue
        # The solver settles the bounds as far as the question needs: exact where it fails.
        lo, hi = solver.interval(attacker.form(sorted(cell)), value, _band)
        where = min(cell)[1:]
        if lo == hi:
            found.append(f"determined: {value} = {where}")
        elif not _band(lo, hi):
            found.append(f"narrowed to {lo:.0f}–{hi:.0f}: {value} = {where}")
    return found


def publish_history(
    snapshots: Sequence[oversight.EventFrames], plan: Sequence[tuple[int, str]]
) -> list[Published]:
    """Publish the plan's reports one after another, each checked against those before."""
    history: list[oversight.Publication] = []
    out = []
    for snapshot, label in plan:
        report = oversight.build(
            snapshots[snapshot],
            period=oversight.Period.parse(label),
            checkpoint=oversight.CheckpointRef(origin="o", size=snapshot + 1, root="r"),
            catalogue=CATALOGUE,
            alert_kinds=[],
            generated_at=YEAR,
            history=history,
        )
        assert report.publication is not None
        history.append(report.publication)
        out.append(Published(snapshot=snapshot, report=report))
    return out


PLAN = [
    (0, "2026-Q1"),
    (0, "2026-Q2"),
    (0, "2026-H1"),
    (0, "2026-Q3"),
    (0, "2026-Q4"),
    (0, "2026-H2"),
    (0, "2026"),
    (0, "2026-Q1"),
    (1, "2026-Q1"),
    (1, "2026-H1"),
    (1, "2026"),
]


def test_no_withheld_cell_is_determined_or_narrowed_across_every_published_report() -> None:
    rng = random.Random(19)
    events, later = _events(rng, 320)
    snapshots = [frames(events), frames(events + later)]
    truth = {
        (s, q): oversight.compute(snapshots[s], oversight.Period.parse(q), CATALOGUE, [])
        for s in range(len(snapshots))
        for q in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
    }
    published = publish_history(snapshots, PLAN)
    assert sum(p.report.tables[0].table.grid()[-1][-1] for p in published[:2]) > 100
    found = attack(published, truth)
    assert found == [], f"{len(found)} withheld cells given away:\n" + "\n".join(found[:40])
