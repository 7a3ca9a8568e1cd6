"""Errors of the release capability, on the project's one hierarchy."""

from __future__ import annotations

from custos.domain.errors import ConflictError, IntegrityError


class ReleaseError(ConflictError):
    """A release cannot be built as asked (a field without a record source, an unknown
    generalization, no recipient key). Nothing was written."""

    kind = "release-error"


class ReleaseVerificationError(IntegrityError):
    """A release package does not verify: a signature, a hash or the ciphertext is wrong.

    Verification raises instead of returning a flag, so a failed check cannot be ignored by
    accident (the habit sigstore-python keeps).
    """

    kind = "release-verification"
