"""The tamper-evident ledger: an append-only Merkle log of every event (RFC 9162 hashing)."""

from custos.ledger._log import append, leaf_hash

__all__ = ["append", "leaf_hash"]
