"""`custos ledger publish` and `custos ledger verify --checkpoint`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from custos.workflow import ledger
from custos.workflow.context import Context
from tests.integration.ledger.conftest import ORIGIN, add_events, serve_env


def _custos(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    return subprocess.run(
        [sys.executable, "-m", "custos.cli", *args],
        env={**environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_publish_and_a_pinned_verify_from_the_command_line(
    sqlite_ctx: Context, keys: tuple[Path, str], tmp_path: Path
) -> None:
    settings = sqlite_ctx.settings.model_copy(
        update={"ledger_key_path": keys[0], "ledger_origin": ORIGIN}
    )
    ctx = Context(
        settings=settings,
        engine=sqlite_ctx.engine,
        sessions=sqlite_ctx.sessions,
        clock=sqlite_ctx.clock,
    )
    add_events(ctx, 100)
    ledger.publish_checkpoint(ctx)
    add_events(ctx, 200, start=100)
    ledger.publish_checkpoint(ctx)
    env = {**serve_env(ctx, keys[0]), "CUSTOS_LEDGER_ORIGIN": ORIGIN}
    # The public log as static files.
    published = _custos(env, "ledger", "publish", str(tmp_path / "public"))
    assert published.returncode == 0, published.stderr
    assert (tmp_path / "public" / "tile" / "0" / "001.p" / "44").stat().st_size == 44 * 32
    pinned = tmp_path / "checkpoint"
    pinned.write_bytes((tmp_path / "public" / "checkpoint").read_bytes())
    # An export cut at the earlier checkpoint: whole on its own, refused against the pin.
    out = tmp_path / "export"
    ledger.export(ctx, out)
    records = (out / "checkpoints.jsonl").read_text().splitlines()
    (out / "checkpoints.jsonl").write_text(records[0] + "\n")
    lines = (out / "entries.jsonl").read_bytes().split(b"\n")[:100]
    (out / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    (out / "leaves.bin").write_bytes((out / "leaves.bin").read_bytes()[: 100 * 32])
    json.loads(records[0])  # still a well-formed record
    verify = ["ledger", "verify", str(out), "--key", keys[1], "--workers", "1"]
    assert _custos(env, *verify).returncode == 0
    refused = _custos(env, *verify, "--checkpoint", str(pinned))
    assert refused.returncode != 0
    assert "signed checkpoints cover 300" in refused.stderr
