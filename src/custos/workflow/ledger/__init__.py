"""Ledger services: publish checkpoints, serve proofs, tiles and entries, witness, export.

One package, a module per concern, every public name re-exported here so callers keep
writing `from custos.workflow import ledger` and `ledger.publish_checkpoint(ctx)`:

- `keys` — the log's signer key file (mode 0600) and key rotation;
- `checkpoints` — signing checkpoints (C2SP tlog-checkpoint), the latest one;
- `reads` — who may read what: proofs, leaf hashes and hash tiles for the public; entries
  and entry bundles for auditors; a person's own entries;
- `witnessing` — submitting checkpoints to witnesses (C2SP tlog-witness), their
  cosignatures, and a witness's own storage;
- `completeness` — a person's accounting map proof, with the commit that signs it, and the
  proven lifecycle events (with their release map proofs) of the releases they were in;
- `export` — the offline-verification export and the static public log (`publish_static`).
"""

from __future__ import annotations

from custos.workflow.ledger.checkpoints import (
    PublishedCheckpoint,
    latest_checkpoint,
    latest_row,
    publish_checkpoint,
    with_cosignatures,
)
from custos.workflow.ledger.completeness import (
    MapMovedError,
    SignedCompleteness,
    completeness_in,
    person_completeness,
    release_lifecycles_in,
    signed_completeness,
)
from custos.workflow.ledger.export import (
    ExportSummary,
    StaticSummary,
    export,
    log_size,
    publish_static,
)
from custos.workflow.ledger.keys import (
    LedgerKeyError,
    read_key_file,
    signer_keys,
    verifier_keys,
    write_key_file,
)
from custos.workflow.ledger.reads import (
    MAX_PAGE,
    InclusionProof,
    ProvenEntry,
    check_size,
    consistency,
    entries,
    entries_as,
    entries_for_subject,
    entry_as,
    entry_bundle_as,
    hash_tile,
    inclusion,
    integrated_size,
    leaf_hashes,
    proofs_in,
    signed_size,
)
from custos.workflow.ledger.witnessing import (
    LocalLogClient,
    SqlWitnessMemory,
    WitnessOutcome,
    add_cosignature,
    add_witness,
    publish_and_witness,
    publish_checkpoint_as,
    submit_to_witnesses,
)

__all__ = [
    "MAX_PAGE",
    "ExportSummary",
    "InclusionProof",
    "LedgerKeyError",
    "LocalLogClient",
    "MapMovedError",
    "ProvenEntry",
    "PublishedCheckpoint",
    "SignedCompleteness",
    "SqlWitnessMemory",
    "StaticSummary",
    "WitnessOutcome",
    "add_cosignature",
    "add_witness",
    "check_size",
    "completeness_in",
    "consistency",
    "entries",
    "entries_as",
    "entries_for_subject",
    "entry_as",
    "entry_bundle_as",
    "export",
    "hash_tile",
    "inclusion",
    "integrated_size",
    "latest_checkpoint",
    "latest_row",
    "leaf_hashes",
    "log_size",
    "person_completeness",
    "proofs_in",
    "publish_and_witness",
    "publish_checkpoint",
    "publish_checkpoint_as",
    "publish_static",
    "read_key_file",
    "release_lifecycles_in",
    "signed_completeness",
    "signed_size",
    "signer_keys",
    "submit_to_witnesses",
    "verifier_keys",
    "with_cosignatures",
    "write_key_file",
]
