"""The ledger end to end on SQLite and PostgreSQL: checkpoints, proofs, export, verify."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select, text

from custos.domain.errors import IntegrityError
from custos.domain.events import Event, EventTag
from custos.ledger import (
    Checkpoint,
    VerificationError,
    append,
    generate_key,
    hash_leaf,
    integrate,
    open_note,
    subject_entries,
    verify_consistency,
    verify_inclusion,
)
from custos.ledger._map_store import subject_accounting
from custos.ledger._tiles import subject_entries_query
from custos.ledger._verify import TASK_BYTES, verify_export
from custos.store.ledger_tables import LedgerSubjectIndex
from custos.store.tables import LedgerEntry
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import ORIGIN, add_events


def _checkpoint(note: str, vkey: str) -> Checkpoint:
    return Checkpoint.parse(open_note(note=note, verifier_keys=[vkey]))


def test_entries_are_provably_in_the_published_checkpoint(
    lctx: Context, keys: tuple[Path, str]
) -> None:
    for batch in (1, 255, 2, 300):
        add_events(lctx, batch)
    published = ledger.publish_checkpoint(lctx)
    cp = _checkpoint(ledger.latest_checkpoint(lctx).note, keys[1])
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, 558, published.root)
    for e in ledger.entries(lctx, 250, 20):
        verify_inclusion(
            leaf_hash=hash_leaf(e.body),
            index=e.index,
            tree_size=cp.size,
            proof=e.proof,
            root=cp.root,
        )


def test_successive_checkpoints_are_consistent(lctx: Context, keys: tuple[Path, str]) -> None:
    add_events(lctx, 7)
    first = _checkpoint(ledger.publish_checkpoint(lctx).note, keys[1])
    add_events(lctx, 600)
    second = _checkpoint(ledger.publish_checkpoint(lctx).note, keys[1])
    proof = ledger.consistency(lctx, first.size, second.size)
    verify_consistency(
        size1=first.size, size2=second.size, proof=proof, root1=first.root, root2=second.root
    )
    # Publishing with nothing new returns the same checkpoint.
    assert ledger.publish_checkpoint(lctx).size == second.size


def test_a_rolled_back_append_leaves_no_gap(lctx: Context) -> None:
    add_events(lctx, 3)
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)

    def append_then_fail() -> None:
        with lctx.transaction() as session:
            append(session, [Event(tag=EventTag.RECORDS_IMPORT_COMPLETE, at=at, actor="system")])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        append_then_fail()
    assert add_events(lctx, 2) == [3, 4]


def test_person_sees_only_their_entries_with_proofs(lctx: Context, keys: tuple[Path, str]) -> None:
    add_events(lctx, 4)
    mine = add_events(lctx, 2, subject="p_" + "a" * 32)
    add_events(lctx, 4, subject="p_" + "b" * 32)
    cp = _checkpoint(ledger.publish_checkpoint(lctx).note, keys[1])
    found = ledger.entries_for_subject(lctx, "p_" + "a" * 32)
    assert [e.index for e in found] == mine
    for e in found:
        verify_inclusion(
            leaf_hash=e.leaf_hash, index=e.index, tree_size=cp.size, proof=e.proof, root=cp.root
        )


def test_key_file_readable_by_others_is_refused(lctx: Context, keys: tuple[Path, str]) -> None:
    keys[0].chmod(0o644)
    with pytest.raises(IntegrityError, match="0600"):
        ledger.publish_checkpoint(lctx)


def test_key_rotation_keeps_every_checkpoint_verifiable(
    lctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    path, old_vkey = keys
    add_events(lctx, 5)
    ledger.publish_checkpoint(lctx)
    # 1. Add the new key: checkpoints carry both signatures.
    new_skey, new_vkey = generate_key(ORIGIN)
    ledger.write_key_file(path, [path.read_text().strip(), new_skey])
    add_events(lctx, 5)
    both = ledger.publish_checkpoint(lctx).note
    assert open_note(note=both, verifier_keys=[old_vkey]) == open_note(
        note=both, verifier_keys=[new_vkey]
    )
    # 3. Drop the old key: new checkpoints verify with the new key only.
    ledger.write_key_file(path, [new_skey])
    add_events(lctx, 5)
    ledger.publish_checkpoint(lctx)
    out = tmp_path / "export"
    ledger.export(lctx, out)
    report = verify_export(out, verifier_keys=[old_vkey, new_vkey])
    assert report.verified_size == 15
    with pytest.raises(VerificationError, match="checkpoint 3"):
        verify_export(out, verifier_keys=[old_vkey])


@pytest.fixture
def exported(lctx: Context, tmp_path: Path, keys: tuple[Path, str]) -> Path:
    for n in (10, 300, 1, 50):
        add_events(lctx, n, start=1000 * n)
        ledger.publish_checkpoint(lctx)
    add_events(lctx, 3)  # not yet in a checkpoint
    out = tmp_path / "export"
    ledger.export(lctx, out)
    return out


def _lines(path: Path) -> list[bytes]:
    return (path / "entries.jsonl").read_bytes().split(b"\n")[:-1]


def _write(path: Path, lines: list[bytes]) -> None:
    (path / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


#: One process over the whole file, and worker processes over small ranges of it.
PASSES = pytest.mark.parametrize(
    "split", [(1, TASK_BYTES), (2, 700)], ids=["one-process", "workers"]
)


@PASSES
def test_an_intact_export_verifies(
    exported: Path, keys: tuple[Path, str], split: tuple[int, int]
) -> None:
    workers, task_bytes = split
    report = verify_export(
        exported, verifier_keys=[keys[1]], workers=workers, task_bytes=task_bytes
    )
    assert (report.entries, report.verified_size, len(report.checkpoints)) == (361, 361, 4)


@pytest.mark.parametrize(
    ("change", "first_bad"),
    [
        (lambda ls: [*ls[:17], ls[17].replace(b'"n":', b'"n":9'), *ls[18:]], 17),
        (lambda ls: ls[:200] + ls[201:], 200),
        (lambda ls: [*ls[:40], ls[41], ls[40], *ls[42:]], 40),
        (lambda ls: [*ls[:5], b'{"forged":true}', *ls[5:]], 5),
        (lambda ls: ls[:300], 300),
    ],
    ids=["altered", "removed", "reordered", "inserted", "truncated"],
)
@PASSES
def test_tampered_exports_name_the_first_bad_entry(
    exported: Path,
    keys: tuple[Path, str],
    change: object,
    first_bad: int,
    split: tuple[int, int],
) -> None:
    workers, task_bytes = split
    _write(exported, change(_lines(exported)))  # type: ignore[operator]  # a lambda from the table
    with pytest.raises(VerificationError) as caught:
        verify_export(exported, verifier_keys=[keys[1]], workers=workers, task_bytes=task_bytes)
    assert caught.value.first_bad_entry == first_bad


def test_an_altered_checkpoint_is_rejected(exported: Path, keys: tuple[Path, str]) -> None:
    records = (exported / "checkpoints.jsonl").read_text().splitlines()
    second = json.loads(records[1])
    second["note"] = second["note"].replace("\n310\n", "\n311\n", 1)
    records[1] = json.dumps(second)
    (exported / "checkpoints.jsonl").write_text("\n".join(records) + "\n")
    with pytest.raises(VerificationError, match="checkpoint 2"):
        verify_export(exported, verifier_keys=[keys[1]])


def test_a_checkpoint_signed_by_an_unknown_key_is_rejected(exported: Path) -> None:
    _, other = generate_key(ORIGIN)
    with pytest.raises(VerificationError, match="checkpoint 1"):
        verify_export(exported, verifier_keys=[other])


def test_altered_entries_and_leaves_together_are_still_caught(
    exported: Path, keys: tuple[Path, str], tmp_path: Path
) -> None:
    lines = _lines(exported)
    lines[100] = lines[100].replace(b'"n":', b'"n":9')
    _write(exported, lines)
    leaves = bytearray((exported / "leaves.bin").read_bytes())
    leaves[100 * 32 : 101 * 32] = hash_leaf(lines[100])
    (exported / "leaves.bin").write_bytes(bytes(leaves))
    with pytest.raises(VerificationError, match="from 10 to 309"):
        verify_export(exported, verifier_keys=[keys[1]])
    shutil.rmtree(tmp_path / "export")


def test_stored_entries_keep_their_timestamps(lctx: Context) -> None:
    add_events(lctx, 1)
    with lctx.reading() as session:
        at = session.scalars(select(LedgerEntry.at)).one()
    assert at.isoformat() == "2026-03-02T00:00:00+00:00"


def test_append_stores_times_exactly_as_the_orm_does(lctx: Context) -> None:
    """The fast append writes rows through the driver; they must read back like ORM rows."""
    from sqlalchemy import select as sa_select

    from custos.store.tables import LedgerEntry

    at = dt.datetime(2026, 3, 2, 15, 4, 5, 123456, tzinfo=dt.UTC)
    with lctx.transaction() as session:
        [idx] = append(
            session, [Event(tag=EventTag.RECORDS_IMPORT_COMPLETE, at=at, actor="system")]
        )
        session.add(
            LedgerEntry(
                idx=idx + 1,
                tag="records:import:complete",
                body=b"{}",
                leaf_hash=b"\0" * 32,
                at=at,
            )
        )
    with lctx.engine.connect() as conn:
        raw = (
            conn.exec_driver_sql(
                "SELECT at FROM ledger_entries WHERE idx IN (?, ?) ORDER BY idx"
                if lctx.engine.dialect.name == "sqlite"
                else "SELECT at FROM ledger_entries WHERE idx IN (%s, %s) ORDER BY idx",
                (idx, idx + 1),
            )
            .scalars()
            .all()
        )
    assert raw[0] == raw[1]
    with lctx.reading() as s:
        assert s.scalar(sa_select(LedgerEntry.at).where(LedgerEntry.idx == idx)) == at


def test_a_persons_entries_are_found_before_and_after_integration(lctx: Context) -> None:
    """Appends keep no index by person: the tail not yet integrated is scanned, and
    integration files entries by person in `ledger_subject_index`, which lookups then use."""
    add_events(lctx, 50)
    add_events(lctx, 3, subject="p_ref_1")
    add_events(lctx, 2, subject="p_ref_2")
    with lctx.reading() as s:
        assert subject_entries(s, "p_ref_1") == [50, 51, 52]
        assert s.scalar(select(func.count()).select_from(LedgerSubjectIndex)) == 0
    with lctx.transaction() as s:
        integrate(s, now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    add_events(lctx, 1, subject="p_ref_1")
    with lctx.reading() as s:
        filed = s.execute(
            select(LedgerSubjectIndex.subject_ref, LedgerSubjectIndex.idx).order_by(
                LedgerSubjectIndex.subject_ref, LedgerSubjectIndex.idx
            )
        ).all()
        assert [tuple(r) for r in filed] == [
            ("p_ref_1", 50),
            ("p_ref_1", 51),
            ("p_ref_1", 52),
            ("p_ref_2", 53),
            ("p_ref_2", 54),
        ]
        assert subject_entries(s, "p_ref_1") == [50, 51, 52, 55]
        assert subject_entries(s, "p_ref_1", below=52) == [50, 51]
        assert subject_entries(s, "p_ref_2", below=100) == [53, 54]
        assert subject_entries(s, "p_nobody") == []
        query = select(LedgerSubjectIndex.idx).where(LedgerSubjectIndex.subject_ref == "p_ref_1")
        compiled = query.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        if s.get_bind().dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "SEARCH" in plan
        else:
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in s.execute(text(f"EXPLAIN {compiled}")))
            assert "pk_ledger_subject_index" in plan


def _plan(conn: Connection, sql: str) -> str:
    return " ".join(r[0] for r in conn.execute(text(f"EXPLAIN {sql}")))


def test_a_freshly_filled_log_finds_a_persons_tail_by_index(lctx: Context) -> None:
    """Until autovacuum analyzes a bulk-loaded log the planner has no statistics; a person's
    page must not scan the whole log meanwhile (it did: 260 ms a read at 1M entries)."""
    if lctx.engine.dialect.name != "postgresql":
        pytest.skip("the planner without statistics is PostgreSQL's")
    with lctx.engine.connect() as conn:
        # A table autovacuum never analyzes, shadowing the log's own in this session.
        conn.execute(
            text("CREATE TEMP TABLE ledger_entries (LIKE public.ledger_entries INCLUDING ALL)")
        )
        conn.execute(
            text(
                "INSERT INTO ledger_entries (idx, tag, subject_ref, body, leaf_hash, at) "
                "SELECT i, 'release:accounting:entry', "
                "CASE WHEN i % 2 = 1 THEN 'p_' || (i % 5000) END, '\\x00', '\\x00', now() "
                "FROM generate_series(0, 199999) AS i"
            )
        )
        query = subject_entries_query("p_7", below=150_000)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        assert "Seq Scan on ledger_entries" not in _plan(conn, str(compiled))
        # The table is big enough to tell: the unbounded tail the read used to run scans it.
        old = "SELECT idx FROM ledger_entries WHERE idx >= 199000 AND subject_ref = 'p_7'"
        assert "Seq Scan on ledger_entries" in _plan(conn, old)
        compiled = subject_entries_query("p_7").compile(
            conn, compile_kwargs={"literal_binds": True}
        )
        assert "Seq Scan on ledger_entries" not in _plan(conn, str(compiled))
        # The page reads the entries' bodies with the same lookup inside one statement.
        bodies = subject_accounting(LedgerEntry.body).params(ref="p_7")
        compiled = bodies.compile(conn, compile_kwargs={"literal_binds": True})
        assert "Seq Scan on ledger_entries" not in _plan(conn, str(compiled))
        conn.rollback()
