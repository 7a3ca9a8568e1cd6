"""Release benchmark: a bulk release from the demo store — decide, minimize, account, encrypt.

Compared in the same run with a naive per-person path (one policy decision, one record read,
one ledger append and one formatted row per person) on a sample, extrapolated.

    uv run python -m benchmarks.release --size smoke   # CI: well under a minute
    uv run python -m benchmarks.release --size full    # `make bench`: 1,000,000 people

The decide and release stages run in a fresh child process, so the peak memory reported is
theirs alone (not the data generator's or the loader's).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pyrage import x25519
from sqlalchemy import select

from benchmarks._common import command_line, write_section
from custos import ledger, policy, records
from custos.config import Settings
from custos.domain.disclosure import AgreementProtocols, Purpose, RequesterKind
from custos.domain.events import Event, EventTag
from custos.domain.legal import FleeingFelonStatements
from custos.domain.programs import FieldRef, Program
from custos.domain.roles import Role
from custos.release import PayloadFormat, seal_bytes
from custos.store import tables as t
from custos.store.migrate import upgrade
from custos.workflow import accounts, agreements, documents, releases, requests, tokens
from custos.workflow import ledger as ledger_service
from custos.workflow.context import Context
from custos.workflow.intake import LegalProcessInput, RequestInput
from custos.workflow.ledger.checkpoints import commit_map

ROOT = Path(__file__).resolve().parents[1]
SIZES = {
    "smoke": {"people": 20_000, "sample": 500},
    "full": {"people": 1_000_000, "sample": 10_000},
}
FIELDS = ["snap/full_name", "snap/address", "snap/benefit_amount"]
PASSWORD = "benchmark password 0123"


def _settings(directory: Path) -> Settings:
    key = directory / "ledger.key"
    if not key.exists():
        signer, _ = ledger.generate_key("bench.example/ledger")
        ledger_service.write_key_file(key, [signer])
    return Settings(
        database_url=f"sqlite:///{directory / 'custos.db'}",
        data_dir=directory,
        demo=True,
        policies_dir=ROOT / "policies",
        ledger_key_path=key,
    )


def _setup(directory: Path, people: int) -> tuple[float, str]:
    """Demo store with `people` people, staff, a SNAP auditor with an agreement."""
    ctx = Context.from_settings(_settings(directory))
    upgrade(ctx.engine)
    started = time.perf_counter()
    with ctx.transaction() as s:
        records.load(s, records.generate(people, seed=2026))
    load_s = time.perf_counter() - started
    staff = {
        name: accounts.create_staff(
            ctx, actor=None, username=name, display_name=name, password=PASSWORD, roles={role}
        )
        for name, role in (
            ("admin", Role.ADMIN),
            ("counsel", Role.LEGAL_REVIEWER),
            ("approver1", Role.APPROVER),
            ("approver2", Role.APPROVER),
        )
    }
    identity = x25519.Identity.generate()
    (directory / "usda.key").write_text(str(identity) + "\n")
    usda = accounts.register_requester(
        ctx,
        actor=staff["admin"],
        name="USDA Food and Nutrition Service",
        kind=RequesterKind.OTHER_FEDERAL,
        age_recipients=[str(identity.to_public())],
    )
    sha = documents.upload(
        ctx,
        actor=staff["admin"],
        content=b"%PDF MOU",
        filename="m.pdf",
        content_type="application/pdf",
    )
    agreements.register_agreement(
        ctx,
        actor=staff["admin"],
        requester_id=usda.id,
        title="SNAP audit MOU",
        parties=["MO DSS", "USDA FNS"],
        programs=[Program.SNAP],
        fields=[FieldRef.parse(f) for f in FIELDS],
        purposes=[Purpose.PROGRAM_AUDIT],
        retention_days=1825,
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2035, 1, 1),
        document_sha256=sha,
        # 7 U.S.C. 2020(a)(3)(B): an audit is compelled only under agreed protocols.
        protocols=AgreementProtocols(
            protocol_document="USDA-Missouri SNAP data and security protocols (benchmark)",
            use_limited_to_program=True,
            no_onward_sharing=True,
            administers=frozenset({Program.SNAP}),
        ),
    )
    ctx.engine.dispose()
    return load_s, usda.id


def _decide_and_release(directory: Path, requester_id: str, out: Any) -> None:
    """Child process: submit (match + class-based decisions), approve, build the release."""
    ctx = Context.from_settings(_settings(directory))
    admin = accounts.staff_by_username(ctx, "admin")
    token = tokens.issue_token(ctx, actor=admin, requester_id=requester_id).token
    usda = tokens.requester_from_token(ctx, token)
    agreement = agreements.list_agreements(ctx, actor=admin)[0]
    sha = documents.upload(
        ctx, actor=usda, content=b"%PDF audit", filename="a.pdf", content_type="application/pdf"
    )
    body = {
        "bulk": {"programs": ["snap"], "description": "statewide SNAP audit"},
        "fields": FIELDS,
        "purpose": "program_audit",
        "purpose_text": "Annual SNAP quality-control audit.",
        "legal_process": {"kind": "statutory_duty", "issuer": "USDA FNS", "document_sha256": sha},
        "agreement_id": agreement.id,
    }
    started = time.perf_counter()
    rid = requests.submit(ctx, actor=usda, data=RequestInput.model_validate(body))
    decide_s = time.perf_counter() - started
    requests.classify(ctx, actor=accounts.staff_by_username(ctx, "counsel"), request_id=rid)
    for name in ("approver1", "approver2"):
        requests.approve(ctx, actor=accounts.staff_by_username(ctx, name), request_id=rid)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 2 or done == total:
            last[0] = now
            print(f"  release: {done:,}/{total:,} people", flush=True)

    started = time.perf_counter()
    view = releases.build(
        ctx,
        actor=accounts.staff_by_username(ctx, "approver1"),
        request_id=rid,
        fmt=PayloadFormat.PARQUET,
        progress=progress,
    )
    release_s = time.perf_counter() - started
    # The accounting map: fold every person's new entry in and commit the root, as the next
    # checkpoint does (timed on its own, in this process so its memory counts too).
    started = time.perf_counter()
    with ctx.transaction() as session:
        commit_map(ctx, session)
    map_s = time.perf_counter() - started
    out.send(
        {
            "request": rid,
            "decide_s": decide_s,
            "release_s": release_s,
            "map_s": map_s,
            "people": view.people,
            "rows": view.rows,
            "ciphertext": view.manifest["payload"]["ciphertext_size"],
            "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    )


def _naive(directory: Path, request_id: str, sample: int) -> tuple[float, int]:
    """Per person: one Cedar decision, one record read, one ledger append, one CSV row."""
    ctx = Context.from_settings(_settings(directory))
    pack = ctx.pack()
    with ctx.reading() as s:
        req = s.get(t.Request, request_id)
        assert req is not None
        process = LegalProcessInput.model_validate(req.legal_process).to_domain()
        subjects = s.execute(
            select(t.RequestSubject.person_id, t.RequestSubject.subject_ref)
            .where(
                t.RequestSubject.request_id == request_id, t.RequestSubject.person_id.is_not(None)
            )
            .order_by(t.RequestSubject.position)
            .limit(sample)
        ).all()
        requester = s.get(t.Requester, req.requester_id)
        assert requester is not None
        recipients = list(requester.age_recipients)
    agreement = policy.AgreementFacts(
        programs=frozenset({Program.SNAP}),
        fields=frozenset(FieldRef.parse(f) for f in FIELDS),
        purposes=frozenset({Purpose.PROGRAM_AUDIT}),
    )
    context = policy.DecisionContext(
        requester_kind=RequesterKind.OTHER_FEDERAL,
        purpose=Purpose.PROGRAM_AUDIT,
        legal_process=process,
        statements=FleeingFelonStatements(),
        fields=tuple(FieldRef.parse(f) for f in FIELDS),
        named=False,
        agreement=agreement,
        emergency=False,
        preservation=False,
        today=ctx.today(),
    )
    buf = io.StringIO()
    writer = csv.writer(buf)
    started = time.perf_counter()
    with ctx.transaction() as s:
        for pid, ref in subjects:
            assert pid is not None  # the query keeps matched subjects only
            facts = records.facts_for(s, [pid])[pid]
            [decided] = policy.decide(pack, context, [facts])
            person, household = s.execute(
                select(t.Person, t.Household)
                .join(t.Household, t.Household.id == t.Person.household_id)
                .where(t.Person.id == pid)
            ).one()
            row: list[str | None] = []
            for d in decided:
                if not d.discloses:
                    row.append(None)
                elif d.field.name == "address":
                    row.append(
                        household.county if d.obligations.generalize_to else household.street
                    )
                elif d.field.name == "full_name":
                    row.append(f"{person.first_name} {person.last_name}")
                else:
                    row.append("0.00")
            writer.writerow(row)
            ledger.append(
                s,
                [
                    Event(
                        tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
                        at=ctx.now(),
                        actor="benchmark",
                        request_id=request_id,
                        data={"release": "naive", "fields": [str(d.field) for d in decided]},
                    )
                ],
                subject_refs=[ref],
            )
        seal_bytes(buf.getvalue().encode(), recipients, directory / "naive.csv.age")
        s.rollback()
    return time.perf_counter() - started, len(subjects)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="smoke")
    args = parser.parse_args()
    size = SIZES[args.size]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        print(f"generating and loading {size['people']:,} people …", flush=True)
        load_s, requester_id = _setup(directory, size["people"])
        print(f"  loaded in {load_s:.1f} s", flush=True)
        spawn = multiprocessing.get_context("spawn")
        parent, child_end = spawn.Pipe()
        child = spawn.Process(target=_decide_and_release, args=(directory, requester_id, child_end))
        child.start()
        result = parent.recv()
        child.join()
        print(f"naive path on a {size['sample']:,}-person sample …", flush=True)
        naive_s, sampled = _naive(directory, result["request"], size["sample"])
    total = result["decide_s"] + result["release_s"] + result["map_s"]
    naive_full = naive_s / max(sampled, 1) * result["people"]
    peak_gib = result["peak_kib"] / 1024 / 1024
    body = f"""
