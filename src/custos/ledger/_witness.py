"""An independent witness: fetch a log's checkpoint, check it extends the last one, cosign.

A witness keeps, per log origin, the latest checkpoint it accepted. It cosigns (C2SP
tlog-cosignature, cosignature/v1) only a checkpoint that is signed by the log's key and is
provably consistent with that one (RFC 9162 §2.1.4.2). Anything else — a smaller tree, another
root for the same size, a failed proof — is refused, the evidence kept, and the refusal raised
so the operator hears of it: that is what makes a split view or a rewritten history visible.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from custos.ledger._checkpoint import Checkpoint
from custos.ledger._errors import CheckpointError, NoteError, ProofError
from custos.ledger._merkle import verify_consistency
from custos.ledger._note import add_signatures, open_note_full

#: Largest response a witness reads from a log (checkpoints and proofs are small).
_MAX_RESPONSE = 1 << 20


class CheckpointRefusedError(CheckpointError):
    """The witness refused a checkpoint: the log may be forked or rewritten."""

    kind = "checkpoint-refused"


class LogClient(Protocol):
    """How a witness talks to a log."""

    def latest_checkpoint(self) -> str: ...

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]: ...

    def submit_cosignature(self, note: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Seen:
    size: int
    root: bytes
    note: str


class WitnessMemory(Protocol):
    """Where a witness keeps what it saw (its own storage, never the log's)."""

    def last(self, origin: str) -> Seen | None: ...

    def accept(self, origin: str, seen: Seen) -> None: ...

    def alarm(
        self, *, origin: str, reason: str, previous: str, offered: str, proof: list[bytes]
    ) -> None: ...


class MemoryWitnessMemory:
    """In-memory `WitnessMemory`, for tests."""

    def __init__(self) -> None:
        self.seen: dict[str, Seen] = {}
        self.alarms: list[tuple[str, str]] = []

    def last(self, origin: str) -> Seen | None:
        return self.seen.get(origin)

    def accept(self, origin: str, seen: Seen) -> None:
        self.seen[origin] = seen

    def alarm(
        self, *, origin: str, reason: str, previous: str, offered: str, proof: list[bytes]
    ) -> None:
        _ = (previous, offered, proof)
        self.alarms.append((origin, reason))


@dataclass(frozen=True, kw_only=True)
class WitnessResult:
    checkpoint: Checkpoint
    #: The note with this witness's cosignature added (None when nothing new was seen).
    cosigned: str | None


class Witness:
    """One witness over one log."""

    def __init__(
        self,
        *,
        origin: str,
        log_keys: list[str],
        signer_key: str,
        memory: WitnessMemory,
        client: LogClient,
    ) -> None:
        self.origin = origin
        self.log_keys = log_keys
        self.signer_key = signer_key
        self.memory = memory
        self.client = client

    def _refuse(self, reason: str, previous: Seen, offered: str, proof: list[bytes]) -> None:
        self.memory.alarm(
            origin=self.origin, reason=reason, previous=previous.note, offered=offered, proof=proof
        )
        raise CheckpointRefusedError(f"REFUSED checkpoint of {self.origin}: {reason}")

    def step(self, *, now: int) -> WitnessResult:
        """Fetch, check and cosign the log's latest checkpoint; `now` is POSIX seconds."""
        # 1. Fetch the checkpoint and check the log's signature and the origin.
        note = self.client.latest_checkpoint()
        try:
            opened = open_note_full(note=note, verifier_keys=self.log_keys)
            checkpoint = Checkpoint.parse(opened.text)
        except (NoteError, CheckpointError) as exc:
            raise CheckpointRefusedError(f"REFUSED checkpoint of {self.origin}: {exc}") from None
        if checkpoint.origin != self.origin:
            raise CheckpointRefusedError(
                f"REFUSED checkpoint: origin {checkpoint.origin!r} is not ours"
            )
        # 2. Compare with the last checkpoint accepted.
        last = self.memory.last(self.origin)
        proof: list[bytes] = []
        if last is not None:
            if checkpoint.size < last.size:
                self._refuse(
                    f"tree size went back from {last.size} to {checkpoint.size}", last, note, []
                )
            if checkpoint.size == last.size and checkpoint.root != last.root:
                self._refuse(f"two roots for tree size {last.size}: a fork", last, note, [])
            # 3. Check consistency with the last one (RFC 9162 §2.1.4.2).
            if checkpoint.size > last.size:
                proof = self.client.consistency_proof(last.size, checkpoint.size)
                try:
                    verify_consistency(
                        size1=last.size,
                        size2=checkpoint.size,
                        proof=proof,
                        root1=last.root,
                        root2=checkpoint.root,
                    )
                except ProofError as exc:
                    self._refuse(
                        f"size {checkpoint.size} is not consistent with size {last.size}: {exc}",
                        last,
                        note,
                        proof,
                    )
        # 4. Cosign, hand the cosignature to the log, remember.
        cosigned = add_signatures(note=note, signer_keys=[self.signer_key], timestamp=now)
        self.client.submit_cosignature(cosigned)
        self.memory.accept(
            self.origin, Seen(size=checkpoint.size, root=checkpoint.root, note=opened.text)
        )
        return WitnessResult(checkpoint=checkpoint, cosigned=cosigned)


class HttpLogClient:
    """A `LogClient` over the log's public `/v1/ledger` endpoints (standard library HTTP)."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError("the log URL must be http or https")
        self.base = base_url.rstrip("/") + "/v1/ledger"
        self.timeout = timeout

    def _request(self, path: str, data: bytes | None = None) -> bytes:
        req = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base + path,
            data=data,
            headers={"Content-Type": "text/plain; charset=utf-8"} if data else {},
            method="POST" if data is not None else "GET",
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310  # nosec B310
            body: bytes = resp.read(_MAX_RESPONSE)
            return body

    def latest_checkpoint(self) -> str:
        return self._request("/checkpoint").decode("utf-8")

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        query = urllib.parse.urlencode({"first": size1, "second": size2})
        data = json.loads(self._request(f"/proofs/consistency?{query}"))
        return [base64.b64decode(h) for h in data["proof"]]

    def submit_cosignature(self, note: str) -> None:
        self._request("/cosignatures", note.encode("utf-8"))
