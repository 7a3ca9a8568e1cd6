from __future__ import annotations

import pytest

from custos.ledger import Checkpoint, CheckpointError


def test_checkpoint_text_round_trips() -> None:
    cp = Checkpoint(origin="example.gov/ledger", size=20852163, root=bytes(range(32)))
    text = cp.text()
    assert text == "example.gov/ledger\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert Checkpoint.parse(text) == cp


@pytest.mark.parametrize(
    "text",
    [
        "example\n12\n",
        "example\n012\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example\n12\nAAEC\n",
        "example\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(text)
