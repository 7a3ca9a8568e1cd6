"""Identifiers: random, so that knowing one never helps guess another."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """`prefix_` and 20 hex characters (80 random bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"
