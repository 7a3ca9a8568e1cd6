"""The staff console's queue: one page of a tab, with every tab's count, searched and filtered.

Requests are bulk-inserted (rows, one matched subject each, a decision row) so the store is
large quickly; the queue is then asked for the first page of the default tab, a requester's
requests, a person's case number, a deep page, and the soonest-due sort. Baseline in the same
run: one `SELECT count(*)` over all requests, the least any page with counts must do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks._common import command_line, median, write_section
from benchmarks._seed import seeded_store
from custos.domain.disclosure import RequesterKind
from custos.store import tables as t
from custos.workflow import accounts, requests
from custos.workflow.context import Context

SIZES = {"smoke": (2_000, 2_000, 5), "full": (20_000, 50_000, 7)}


def _setup(root: Path, people: int, n: int) -> tuple[Context, str, str]:
    ctx, admin = seeded_store(root, people)
    with ctx.reading() as s:
        persons = list(s.execute(select(t.Person.id, t.Person.dcn).limit(people)))
    requester_ids = [
        accounts.register_requester(
            ctx, actor=admin, name=f"Agency {i}", kind=kind, age_recipients=[_RECIPIENT]
        ).id
        for i, kind in enumerate(_KINDS)
    ]
    rows, subjects, decisions = _rows(n, requester_ids, [pid for pid, _ in persons])
    with ctx.transaction() as s:
        s.execute(insert(t.Request), rows)
        s.execute(insert(t.RequestSubject), subjects)
        s.execute(insert(t.DecisionRow), decisions)
    return ctx, requester_ids[0], persons[7][1]


def _rows(
    n: int, requester_ids: list[str], persons: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """`n` requests spread over requesters, statuses and process kinds; a subject and a
    decision row each (every other one compelled)."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    statuses = ("in_review", "in_review", "approved", "denied", "released")
    rows: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    for i in range(n):
        rid, when = f"req_{i:020d}", start + dt.timedelta(minutes=i)
        kind = "written_request" if i % 3 else "administrative_subpoena"
        rows.append(
            {
                "id": rid,
                "requester_id": requester_ids[i % len(requester_ids)],
                "status": statuses[i % len(statuses)],
                "purpose": "other",
                "purpose_text": "",
                "legal_process": {"kind": kind, "expires_on": f"2026-{1 + i % 12:02d}-28"},
                "statements": {},
                "fields": ["snap/address"],
                "outcome": "partly_approved",
                "submitted_at": when,
                "updated_at": when,
            }
        )
        person_id = persons[i % len(persons)]
        subjects.append(
            {
                "request_id": rid,
                "position": 0,
                "person_id": person_id,
                "subject_ref": f"s{i}",
                "class_key": "k",
            }
        )
        decisions.append(
            {
                "request_id": rid,
                "class_key": "k",
                "field": "snap/address",
                "effect": "disclose",
                "rule_ids": [],
                "citations": [],
                "obligations": {"notify": "after"},
                "compelled": i % 2 == 0,
                "reasons": [],
            }
        )
    return rows, subjects, decisions


_RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
_KINDS = list(RequesterKind)


def _time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), default="smoke")
    args = parser.parse_args()
    people, n, repeat = SIZES[args.size]
    with tempfile.TemporaryDirectory() as tmp:
        ctx, requester_id, dcn = _setup(Path(tmp), people, n)
        admin = accounts.staff_by_username(ctx, "admin")

        def ask(**kw: Any) -> requests.QueuePage:
            return requests.search_queue(ctx, actor=admin, query=requests.QueueQuery(**kw))

        assert sum(ask(case_number=dcn).counts.values()) >= 1
        cases: list[tuple[str, dict[str, Any]]] = [
            ("first page of the default tab", {}),
            ("one requester's requests", {"requester_id": requester_id}),
            ("a person's case number", {"case_number": dcn}),
            (
                "compelled, administrative subpoenas",
                {"basis": "compelled", "process": "administrative_subpoena"},
            ),
            ("page 40", {"page": 40}),
            ("soonest due, released tab", {"tab": "released", "sort": "due"}),
        ]

        def count_all() -> None:
            with ctx.reading() as s:
                s.scalar(select(func.count()).select_from(t.Request))

        base = _time(count_all, repeat)
        rows = [(name, _time(lambda kw=kw: ask(**kw), repeat)) for name, kw in cases]  # type: ignore[misc]  # a default binds each case's filters
    ms = 1000.0
    table = "| query | p50 ms |\n|---|---:|\n" + "\n".join(
        f"| {name} | {v * ms:.1f} |" for name, v in [*rows, ("baseline: count(*)", base)]
    )
    body = (
        f"{n:,} requests (one matched subject and one decision row each) over {people:,} "
        f"synthetic people on SQLite; `custos.workflow.requests.search_queue`, one page of 25 "
        f"with every tab's count, median of {repeat} runs.\n\n{table}"
    )
    print(body)
    if args.size == "full":
        write_section("Staff queue", body, command=command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
