"""Report benchmark: a transparency report computed from a ledger export of 10M entries.

The export is synthetic but shaped like a real log: every entry is an `Event` encoded by the
ledger's own canonical encoder, with the fields the workflow writes. Requests are spread over
the half year; each has its intake, decision, review and final status entries; granted ones
are released, with one accounting entry per person (most of the log, as in production).

Measured in one run: reading and counting the entries (`count_file`), decoding them
(`decode`), computing, noising and suppressing the report (`build`), and — as the baseline —
only reading the same file's lines with Polars, no JSON at all.

The cross-report check (every withheld count of one more report and of 21 published ones,
bounded by integer programming) is timed on its own line; publishing the 21 is not timed.

    uv run python -m benchmarks.report --size smoke   # CI: seconds; BENCHMARKS.md untouched
    uv run python -m benchmarks.report --size full    # 10M entries; writes the Report section
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import polars as pl

from benchmarks._common import command_line, write_section
from custos import oversight
from custos.domain.disclosure import RequesterKind
from custos.domain.events import Event, EventTag
from custos.domain.legal import LegalProcessKind
from custos.ledger import canonical
from custos.ledger._verify import ENTRIES

SIZES = {"smoke": 200_000, "full": 10_000_000}
#: Mean accounting entries per released request; bulk releases are far larger.
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HALF_YEAR = dt.timedelta(days=181)
FIELDS = [
    "snap/full_name",
    "snap/address",
    "snap/benefit_amount",
    "snap/immigration_status",
    "medicaid/full_name",
    "medicaid/address",
    "tanf/employer",
]
CATALOGUE = {
    "snap/full_name": "identity",
    "snap/address": "contact",
    "snap/benefit_amount": "benefit_detail",
    "snap/immigration_status": "immigration_status",
    "medicaid/full_name": "identity",
    "medicaid/address": "contact",
    "tanf/employer": "employment",
}


def _line(event: Event) -> bytes:
    return canonical(event.body()) + b"\n"


def _request(rng: random.Random, r: int, requests: int) -> tuple[list[Event], Event | None]:
    """One request's entries, and the accounting entry its release repeats (if released)."""
    rid = f"req_{r:020x}"
    at = START + HALF_YEAR * (r / requests)
    requester = f"rq_{rng.randrange(40):04d}"
    kind = rng.choice(list(RequesterKind)).value
    process = rng.choice(list(LegalProcessKind)).value
    bulk = rng.random() < 0.01
    fields = rng.sample(FIELDS, rng.randint(1, 4))
    events = [
        Event(
            tag=EventTag.REQUEST_INTAKE_RECEIVE,
            at=at,
            actor=f"requester:{requester}",
            request_id=rid,
            data={
                "requester": requester,
                "requester_kind": kind,
                "purpose": "criminal_investigation",
                "legal_process": process,
                "document_sha256": "ab" * 32,
                "fields": fields,
                "named_subjects": 0 if bulk else rng.randint(1, 3),
                "bulk": {"programs": ["snap"], "counties": [], "description": ""} if bulk else None,
                "agreement": None,
                "emergency": rng.random() < 0.03,
                "preservation": False,
                "status": "received",
            },
        )
    ]
    outcome = rng.choice(["approved", "partly_approved", "denied", "needs_review"])
    decision_tag = {
        "approved": EventTag.REQUEST_DECISION_DISCLOSE,
        "partly_approved": EventTag.REQUEST_DECISION_PARTIAL,
        "denied": EventTag.REQUEST_DECISION_DENY,
        "needs_review": EventTag.REQUEST_DECISION_REVIEW,
    }[outcome]
    effects = {f: {"disclose": 2} for f in fields}
    if outcome != "approved":
        effects[fields[0]] = {"withhold": 2}
    events += [
        Event(
            tag=decision_tag,
            at=at,
            actor="system",
            request_id=rid,
            data={"outcome": outcome, "subjects": 2, "fields": effects},
        ),
        Event(tag=EventTag.REQUEST_REVIEW_START, at=at, actor="system", request_id=rid),
    ]
    later = at + dt.timedelta(days=rng.randint(1, 30))
    final = rng.random()
    granted = outcome != "denied" and final < 0.6
    status = (
        EventTag.REQUEST_STATUS_APPROVE
        if granted
        else EventTag.REQUEST_STATUS_DENY
        if final < 0.9
        else EventTag.REQUEST_STATUS_WITHDRAW
    )
    events.append(Event(tag=status, at=later, actor="staff:s_1", request_id=rid))
    if not granted:
        return events, None
    rel = f"rel_{r:020x}"
    events.append(
        Event(
            tag=EventTag.RELEASE_PACKAGE_BUILD,
            at=later,
            actor="staff:s_1",
            request_id=rid,
            data={"release": rel, "fields": fields},
        )
    )
    entry = Event(
        tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
        at=later,
        actor="staff:s_1",
        request_id=rid,
        data={
            "release": rel,
            "requester": requester,
            "requester_name": f"Agency {requester}",
            "requester_kind": kind,
            "fields": fields,
            "generalized": {},
            "legal_process": process,
            "purpose": "criminal_investigation",
            "rule_ids": ["mo-snap-fleeing-felon", "federal-floor-1"],
            "citations": ["7 U.S.C. 2020(e)(8)(E)", "7 CFR 272.1(c)(1)(vii)"],
            "compelled": False,
            "retention_until": "2031-01-01",
            "notify": "after",
            "notice_delayed_until": "2026-12-31" if rng.random() < 0.1 else None,
        },
    )
    return events, entry


