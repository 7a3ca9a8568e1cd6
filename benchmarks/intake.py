"""Intake: single-person requests through the workflow layer on SQLite.

Each request is matched, decided by Cedar and stored with its three ledger events
(received → decided → in_review) in one transaction. Baseline in the same run: the floor of a
durable SQLite write transaction that inserts one request row and its ledger entries and
nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from pyrage import x25519
from sqlalchemy import func, insert, select

from benchmarks._common import command_line, median, percentile, write_section
from benchmarks._seed import PASSWORD, seeded_store
from custos import ledger
from custos.domain.disclosure import RequesterKind
from custos.domain.events import Event, EventTag
from custos.domain.roles import Role
from custos.store import tables as t
from custos.workflow import accounts, documents, requests
from custos.workflow.context import Context
from custos.workflow.intake import RequestInput

SIZES = {"smoke": (2_000, 100), "full": (50_000, 2_000)}


def _setup(root: Path, people: int) -> tuple[Context, str, str, list[str]]:
    ctx, admin = seeded_store(root, people)
    with ctx.reading() as s:
        ssns = list(s.scalars(select(t.Person.ssn).where(t.Person.ssn.is_not(None)).limit(20_000)))
    intake = accounts.create_staff(
        ctx, actor=None, username="intake", display_name="", password=PASSWORD, roles={Role.INTAKE}
    )
    requester = accounts.register_requester(
        ctx,
        actor=admin,
        name="Police",
        kind=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        age_recipients=[str(x25519.Identity.generate().to_public())],
    )
    sha = documents.upload(
        ctx,
        actor=intake,
        content=b"%PDF-1.4 bench",
        filename="r.pdf",
        content_type="application/pdf",
    )
    ctx.pack()  # load the policy pack before timing
    return ctx, requester.id, sha, [s for s in ssns if s]


def _request(sha: str, ssn: str) -> RequestInput:
    return RequestInput.model_validate(
        {
            "subjects": [{"ssn": ssn}],
            "fields": ["snap/address", "snap/ssn", "snap/photo", "snap/benefit_amount"],
            "purpose": "fleeing_felon",
            "purpose_text": "warrant",
            "legal_process": {"kind": "written_request", "document_sha256": sha},
            "statements": {
                "fleeing_or_violating": True,
                "locating_is_official_duty": True,
                "proper_exercise_of_duty": True,
            },
        }
    )


def _baseline(ctx: Context, requester_id: str, n: int) -> list[float]:
    """One transaction per request: a request row and three ledger entries, nothing else."""
    times = []
    now = dt.datetime.now(dt.UTC)
    for i in range(n):
        start = time.perf_counter()
        with ctx.transaction() as s:
            s.execute(
                insert(t.Request).values(
                    id=f"base_{i:020d}",
                    requester_id=requester_id,
                    status="in_review",
                    purpose="other",
                    purpose_text="",
                    legal_process={"kind": "none"},
                    statements={},
                    fields=[],
                    submitted_at=now,
                    updated_at=now,
                )
            )
            ledger.append(
                s,
                [
                    Event(
                        tag=EventTag.REQUEST_INTAKE_RECEIVE,
                        at=now,
                        actor="system",
                        request_id=f"base_{i}",
                    )
                ]
                * 3,
            )
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), default="smoke")
    args = parser.parse_args()
    people, n = SIZES[args.size]
    with tempfile.TemporaryDirectory() as tmp:
        ctx, requester_id, sha, ssns = _setup(Path(tmp), people)
        intake = accounts.staff_by_username(ctx, "intake")
        rng = random.Random(3)
        inputs = [_request(sha, rng.choice(ssns)) for _ in range(n)]
        base = _baseline(ctx, requester_id, n)
        times = []
        wall = time.perf_counter()
        for data in inputs:
            start = time.perf_counter()
            requests.submit(ctx, actor=intake, data=data, requester_id=requester_id)
            times.append(time.perf_counter() - start)
        wall = time.perf_counter() - wall
        with ctx.reading() as s:
            stored = s.scalar(
                select(func.count()).select_from(t.Request).where(t.Request.id.like("req_%"))
            )
        assert stored == n, (stored, n)
    rate = n / wall
    ms = 1000.0
    rows = [
        (
            "workflow submit (match + Cedar decision + 3 events)",
            n / sum(times),
            median(times) * ms,
            percentile(times, 99) * ms,
        ),
        (
            "baseline: bare transaction (row + 3 events)",
            n / sum(base),
            median(base) * ms,
            percentile(base, 99) * ms,
        ),
    ]
    table = "| path | requests/s | p50 ms | p99 ms |\n|---|---:|---:|---:|\n" + "\n".join(
        f"| {name} | {r:,.0f} | {p50:.2f} | {p99:.2f} |" for name, r, p50, p99 in rows
    )
    body = (
        f"{n:,} single-person fleeing-felon requests (SSN match) against a store of {people:,} "
        f"synthetic people, one after another through `custos.workflow.requests.submit` on "
        f"SQLite (WAL, synchronous=NORMAL).\n\n{table}\n\n"
        f"Sustained: {rate:,.0f} requests/s. The workflow path costs "
        f"{median(times) / median(base):.1f}× the bare write at the median."
    )
    print(body)
    if args.size == "full":
        write_section("Intake", body, command=command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
