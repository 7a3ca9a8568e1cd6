"""Keyed pseudonyms for people, so the ledger can name a person without holding their data.

HMAC-SHA-256 with an agency secret over a stable record key: the same person always gets the
same pseudonym (so a person's accounting can find their entries), and without the secret nobody
can test a guess such as an SSN against the public log.
"""

from __future__ import annotations

import hmac

#: HMAC keys shorter than this are refused.
MIN_SECRET_BYTES = 16


def pseudonym(secret: bytes, person_key: str) -> str:
    """`p_` followed by 32 hex characters (128 bits) of HMAC-SHA-256."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError("the pseudonym secret must be at least 16 bytes")
    return "p_" + hmac.digest(secret, person_key.encode("utf-8"), "sha256").hex()[:32]


#: The pseudonym of "nobody matched": the same for every unmatched identifier of a request,
#: so stored decisions for a no-match look like any other withheld subject.
NO_MATCH = "p_" + "0" * 32
