"""A person's accounting at scale: synthetic ledgers of 1M and 20M entries on PostgreSQL.

A person who signs in reads every disclosure of their data with its inclusion proof. The
ledger grows with every release, so what matters is how that read grows with the log: this
benchmark fills a PostgreSQL ledger directly (COPY, not through the services: the append
path is measured by `benchmarks.ledger`), integrates it into tiles and signs a checkpoint
with the log's own code (the accounting map committed by its `ledger:map:commit` entry
before signing, so every read carries its completeness proof too, which the benchmark
checks), VACUUMs and ANALYZEs the database as autovacuum eventually would, then times
`accounting_for_staff` — the same accounting the person gets, with the proofs — for 1,000
random people: p50 and p99 at each size.

Half the entries are accounting entries, each naming one of `entries / 20` people (about ten
entries a person at every size, so only the log's size changes); each carries the person's
pseudonym as `"subject"` inside the hashed entry, as accounting entries do. The people read
are real rows of a small synthetic records store; the rest of the people named exist only
as pseudonyms. Each database is dropped at the end (20M entries take about 10 GB).

    uv run python -m benchmarks.accounting --size smoke   # 20k entries
    uv run python -m benchmarks.accounting --size full    # 1M and 20M entries
    uv run python -m benchmarks.accounting --size full --entries 1000000   # one of them
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from benchmarks._common import command_line, median, percentile, write_section
from custos.config import Settings
from custos.domain.events import Event, EventTag
from custos.domain.principals import StaffPrincipal
from custos.domain.pseudonyms import pseudonym
from custos.domain.roles import Role
from custos.ledger import generate_key, integrate
from custos.store import tables as t
from custos.store.migrate import upgrade
from custos.workflow import ledger, records, rights
from custos.workflow.context import Context

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "CUSTOS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: (ledger sizes, people read, real people in the records store)
SIZES: dict[str, tuple[tuple[int, ...], int, int]] = {
    "smoke": ((20_000,), 200, 200),
    "full": ((1_000_000, 20_000_000), 1_000, 1_000),
}
#: The issue's goal at 20M entries: p99 under 10 ms, and at most 1.5x the 1M figure.
GOAL_P99_MS = 10.0
GOAL_GROWTH = 1.5
AT = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
ORIGIN = "bench.custos.example/ledger"
_MARK_REF = "@@REF@@"
_MARK_REL = "@@REL@@"
_CHUNK = 200_000


@contextlib.contextmanager
def _database() -> Iterator[str]:
    name = f"custos_bench_acc_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _context(url: str, work: Path) -> Context:
    key = work / "ledger.key"
    if not key.exists():
        skey, _ = generate_key(ORIGIN)
        ledger.write_key_file(key, [skey])
    settings = Settings(
        database_url=url,
        data_dir=work,
        demo=True,
        policies_dir=ROOT / "policies",
        ledger_key_path=key,
        ledger_origin=ORIGIN,
    )
    return Context.from_settings(settings, clock=lambda: AT)


def _templates() -> tuple[bytes, bytes]:
    """The canonical bodies of an accounting entry (with markers for the person and the
    release) and of an entry about no one, encoded by the ledger's own `Event`."""
    accounting = Event(
        tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
        at=AT,
        actor="staff:s_0001",
        request_id="req_bench",
        data={
            "subject": _MARK_REF,
            "release": _MARK_REL,
            "requester": "rqr_ice",
            "requester_name": "U.S. Immigration and Customs Enforcement",
            "requester_kind": "federal_immigration",
            "fields": ["snap/address", "snap/benefit_amount"],
            "generalized": [],
            "legal_process": "judicial_warrant",
            "purpose": "immigration_enforcement",
            "rule_ids": ["compelled-judicial-warrant"],
            "citations": ["7 U.S.C. 2020(e)(8)"],
            "compelled": True,
            "retention_until": "2027-03-02",
            "notify": "after",
            "notice_delayed_until": None,
        },
    ).canonical()
    other = Event(
        tag=EventTag.REQUEST_REVIEW_START,
        at=AT,
        actor="system",
        request_id="req_bench",
        data={"priority": "routine", "status": "in_review"},
    ).canonical()
    return accounting, other


