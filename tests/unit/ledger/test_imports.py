"""The pure half of the ledger API imports without the database layer.

A third party checking our proofs, and every worker of a parallel verification, imports
`custos.ledger`; the storage functions load on first use only.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(result.stdout.split())


def test_verifying_does_not_load_the_database_layer() -> None:
    loaded = _modules_after(
        "import custos.ledger\nfrom custos.ledger import verify_inclusion, open_note\n"
        "import custos.ledger._verify"
    )
    assert "custos.ledger._verify" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "sqlalchemy"}


def test_the_storage_half_still_loads_by_name() -> None:
    loaded = _modules_after("from custos.ledger import append, TileStore")
    assert {"custos.ledger._log", "custos.ledger._tiles", "sqlalchemy"} <= loaded


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import custos.ledger

    with pytest.raises(AttributeError, match="no_such_thing"):
        custos.ledger.no_such_thing  # noqa: B018
