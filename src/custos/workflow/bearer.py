"""Bearer secrets: shown once, stored as SHA-256, compared in constant time.

A token is `<kind>_<row id>.<secret>`: the row id finds the record, the secret proves it.
SHA-256 is enough here (unlike for passwords) because the secret has 256 bits of entropy.

Sessions of people, staff and officers are all such tokens: `new_session` mints one with its
row id, and `held` finds the row a token proves, so each kind of session keeps only its own
rules (how long it lives, what ends it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import NamedTuple, Protocol, TypeVar

from sqlalchemy.orm import Session

from custos.domain.errors import AuthenticationError
from custos.workflow._ids import new_id

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


class Minted(NamedTuple):
    #: The new row's id.
    row_id: str
    #: To show once (a cookie, an API answer).
    token: str
    #: To store.
    secret_hash: str


def new_session(kind: str) -> Minted:
    """A fresh session token of `kind` (the row id's prefix: `ses`, `pss`)."""
    row_id = new_id(kind)
    token, secret_hash = mint(row_id)
    return Minted(row_id=row_id, token=token, secret_hash=secret_hash)


class _Secured(Protocol):
    @property
    def secret_hash(self) -> str: ...


_Row = TypeVar("_Row", bound=_Secured)


def held(session: Session, model: type[_Row], token: str) -> _Row | None:
    """The row of `model` that `token` proves, or None (no such row, or the wrong secret).
    A malformed token raises AuthenticationError, as `split` does."""
    row_id, secret = split(token)
    row = session.get(model, row_id)
    return row if row is not None and matches(secret, row.secret_hash) else None
