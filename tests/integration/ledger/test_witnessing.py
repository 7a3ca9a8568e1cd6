"""The log's side of tlog-witness, against in-process witnesses (a `Cosigner` behind a small
stub of the HTTP hop); and every `CosignerState` honouring the same contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from custos.ledger import (
    AddCheckpoint,
    Cosigner,
    CosignerState,
    MemoryCosignerState,
    Witnessed,
    WitnessReply,
    WitnessRequestError,
    generate_key,
    open_note_full,
)
from custos.store.ledger_tables import WitnessState
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import ORIGIN, add_events

WITNESS = "witness.example/w1"
URL = "http://witness.invalid"


class InProcess:
    """Posts `add-checkpoint` straight to a `Cosigner`, as the HTTP server would answer."""

    def __init__(self, cosigner: Cosigner) -> None:
        self.cosigner = cosigner
        self.sent: list[AddCheckpoint] = []

    def __call__(self, url: str, request: AddCheckpoint, timeout: float) -> WitnessReply:
        _ = (url, timeout)
        self.sent.append(request)
        try:
            lines = self.cosigner.add_checkpoint(request.encode())
        except WitnessRequestError as exc:
            if exc.size is not None:
                return WitnessReply(
                    status=409, content_type="text/x.tlog.size", body=b"%d\n" % exc.size
                )
            return WitnessReply(status=exc.status, content_type="text/plain", body=b"")
        return WitnessReply(status=200, content_type="text/plain", body=lines.encode())


def _witness(
    lctx: Context, keys: tuple[Path, str], *, logs: dict[str, list[str]] | None = None
) -> tuple[InProcess, str, MemoryCosignerState]:
    signer, verifier = generate_key(WITNESS, cosigner=True)
    ledger.add_witness(lctx, verifier, url=URL)
    state = MemoryCosignerState()
    cosigner = Cosigner(
        logs={ORIGIN: [keys[1]]} if logs is None else logs,
        signer_key=signer,
        state=state,
        clock=lambda: 1_800_000_000,
    )
    return InProcess(cosigner), verifier, state


def test_checkpoints_are_submitted_cosigned_and_served(
    lctx: Context, keys: tuple[Path, str]
) -> None:
    post, verifier, state = _witness(lctx, keys)
    add_events(lctx, 20)
    published = ledger.publish_and_witness(lctx, post=post)
    assert open_note_full(note=published.note, verifier_keys=[verifier]).cosigned_at
    add_events(lctx, 300, start=20)
    ledger.publish_and_witness(lctx, post=post)
    assert [(r.old_size, len(r.proof) > 0) for r in post.sent] == [(0, False), (20, True)]
    # Nothing new: not submitted again.
    outcomes = ledger.submit_to_witnesses(lctx, post=post)
    assert [(o.status, o.detail) for o in outcomes] == [(200, "up to date")]
    assert len(post.sent) == 2
    assert state.logs[ORIGIN].size == 320


def test_a_witness_behind_the_log_is_caught_up_after_its_409(
    lctx: Context, keys: tuple[Path, str]
) -> None:
    post, _, state = _witness(lctx, keys)
    add_events(lctx, 20)
    ledger.publish_and_witness(lctx, post=post)
    add_events(lctx, 30, start=20)
    ledger.publish_checkpoint(lctx)
    state.logs.clear()  # the witness lost its record (a restored database)
    outcomes = ledger.submit_to_witnesses(lctx, post=post)
    assert [(o.status, o.cosigned) for o in outcomes] == [(200, True)]
    assert [r.old_size for r in post.sent] == [0, 20, 0]


@pytest.mark.parametrize("case", ["untrusted key", "unknown origin", "unreachable"])
def test_refusals_that_are_not_forks_are_recorded_without_an_alarm(
    lctx: Context, keys: tuple[Path, str], case: str
) -> None:
    _, other = generate_key(ORIGIN)
    logs = {"untrusted key": {ORIGIN: [other]}, "unknown origin": {}, "unreachable": None}[case]
    post, _, _ = _witness(lctx, keys, logs=logs)
    add_events(lctx, 5)
    ledger.publish_checkpoint(lctx)

    def down(url: str, request: AddCheckpoint, timeout: float) -> WitnessReply:
        raise OSError("connection refused")

    sender: Callable[[str, AddCheckpoint, float], WitnessReply] = (
        down if case == "unreachable" else post
    )
    outcomes = ledger.submit_to_witnesses(lctx, post=sender)
    expected = {"untrusted key": 403, "unknown origin": 404, "unreachable": None}[case]
    assert [(o.status, o.cosigned, o.alarm) for o in outcomes] == [(expected, False, False)]


# --- one contract for every CosignerState ------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cosigner_state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CosignerState]:
    if request.param == "memory":
        yield MemoryCosignerState()
        return
    if request.param == "sqlite":
        memory = ledger.SqlWitnessMemory.from_url(f"sqlite:///{tmp_path / 'witness.db'}")
    else:
        memory = ledger.SqlWitnessMemory.from_url(request.getfixturevalue("postgres_database"))
        with memory.sessions() as session, session.begin():
            session.execute(delete(WitnessState))
    yield memory
    memory.close()


def test_every_cosigner_state_stores_what_decide_returns_and_nothing_on_refusal(
    cosigner_state: CosignerState,
) -> None:
    seen: list[Witnessed | None] = []

    def decide(size: int) -> Callable[[Witnessed | None], Witnessed]:
        def inner(last: Witnessed | None) -> Witnessed:
            seen.append(last)
            return Witnessed(size=size, root=bytes([size]) * 32, text=f"o\n{size}\n")

        return inner

    cosigner_state.transact("log.example/a", decide(3))
    cosigner_state.transact("log.example/a", decide(5))

    def refuse(last: Witnessed | None) -> Witnessed:
        raise WitnessRequestError("no", status=409, size=last.size if last else 0)

    with pytest.raises(WitnessRequestError):
        cosigner_state.transact("log.example/a", refuse)
    cosigner_state.transact("log.example/a", decide(9))
    assert seen[0] is None
    assert [s.size for s in seen[1:] if s is not None] == [3, 5]
    cosigner_state.alarm(origin="log.example/a", reason="forked", previous="p", offered="o")
