"""The tamper-evident ledger: an append-only Merkle log of every event, anyone can check.

Design
------
*Entries.* Every event is stored as RFC 8785 canonical JSON in `ledger_entries`, with its
leaf hash SHA-256(0x00 ‖ entry) (RFC 9162 §2.1.1). `append` runs inside the caller's
transaction, so a state change and its entries commit together; the index is assigned under
the sequencing lock (PostgreSQL advisory lock; SQLite `BEGIN IMMEDIATE`) and is final when the
transaction commits. Appends are batched per transaction; nothing is ever updated or deleted.

*Tree.* Hashing the tree is deferred, as Tessera does: `integrate` folds committed leaf hashes
into stored tiles of perfect-node hashes (`ledger_tiles`, 8 levels a tile, all rows kept) under
its own lock, in batches. A perfect node's hash never changes, so any inclusion or consistency
proof is folded from at most two tiles per 8 levels, read in one query: O(log n), no
rehashing. Tiles and `ledger_tree` are derived data and can be rebuilt from the entries.

*Checkpoints.* Publishing integrates, checks that the new tree extends the last checkpoint
(its root at the old size must match), and signs a C2SP checkpoint (origin, size, base64
root) as a C2SP signed note with every configured Ed25519 signer key. Several keys at once is
how the key is rotated (see `custos.workflow.ledger`). Witnesses add C2SP cosignature/v1
lines, which the log stores and serves with the checkpoint.

*Verification.* `verify_inclusion` and `verify_consistency` follow RFC 9162 §2.1.3.2 and
§2.1.4.2 step by step; `sign_note` / `open_note` follow C2SP signed-note and reproduce the Go
reference byte for byte; `verify_export` checks an export offline and names the first bad entry.

*Ecosystem.* The log is readable as C2SP tlog-tiles (`_tlog`: tile paths, entry bundles;
stored tiles' bottom rows are the spec's tiles) and witnessed over C2SP tlog-witness
(`_tlog_witness`: the `add-checkpoint` request and a witness that answers it, cosigning with
cosignature/v1). See `docs/log.md`.

*Imports.* The storage half (`append`, `leaf_hash`, `TileStore`, `integrate`, `tree_state`) is
loaded on first use, so a verifier that imports only the pure half does not pay for the
database layer — nor do the worker processes of a parallel verification.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from custos.domain.events import SUBJECT_KEY, canonical
from custos.ledger._checkpoint import Checkpoint
from custos.ledger._errors import CheckpointError, NoteError, ProofError, VerificationError
from custos.ledger._map import (
    AccountingMap,
    MapProof,
    Terminal,
    chain,
    chain_step,
    map_key,
    value_hash,
    verify_map_proof,
)
from custos.ledger._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    MemoryTree,
    NodeSource,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    inclusion_proofs,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from custos.ledger._note import (
    ALG_COSIGNATURE_V1,
    OpenedNote,
    SignerKey,
    VerifierKey,
    add_signatures,
    generate_key,
    open_note,
    open_note_full,
    parse_note,
    sign_note,
    sign_note_with,
    signature_lines,
)
from custos.ledger._tlog import (
    TilePathError,
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    parse_tile_path,
    tile_covers,
    tiles_for_size,
)
from custos.ledger._tlog_witness import (
    CONFLICT as WITNESS_CONFLICT,
)
from custos.ledger._tlog_witness import (
    MAX_REQUEST_BYTES as MAX_WITNESS_REQUEST_BYTES,
)
from custos.ledger._tlog_witness import (
    SIZE_MEDIA_TYPE,
    AddCheckpoint,
    Cosigner,
    CosignerState,
    MemoryCosignerState,
    Witnessed,
    WitnessReply,
    WitnessRequestError,
    parse_size_body,
    post_add_checkpoint,
)
from custos.ledger._verify import (
    CHECKPOINTS,
    ENTRIES,
    KEYS,
    LEAVES,
    VerifiedCheckpoint,
    VerifyReport,
    open_checkpoint,
    verify_export,
)
from custos.ledger._witness import (
    CheckpointRefusedError,
    HttpLogClient,
    MemoryWitnessMemory,
    Seen,
    Witness,
    WitnessMemory,
)

if TYPE_CHECKING:
    from custos.ledger._log import append, leaf_hash, lock_appends, next_index
    from custos.ledger._map_store import (
        ACCOUNTING_TAGS,
        LIFECYCLE_TAGS,
        MapKind,
        MapState,
        PersonProof,
        accounting_among,
        advance_map,
        map_pending,
        map_state,
        mark_map_committed,
        prove_keys,
        prove_person,
        prove_releases,
        release_of,
        subject_accounting,
    )
    from custos.ledger._tiles import (
        TileStore,
        integrate,
        leaf_index,
        subject_entries,
        tree_state,
    )

_STORAGE = {
    "append": "custos.ledger._log",
    "leaf_hash": "custos.ledger._log",
    "lock_appends": "custos.ledger._log",
    "next_index": "custos.ledger._log",
    "ACCOUNTING_TAGS": "custos.ledger._map_store",
    "LIFECYCLE_TAGS": "custos.ledger._map_store",
    "accounting_among": "custos.ledger._map_store",
    "MapKind": "custos.ledger._map_store",
    "prove_keys": "custos.ledger._map_store",
    "prove_releases": "custos.ledger._map_store",
    "release_of": "custos.ledger._map_store",
    "MapState": "custos.ledger._map_store",
    "PersonProof": "custos.ledger._map_store",
    "advance_map": "custos.ledger._map_store",
    "map_pending": "custos.ledger._map_store",
    "map_state": "custos.ledger._map_store",
    "mark_map_committed": "custos.ledger._map_store",
    "prove_person": "custos.ledger._map_store",
    "subject_accounting": "custos.ledger._map_store",
    "TileStore": "custos.ledger._tiles",
    "integrate": "custos.ledger._tiles",
    "leaf_index": "custos.ledger._tiles",
    "subject_entries": "custos.ledger._tiles",
    "tree_state": "custos.ledger._tiles",
}


def __getattr__(name: str) -> Any:  # PEP 562: the storage half, loaded on first use
    module = _STORAGE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ACCOUNTING_TAGS",
    "ALG_COSIGNATURE_V1",
    "CHECKPOINTS",
    "EMPTY_ROOT",
    "ENTRIES",
    "HASH_SIZE",
    "KEYS",
    "LEAVES",
    "LIFECYCLE_TAGS",
    "MAX_WITNESS_REQUEST_BYTES",
    "SIZE_MEDIA_TYPE",
    "SUBJECT_KEY",
    "WITNESS_CONFLICT",
    "AccountingMap",
    "AddCheckpoint",
    "Checkpoint",
    "CheckpointError",
    "CheckpointRefusedError",
    "CompactRange",
    "Cosigner",
    "CosignerState",
    "HttpLogClient",
    "MapKind",
    "MapProof",
    "MapState",
    "MemoryCosignerState",
    "MemoryTree",
    "MemoryWitnessMemory",
    "NodeSource",
    "NoteError",
    "OpenedNote",
    "PersonProof",
    "ProofError",
    "Seen",
    "SignerKey",
    "Terminal",
    "TilePathError",
    "TileRef",
    "TileStore",
    "VerificationError",
    "VerifiedCheckpoint",
    "VerifierKey",
    "VerifyReport",
    "Witness",
    "WitnessMemory",
    "WitnessReply",
    "WitnessRequestError",
    "Witnessed",
    "accounting_among",
    "add_signatures",
    "advance_map",
    "append",
    "canonical",
    "chain",
    "chain_step",
    "consistency_proof",
    "decode_bundle",
    "encode_bundle",
    "encode_index",
    "generate_key",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "inclusion_proofs",
    "integrate",
    "leaf_hash",
    "leaf_index",
    "lock_appends",
    "map_key",
    "map_pending",
    "map_state",
    "mark_map_committed",
    "next_index",
    "open_checkpoint",
    "open_note",
    "open_note_full",
    "parse_note",
    "parse_size_body",
    "parse_tile_path",
    "post_add_checkpoint",
    "prove_keys",
    "prove_person",
    "prove_releases",
    "release_of",
    "root_hash",
    "sign_note",
    "sign_note_with",
    "signature_lines",
    "subject_accounting",
    "subject_entries",
    "tile_covers",
    "tiles_for_size",
    "tree_state",
    "value_hash",
    "verify_consistency",
    "verify_export",
    "verify_inclusion",
    "verify_map_proof",
]