def generate(path: Path, total: int, seed: int = 7) -> dict[str, int]:
    """Write exactly `total` entries; returns how many requests, releases, accounting entries."""
    rng = random.Random(seed)
    requests = max(50, total // 500)
    made = [_request(rng, r, requests) for r in range(requests)]
    base = sum(len(events) for events, _ in made)
    released = [i for i, (_, entry) in enumerate(made) if entry is not None]
    budget = total - base
    weights = [rng.paretovariate(1.5) for _ in released]
    scale = budget / sum(weights)
    people = {i: int(w * scale) for i, w in zip(released, weights, strict=True)}
    people[released[0]] += budget - sum(people.values())
    person = 0
    with path.open("wb") as f:
        for i, (events, entry) in enumerate(made):
            f.write(b"".join(_line(e) for e in events))
            if entry is not None:
                # Each person's entry names them (`data.subject`), as the ledger writes it.
                before, _, after = _line(
                    replace(entry, data={**entry.data, "subject": "@@subject@@"})
                ).partition(b'"@@subject@@"')
                for start in range(person, person + people[i], 100_000):
                    stop = min(start + 100_000, person + people[i])
                    f.write(
                        b"".join(b'%s"p_%032x"%s' % (before, n, after) for n in range(start, stop))
                    )
                person += people[i]
    return {"requests": requests, "releases": len(released), "accounting": budget, "total": total}


#: The publication history the cross-report check runs against: nested and re-issued periods.
HISTORY = ["2026-Q1", "2026-Q2", "2026-H1", "2026-Q3", "2026-Q4", "2026-H2", "2026"] * 3


def _history_check(
    frames: oversight.EventFrames, ref: oversight.CheckpointRef
) -> tuple[float, int]:
    """Publish `HISTORY` (each checked against those before), then time the check of one
    more report (2026-H1 again) against all of them."""
    history: list[oversight.Publication] = []

    def publish(label: str) -> oversight.Publication:
        report = oversight.build(
            frames,
            period=oversight.Period.parse(label),
            checkpoint=ref,
            catalogue=CATALOGUE,
            alert_kinds=[k.value for k in oversight.AlertKind],
            generated_at=dt.datetime.now(dt.UTC),
            history=history,
        )
        assert report.publication is not None
        return report.publication

    for label in HISTORY:
        # Each publication is checked against those before it: one at a time.
        history.append(publish(label))  # noqa: PERF401
    t0 = time.perf_counter()
    publish("2026-H1")
    return time.perf_counter() - t0, len(history)


def run(size: str) -> dict[str, float]:
    total = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ENTRIES
        t0 = time.perf_counter()
        shape = generate(path, total)
        t_gen = time.perf_counter() - t0
        mib = path.stat().st_size / 2**20

        t0 = time.perf_counter()
        lines = (
            pl.scan_csv(
                path,
                has_header=False,
                separator="\x1f",
                quote_char=None,
                schema={"line": pl.String},
            )
            .select(pl.len())
            .collect(engine="streaming")
        )
        t_baseline = time.perf_counter() - t0
        assert lines.item() == total

        t0 = time.perf_counter()
        counted = oversight.count_file(path, total)
        t_count = time.perf_counter() - t0
        t0 = time.perf_counter()
        frames = oversight.decode(counted)
        t_decode = time.perf_counter() - t0
        ref = oversight.CheckpointRef(
            origin="custos.example.gov/ledger",
            size=total,
            root=base64.b64encode(b"\0" * 32).decode(),
        )
        t0 = time.perf_counter()
        report = oversight.build(
            frames,
            period=oversight.Period.parse("2026-H1"),
            checkpoint=ref,
            catalogue=CATALOGUE,
            alert_kinds=[k.value for k in oversight.AlertKind],
            generated_at=dt.datetime.now(dt.UTC),
        )
        body = report.json_bytes()
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        noisy = oversight.build(
            frames,
            period=oversight.Period.parse("2026-H1"),
            checkpoint=ref,
            catalogue=CATALOGUE,
            alert_kinds=[k.value for k in oversight.AlertKind],
            generated_at=dt.datetime.now(dt.UTC),
            epsilon=1.0,
        )
        t_noisy = time.perf_counter() - t0
        t_history, checked = _history_check(frames, ref)
        assert frames.entries == total
        assert noisy.noise is not None
        assert len(body) > 0
    total_time = t_count + t_decode + t_build + t_history
    print(
        f"{total:,} entries ({mib:,.0f} MiB; {shape['requests']:,} requests, "
        f"{shape['releases']:,} releases, {shape['accounting']:,} accounting entries), "
        f"generated in {t_gen:.1f} s\n"
        f"baseline, Polars reads the lines only: {t_baseline:.2f} s\n"
        f"count distinct lines: {t_count:.2f} s; decode: {t_decode:.2f} s; "
        f"aggregate + suppress + JSON: {t_build:.2f} s (with OpenDP noise: {t_noisy:.2f} s)\n"
        f"cross-report check of one more report against {checked} published: {t_history:.2f} s\n"
        f"report total: {total_time:.2f} s ({total / total_time:,.0f} entries/s)",
        flush=True,
    )
    return {
        "total": float(total),
        "mib": mib,
        "requests": float(shape["requests"]),
        "accounting": float(shape["accounting"]),
        "baseline": t_baseline,
        "count": t_count,
        "decode": t_decode,
        "build": t_build,
        "noisy": t_noisy,
        "history": t_history,
        "history_reports": float(checked),
        "report": total_time,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="smoke")
    args = parser.parse_args()
    r = run(args.size)
    if args.size != "full":
        return
    goal = "met" if r["report"] < 30 else "**not met**"
    write_section(
        "Report",
        f"""A transparency report (2026-H1) over a synthetic ledger export of
{r["total"]:,.0f} entries ({r["mib"]:,.0f} MiB of canonical JSON: {r["requests"]:,.0f} requests
with their intake, decision, review and final entries, and {r["accounting"]:,.0f} accounting
entries, one per person disclosed). The same code path as `custos report verify`: Polars counts
distinct entry lines with each accounting entry's subject blanked (the entries of one release
and class differ only in the person they name), decodes only those, aggregates, suppresses,
checks the report against a history of 21 published reports and writes the JSON. Single run.

| measure | {r["total"]:,.0f} entries |
|---|---|
| baseline: Polars reads the lines, no JSON | {r["baseline"]:.2f} s |
| count distinct lines (`count_file`) | {r["count"]:.2f} s |
| decode distinct lines by tag (`decode`) | {r["decode"]:.2f} s |
| aggregate + suppress + canonical JSON (`build`) | {r["build"]:.2f} s |
| the same with OpenDP noise (epsilon 1) | {r["noisy"]:.2f} s |
| cross-report check: one more report, {r["history_reports"]:.0f} published | {r["history"]:.2f} s |
| **report total** (with the check) | **{r["report"]:.2f} s** ({r["total"] / r["report"]:,.0f}/s) |

Goal: a report over 10,000,000 events in under 30 s — {goal}. Rendering HTML, CSV and PDF
works on the small JSON data and takes well under a second; reading the entries out of the
database (instead of an export) is not included.
""",
        command=command_line(),
    )


if __name__ == "__main__":
    main()
