"""tlog-witness over HTTP between two real processes: `custos serve` submits each checkpoint
to a `custos witness`; a forked log is refused with the spec's statuses and raises an alert."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import select

from custos.config import origin_of
from custos.ledger import (
    AddCheckpoint,
    Checkpoint,
    MemoryTree,
    generate_key,
    hash_leaf,
    open_note_full,
    sign_note,
)
from custos.store.tables import LedgerEntry
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.conftest import _settings
from tests.integration.ledger.conftest import add_events, serve_env
from tests.integration.ledger.processes import free_port, running

WITNESS = "witness.example/w1"
#: How long the log may take to publish and have a checkpoint cosigned.
WAIT_SECONDS = 90.0


def _cosigned(prefix: str, witness_key: str, size: int) -> str:
    """Wait until the served checkpoint has `size` entries and the witness's cosignature."""
    deadline = time.monotonic() + WAIT_SECONDS
    note = ""
    while time.monotonic() < deadline:
        got = httpx.get(f"{prefix}/checkpoint", timeout=5)
        note = got.text if got.status_code == 200 else ""
        if note and Checkpoint.parse(note.split("\n\n")[0] + "\n").size == size and WITNESS in note:
            return note
        time.sleep(0.5)
    raise AssertionError(f"no cosigned checkpoint of size {size}; last: {note!r}")


def test_the_log_submits_to_a_witness_which_refuses_a_fork(
    sqlite_ctx: Context, sqlite_template: Path, tmp_path: Path
) -> None:
    # The witness: its own key and database, following one log.
    log_port, witness_port = free_port(), free_port()
    url = f"http://127.0.0.1:{log_port}/log"
    origin = origin_of(url)
    log_signer, log_verifier = generate_key(origin)
    witness_signer, witness_verifier = generate_key(WITNESS, cosigner=True)
    witness_key = tmp_path / "witness.key"
    ledger.write_key_file(witness_key, [witness_signer])
    witness_db = f"sqlite:///{tmp_path / 'witness.db'}"
    witness_args = [
        "witness",
        "--key-file",
        str(witness_key),
        "--log",
        f"{origin}={log_verifier}",
        "--state",
        witness_db,
        "--port",
        str(witness_port),
    ]
    # The log: entries, a signer key, the witness configured with its URL.
    key = tmp_path / "ledger.key"
    ledger.write_key_file(key, [log_signer])
    ctx = _log_context(sqlite_ctx, url, key)
    ledger.add_witness(ctx, witness_verifier, url=f"http://127.0.0.1:{witness_port}")
    add_events(ctx, 300)
    env = {**serve_env(ctx, key), "CUSTOS_CHECKPOINT_INTERVAL_SECONDS": "1"}
    with (
        running(witness_args, port=witness_port, env={}, log=tmp_path / "witness.log"),
        running(["serve", "--port", str(log_port)], port=log_port, env=env, log=tmp_path / "s.log"),
    ):
        # 1. Custos publishes, submits, and serves the witness's cosignature (from size 0, then
        #    with a consistency proof from the size the witness holds).
        note = _cosigned(url, WITNESS, 300)
        assert open_note_full(note=note, verifier_keys=[witness_verifier]).cosigned_at
        add_events(ctx, 200, start=300)
        _cosigned(url, WITNESS, 500)
        # 2. A fork under the same key: refused with the spec's statuses, over HTTP.
        forked = MemoryTree(hash_leaf(b"forged %d" % i) for i in range(540))
        submit = f"http://127.0.0.1:{witness_port}/add-checkpoint"
        other = _note(origin, forked, 540, log_signer)
        body = AddCheckpoint(old_size=500, proof=forked.consistency_proof(500, 540), note=other)
        assert httpx.post(submit, content=body.encode()).status_code == 422
        same = AddCheckpoint(old_size=500, proof=[], note=_note(origin, forked, 500, log_signer))
        got = httpx.post(submit, content=same.encode())
        assert (got.status_code, got.text) == (409, "500\n")
        assert got.headers["content-type"].startswith("text/x.tlog.size")
        stale = AddCheckpoint(old_size=0, proof=[], note=other)
        assert httpx.post(submit, content=stale.encode()).text == "500\n"
        # 3. A forked copy of the log submits to the same witness: refused (422), and the
        #    forked log's own oversight raises the alert.
        fork = _fork(sqlite_template, tmp_path, url, key)
        ledger.add_witness(fork, witness_verifier, url=f"http://127.0.0.1:{witness_port}")
        add_events(fork, 540, start=10_000)
        ledger.publish_checkpoint(fork)
        outcomes = ledger.submit_to_witnesses(fork)
        assert [(o.status, o.cosigned, o.alarm) for o in outcomes] == [(422, False, True)]
        assert _alerts(fork) == ["witness_inconsistent_checkpoint"]
    # The witness kept the evidence of every refusal in its own database.
    memory = ledger.SqlWitnessMemory.from_url(witness_db)
    reasons = [r for _, r in memory.alarms()]
    memory.close()
    fork.engine.dispose()
    assert len(reasons) == 3
    assert all("not consistent" in r or "forked" in r for r in reasons)


def _note(origin: str, tree: MemoryTree, size: int, signer: str) -> str:
    text = Checkpoint(origin=origin, size=size, root=tree.root(size)).text()
    return sign_note(text=text, signer_key=signer)


def _log_context(base: Context, url: str, key: Path) -> Context:
    settings = base.settings.model_copy(
        update={"ledger_url": url, "ledger_origin": origin_of(url), "ledger_key_path": key}
    )
    return Context(settings=settings, engine=base.engine, sessions=base.sessions, clock=base.clock)


def _fork(template: Path, tmp_path: Path, url: str, key: Path) -> Context:
    db = tmp_path / "fork.db"
    shutil.copy(template, db)
    data = tmp_path / "fork-var"
    data.mkdir()
    return _log_context(Context.from_settings(_settings(f"sqlite:///{db}", data)), url, key)


def _alerts(ctx: Context) -> list[str]:
    with ctx.reading() as session:
        bodies = session.scalars(
            select(LedgerEntry.body).where(LedgerEntry.tag == "oversight:alert:raise")
        ).all()
    return [b.decode().split('"alert":"')[1].split('"')[0] for b in bodies]
