"""Bearer secrets: shown once, stored as SHA-256, compared in constant time.

A token is `<kind>_<row id>.<secret>`: the row id finds the record, the secret proves it.
SHA-256 is enough here (unlike for passwords) because the secret has 256 bits of entropy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from custos.domain.errors import AuthenticationError

_TOKEN = re.compile(r"^(?P<row>[a-z]{2,5}_[0-9a-f]{20})\.(?P<secret>[A-Za-z0-9_-]{43})$")


def mint(row_id: str) -> tuple[str, str]:
    """Return (token to show once, hash to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{row_id}.{secret}", digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(token: str) -> tuple[str, str]:
    """Return (row id, secret) or raise AuthenticationError for anything malformed."""
    m = _TOKEN.match(token.strip())
    if m is None:
        raise AuthenticationError("the token is malformed")
    return m["row"], m["secret"]


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_hash)
