"""The ledger's errors: all are `IntegrityError`s, so the edges map them the same way."""

from __future__ import annotations

from custos.domain.errors import IntegrityError


class ProofError(IntegrityError):
    """An inclusion or consistency proof does not verify (RFC 9162 §2.1.3.2, §2.1.4.2)."""

    kind = "invalid-proof"


class NoteError(IntegrityError):
    """A signed note is malformed, or no trusted key has validly signed it (C2SP signed-note)."""

    kind = "invalid-note"


class CheckpointError(IntegrityError):
    """A checkpoint is malformed, or contradicts an earlier one (C2SP tlog-checkpoint)."""

    kind = "invalid-checkpoint"


class VerificationError(IntegrityError):
    """An exported log failed offline verification.

    `first_bad_entry` names the first entry shown to be wrong, when the evidence allows it
    (an entry whose bytes do not hash to its authenticated leaf hash, a missing or extra entry).
    """

    kind = "log-verification-failed"

    def __init__(self, message: str, *, first_bad_entry: int | None = None) -> None:
        super().__init__(message)
        self.first_bad_entry = first_bad_entry

    def diagnostics(self) -> str:
        if self.first_bad_entry is None:
            return str(self)
        return f"{self} (first bad entry: {self.first_bad_entry})"
