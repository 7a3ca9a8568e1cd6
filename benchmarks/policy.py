"""Policy engine benchmark: a 1,000,000-person bulk request and single-person latency.

Compares, in the same run, `custos.policy.decide` (one Cedar batch per equivalence class of
facts) with the naive path (one Cedar call per person, field and action), measured on a sample
and extrapolated. Run: `uv run python benchmarks/policy.py --size full` (`--size smoke` for CI).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import random
import statistics
import time
from importlib.metadata import version
from pathlib import Path

import cedarpy

from benchmarks._common import captured, command_line, write_section
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import LegalProcess, LegalProcessKind
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts
from custos.policy import AgreementFacts, DecisionContext, Pack, decide, load_pack
from custos.policy._engine import cedar_context, cedar_request

PACK = Path(__file__).resolve().parents[1] / "policies" / "missouri-dss"
SIZES = {"smoke": (20_000, 200, 200), "full": (1_000_000, 2_000, 1_000)}
PROGRAMS = [p.value for p in Program]


def people(n: int, seed: int = 7) -> list[SubjectFacts]:
    """Distinct objects with a realistic spread of facts (as a records query returns them)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        programs = frozenset(p for p in PROGRAMS if rng.random() < 0.45) or frozenset({"snap"})
        out.append(
            SubjectFacts(
                programs=programs,
                determination_on_file=rng.random() < 0.01,
                opted_out=rng.random() < 0.05,
            )
        )
    return out


def bulk_context() -> DecisionContext:
    fields = tuple(
        FieldRef.parse(f)
        for f in (
            "snap/full_name",
            "snap/address",
            "snap/ssn",
            "snap/benefit_amount",
            "snap/immigration_status",
            "tanf/address",
            "medicaid/address",
        )
    )
    return DecisionContext(
        requester_kind=RequesterKind.OTHER_FEDERAL,
        purpose=Purpose.PROGRAM_AUDIT,
        legal_process=LegalProcess(kind=LegalProcessKind.STATUTORY_DUTY),
        fields=fields,
        named=False,
        agreement=AgreementFacts(
            programs=frozenset({Program.SNAP}),
            fields=frozenset(fields),
            purposes=frozenset({Purpose.PROGRAM_AUDIT}),
        ),
        today=dt.date(2026, 6, 1),
    )


def naive(pack: object, ctx: DecisionContext, sample: list[SubjectFacts]) -> float:
    """Seconds for one Cedar call per person, field and action over `sample`."""
    start = time.perf_counter()
    for facts in sample:
        for ref in ctx.fields:
            body = cedar_context(ctx, facts, ref)
            for action in ("disclose", "route_to_review"):
                cedarpy.is_authorized(
                    cedar_request(ref, action, body),
                    pack.cedar_policies,  # type: ignore[attr-defined]
                    pack.cedar_entities,  # type: ignore[attr-defined]
                    pack.cedar_schema,  # type: ignore[attr-defined]
                )
    return time.perf_counter() - start


def machine() -> str:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    return (
        f"cpu: {cpu}; cores: {os.cpu_count()}; RAM: {ram}; OS: {platform.platform()}; "
        f"Python {platform.python_version()}; cedarpy {version('cedarpy')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="smoke")
    args = parser.parse_args()
    n, sample_n, single_runs = SIZES[args.size]

    pack = load_pack(PACK)
    ctx = bulk_context()
    crowd = people(n)
    classes = len(set(crowd))

    start = time.perf_counter()
    rows = decide(pack, ctx, crowd)
    bulk_s = time.perf_counter() - start
    assert len(rows) == n

    one = [crowd[0]]
    single_ctx = DecisionContext(
        requester_kind=RequesterKind.LOCAL_LAW_ENFORCEMENT,
        purpose=Purpose.FLEEING_FELON,
        legal_process=LegalProcess(kind=LegalProcessKind.WRITTEN_REQUEST),
        fields=tuple(FieldRef.parse(f) for f in ("snap/address", "snap/ssn", "snap/photo")),
        named=True,
        today=dt.date(2026, 6, 1),
    )
    # Asked afresh (a copy of the pack, with nothing remembered) and asked again (the pack
    # remembers Cedar's answers and whole decisions, as a server does between requests).
    fresh: list[float] = []
    for _ in range(single_runs):
        blank = dataclasses.replace(pack)
        t0 = time.perf_counter()
        decide(blank, single_ctx, one)
        fresh.append(time.perf_counter() - t0)
    latencies = []
    for _ in range(single_runs):
        t0 = time.perf_counter()
        decide(pack, single_ctx, one)
        latencies.append(time.perf_counter() - t0)

    sample = crowd[:sample_n]
    naive_s = naive(pack, ctx, sample) * (n / sample_n)

    fields = len(ctx.fields)
    with captured() as out:
        _print(
            args.size,
            pack,
            n,
            fields,
            classes,
            bulk_s,
            naive_s,
            sample_n,
            (fresh, latencies),
            single_runs,
        )
    if args.size == "full":
        write_section(
            "Policy",
            f"```\n{out.getvalue().strip()}\n```\n\nGoals: the 1M decision under 10 s and at "
            "least 50x the naive path.",
            command=command_line(),
        )


def _print(  # noqa: PLR0917 - a report of the figures above, in order
    size: str,
    pack: Pack,
    n: int,
    fields: int,
    classes: int,
    bulk_s: float,
    naive_s: float,
    sample_n: int,
    singles: tuple[list[float], list[float]],
    single_runs: int,
) -> None:
    print(f"policy benchmark (--size {size}), pack {pack.label} {pack.content_hash[:12]}")
    print(machine())
    print(f"bulk: {n:,} people x {fields} fields, {classes} equivalence classes")
    print(f"  decide (per class):        {bulk_s:8.2f} s  ({n / bulk_s:,.0f} people/s)")
    print(
        f"  naive (per person, field): {naive_s:8.2f} s  (extrapolated from {sample_n:,} people, "
        f"{sample_n * fields * 2:,} Cedar calls)"
    )
    print(f"  speed-up:                  {naive_s / bulk_s:8.0f}x")
    for label, latencies in zip(("asked afresh", "asked again"), singles, strict=True):
        p95 = sorted(latencies)[int(0.95 * len(latencies)) - 1]
        print(
            f"single person, 3 fields, {label}: median {statistics.median(latencies) * 1e3:.2f} "
            f"ms, p95 {p95 * 1e3:.2f} ms over {single_runs} runs"
        )


if __name__ == "__main__":
    main()
