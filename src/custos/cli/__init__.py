"""The `custos` command line: a thin layer over `custos.workflow`.

Each command parses its arguments, makes one call into a workflow service and renders the
result. Domain errors map to exit codes (see `custos.domain.errors`).
"""

from __future__ import annotations

import typer

from custos.cli import (
    _ledger,
    _oversight,
    _policy,
    _records,
    _release,
    _requests,
    _rights,
    _serve,
    _witness,
)
from custos.cli._common import run_guarded

app = typer.Typer(
    name="custos",
    help="Control, prove and account for every disclosure of benefits recipients' data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
_serve.register(app)
_records.register(app)
_requests.register(app)
_policy.register(app)
_ledger.register(app)
_witness.register(app)
_release.register(app)
_rights.register(app)
_oversight.register(app)


def main() -> None:
    run_guarded(app)