def _fill(ctx: Context, n: int, refs: list[str], seed: int) -> None:
    """Append n synthetic entries after those already in the log, by COPY, in chunks."""
    accounting, other = _templates()
    template = (
        accounting.replace(b"%", b"%%")
        .replace(_MARK_REF.encode(), b"%(ref)b")
        .replace(_MARK_REL.encode(), b"%(rel)b")
    )
    rng = random.Random(seed)
    sha = hashlib.sha256
    at = "2026-03-02 12:00:00+00"
    with ctx.engine.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries")).scalar()
    raw = ctx.engine.raw_connection()
    try:
        cur = raw.cursor()
        for lo in range(int(start or 0), int(start or 0) + n, _CHUNK):
            hi = min(lo + _CHUNK, int(start or 0) + n)
            copy_sql = (
                "COPY ledger_entries (idx, tag, request_id, subject_ref, body, leaf_hash, at) "
                "FROM STDIN"
            )
            with cur.copy(copy_sql) as copy:
                for i in range(lo, hi):
                    if i % 2:
                        ref = refs[rng.randrange(len(refs))]
                        body = template % {b"ref": ref.encode(), b"rel": b"rel_%08d" % (i // 1000)}
                        tag = EventTag.RELEASE_ACCOUNTING_ENTRY.value
                    else:
                        ref, body, tag = None, other, EventTag.REQUEST_REVIEW_START.value
                    leaf = sha(b"\x00" + body).digest()
                    copy.write_row((i, tag, "req_bench", ref, body, leaf, at))
            raw.commit()
    finally:
        raw.close()


def _integrate_and_sign(ctx: Context, n: int) -> tuple[float, float]:
    """Integrate the filled entries in big batches, then publish a checkpoint the log's own
    way: it folds every accounting entry into the accounting map, appends the map's commit
    entry (`ledger:map:commit`) and signs the tree ending with it, so each person's
    completeness proof is read and measured too. (integrate s, map + sign s)"""
    began = time.perf_counter()
    while True:
        with ctx.transaction() as s:
            size, _ = integrate(s, now=AT, limit=1 << 20)
        if size >= n:
            break
    integrated = time.perf_counter()
    ledger.publish_checkpoint(ctx)
    return integrated - began, time.perf_counter() - integrated


def _vacuum(ctx: Context) -> float:
    """VACUUM and ANALYZE the filled database, as autovacuum does some time after a bulk
    load. The read must not depend on it (`subject_entries` reads the un-integrated tail by
    a bounded range), but a production ledger has statistics and has been vacuumed, so the
    read is measured on one in that state. Left to autovacuum, a vacuum of the freshly
    loaded log could start while the reads are being timed, on the same two cores."""
    began = time.perf_counter()
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    return time.perf_counter() - began


def _measure(ctx: Context, people: list[str], lookups: int, seed: int) -> list[float]:
    staff = StaffPrincipal(id="s_bench", username="bench", roles=frozenset({Role.AUDITOR}))
    rng = random.Random(seed)
    chosen = [people[rng.randrange(len(people))] for _ in range(lookups)]
    for pid in chosen[:20]:  # warm the tile cache and the connection pool, as a server is
        rights.accounting_for_staff(ctx, actor=staff, person_id=pid)
    times = []
    proofs = 0
    for pid in chosen:
        began = time.perf_counter()
        acc = rights.accounting_for_staff(ctx, actor=staff, person_id=pid)
        times.append(time.perf_counter() - began)
        proofs += sum(1 for d in acc.disclosures if d.proof is not None)
        if acc.completeness is None:  # the map proof is part of the read being measured
            raise RuntimeError(f"the accounting of {pid} came without its completeness proof")
    if proofs == 0:
        raise RuntimeError("no accounting came with proofs: the benchmark measured nothing")
    return times


def _one_size(n: int, lookups: int, real_people: int) -> tuple[int, float, float, float]:
    """(entries, p50 ms, p99 ms, mean entries a person) for a fresh ledger of n entries."""
    with tempfile.TemporaryDirectory() as tmp, _database() as url:
        ctx = _context(url, Path(tmp))
        upgrade(ctx.engine)
        records.generate_demo(ctx, people=real_people, seed=7)
        with ctx.reading() as s:
            people = list(s.scalars(select(t.Person.id)))
        secret = ctx.settings.pseudonym_key
        refs = [pseudonym(secret, pid) for pid in people]
        refs += [pseudonym(secret, f"p_synthetic_{k}") for k in range(max(0, n // 20 - len(refs)))]
        began = time.perf_counter()
        _fill(ctx, n, refs, seed=n)
        filled = time.perf_counter() - began
        integrated, signed = _integrate_and_sign(ctx, n)
        vacuumed = _vacuum(ctx)
        print(
            f"{n:,} entries: COPY {filled:.1f} s, integrated {integrated:.1f} s, "
            f"map committed and signed {signed:.1f} s, VACUUM (ANALYZE) {vacuumed:.1f} s",
            flush=True,
        )
        times = _measure(ctx, people, lookups, seed=n)
        ctx.engine.dispose()
    ms = 1000.0
    return n, median(times) * ms, percentile(times, 99) * ms, (n / 2) / len(refs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), default="smoke")
    parser.add_argument(
        "--entries",
        type=int,
        action="append",
        help="only these ledger sizes (repeatable), e.g. one size of `full` at a time",
    )
    args = parser.parse_args()
    sizes, lookups, real_people = SIZES[args.size]
    sizes = tuple(args.entries) if args.entries else sizes
    rows = []
    for n in sizes:  # each size's figures as soon as they are taken: a full run is long
        rows.append(_one_size(n, lookups, real_people))
        print(f"{n:,} entries: p50 {rows[-1][1]:.2f} ms, p99 {rows[-1][2]:.2f} ms", flush=True)
    table = (
        "| ledger entries | entries a person (mean) | p50 ms | p99 ms |\n|---:|---:|---:|---:|\n"
        + "\n".join(f"| {n:,} | {per:.1f} | {p50:.2f} | {p99:.2f} |" for n, p50, p99, per in rows)
    )
    goal = ""
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        met = last[2] < GOAL_P99_MS and last[2] <= GOAL_GROWTH * first[2]
        goal = (
            f"\n\nGoal at {last[0]:,} entries: p99 < {GOAL_P99_MS:.0f} ms and at most "
            f"{GOAL_GROWTH}x the {first[0]:,} figure — {'met' if met else 'NOT met'} "
            f"({last[2]:.2f} ms, {last[2] / first[2]:.2f}x)."
        )
    body = (
        f"One person's accounting with its inclusion proofs (`accounting_for_staff`: the "
        f"same read the person's page makes), {lookups:,} random people per size, on "
        f"PostgreSQL ledgers filled by COPY, integrated into tiles and signed by the log's "
        f"own code, then vacuumed and analyzed. Half the entries are accounting entries."
        f"\n\n{table}{goal}"
    )
    print(body)
    if args.size == "full" and not args.entries:
        write_section("Accounting", body, command=command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