A statewide bulk SNAP audit (federal auditor, statutory duty, data-sharing agreement) over the
generated demo store: {size["people"]:,} people generated and loaded into SQLite first
({load_s:.1f} s, not counted). Then, in a fresh process: submit (exact bulk match and
class-based Cedar decisions), two approvals, and the release — Polars minimization (full name,
benefit amount, address generalized to county), one `release:accounting:entry` per person,
Parquet payload streamed through age, signed manifest, all committed in one transaction.

| measure | {args.size}, {size["people"]:,} people |
|---|---|
| people released (rows) | {result["people"]:,} ({result["rows"]:,}) |
| decide: match + class-based decisions | {result["decide_s"]:.1f} s |
| release: minimize, account (one entry a person), encrypt | {result["release_s"]:.1f} s |
| accounting map: fold one new entry a person in, commit the root | {result["map_s"]:.1f} s |
| decide + release + map update | {total:.1f} s |
| peak memory of the decide + release + map process | {peak_gib:.2f} GiB |
| ciphertext | {result["ciphertext"] / 1024 / 1024:.1f} MiB |
| naive per-person path, {sampled:,}-person sample | {naive_s:.1f} s |
| naive path extrapolated to {result["people"]:,} people | {naive_full:.0f} s |
| speed-up over the naive path, same run | {naive_full / total:.0f}× |

Goals: decide + release + map update ≤ 60 s and ≤ 2 GiB peak for 1,000,000 people on 2 cores.
"""
    print(body)
    if args.size == "full":
        write_section("Release", body, command=command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
