"""A witness cosigns consistent checkpoints and loudly refuses a rewritten log."""

from __future__ import annotations

from pathlib import Path

import pytest

from custos.ledger import MemoryTree, generate_key, hash_leaf, open_note, sign_note
from custos.ledger._checkpoint import Checkpoint
from custos.ledger._note import open_note_full
from custos.ledger._witness import CheckpointRefusedError, MemoryWitnessMemory, Witness
from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import ORIGIN, add_events


def _witness(
    lctx: Context, memory: MemoryWitnessMemory, keys: tuple[Path, str]
) -> tuple[Witness, str]:
    skey, vkey = generate_key("witness.example/w1", cosigner=True)
    ledger.add_witness(lctx, vkey)
    w = Witness(
        origin=ORIGIN,
        log_keys=[keys[1]],
        signer_key=skey,
        memory=memory,
        client=ledger.LocalLogClient(lctx),
    )
    return w, vkey


def test_witness_cosigns_and_checkpoints_carry_the_cosignature(
    lctx: Context, keys: tuple[Path, str]
) -> None:
    memory = MemoryWitnessMemory()
    w, vkey = _witness(lctx, memory, keys)
    add_events(lctx, 20)
    ledger.publish_checkpoint(lctx)
    assert w.step(now=1_800_000_000).checkpoint.size == 20
    add_events(lctx, 300)
    ledger.publish_checkpoint(lctx)
    assert w.step(now=1_800_000_060).checkpoint.size == 320
    served = ledger.latest_checkpoint(lctx).note
    opened = open_note_full(note=served, verifier_keys=[vkey])
    assert opened.cosigned_at[0][2] == 1_800_000_060
    assert memory.alarms == []


class ForkedClient:
    """A log that shows the witness a different history under the same key."""

    def __init__(self, skey: str, entries: list[bytes]) -> None:
        self.skey = skey
        self.tree = MemoryTree(hash_leaf(e) for e in entries)

    def latest_checkpoint(self) -> str:
        text = Checkpoint(origin=ORIGIN, size=self.tree.size, root=self.tree.root()).text()
        return sign_note(text=text, signer_key=self.skey)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self.tree.consistency_proof(size1, size2)

    def submit_cosignature(self, note: str) -> None:
        raise AssertionError("a refused checkpoint must not be cosigned")


def test_witness_refuses_a_rewritten_history(lctx: Context, keys: tuple[Path, str]) -> None:
    memory = MemoryWitnessMemory()
    w, _ = _witness(lctx, memory, keys)
    add_events(lctx, 20)
    ledger.publish_checkpoint(lctx)
    w.step(now=1_800_000_000)
    w.client = ForkedClient(keys[0].read_text().strip(), [b"other %d" % i for i in range(40)])
    with pytest.raises(CheckpointRefusedError, match=r"REFUSED.*not consistent"):
        w.step(now=1_800_000_060)
    assert memory.alarms
    assert "not consistent" in memory.alarms[0][1]
    # A smaller tree, or another root at the same size, is refused too.
    w.client = ForkedClient(keys[0].read_text().strip(), [b"x"] * 20)
    with pytest.raises(CheckpointRefusedError, match="fork"):
        w.step(now=1_800_000_120)
    w.client = ForkedClient(keys[0].read_text().strip(), [b"x"] * 5)
    with pytest.raises(CheckpointRefusedError, match="went back"):
        w.step(now=1_800_000_180)


def test_witness_refuses_a_checkpoint_not_signed_by_the_log(
    lctx: Context, keys: tuple[Path, str]
) -> None:
    w, _ = _witness(lctx, MemoryWitnessMemory(), keys)
    impostor, _ = generate_key(ORIGIN)
    w.client = ForkedClient(impostor, [b"a"])
    with pytest.raises(CheckpointRefusedError):
        w.step(now=1_800_000_000)
    _ = open_note
