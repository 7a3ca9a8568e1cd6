"""C2SP tlog-witness: the `add-checkpoint` request, and a witness that answers it.

The log submits each new checkpoint to a witness (c2sp.org/tlog-witness):

    POST <submission prefix>/add-checkpoint

    old <size the witness last cosigned, 0 at first>
    <0 to 63 consistency proof lines, base64>
    <empty line>
    <the checkpoint, a signed note>

and the witness answers with one of the spec's statuses:

| status | when |
|---|---|
| 200 | consistent: the body is the witness's cosignature line(s) (tlog-cosignature) |
| 400 | malformed request, or old size larger than the checkpoint's |
| 403 | no signature by a key the witness trusts for that origin |
| 404 | the origin is not a log the witness follows |
| 409 | old size is not the size last cosigned (body: that size), or same size, other root |
| 422 | the consistency proof does not verify |

`Cosigner` is the witness side: its check of the old size and its update of the state happen
under one lock (`CosignerState.transact`), as the spec requires, and a refused checkpoint that
carried a valid log signature is kept as evidence (`CosignerState.alarm`) — a witness is how a
forked or rewritten log becomes visible.
"""

from __future__ import annotations

import base64
import binascii
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from custos.ledger._checkpoint import Checkpoint
from custos.ledger._errors import CheckpointError, NoteError, ProofError
from custos.ledger._merkle import EMPTY_ROOT, verify_consistency
from custos.ledger._note import open_note_full, parse_note, signature_lines

#: At most this many proof lines (tlog-witness); a proof needs at most 2·log2(2^63) ≈ 63.
MAX_PROOF_LINES = 63
#: The 409 response's media type.
SIZE_MEDIA_TYPE = "text/x.tlog.size"
#: Largest request body a witness reads.
MAX_REQUEST_BYTES = 64 * 1024

OK, BAD_REQUEST, FORBIDDEN, NOT_FOUND, CONFLICT, UNPROCESSABLE = 200, 400, 403, 404, 409, 422


class WitnessRequestError(CheckpointError):
    """A refused `add-checkpoint`: `status` is the HTTP status the spec assigns."""

    kind = "witness-refused"

    def __init__(self, message: str, *, status: int, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        #: For 409: the size of the latest checkpoint the witness cosigned.
        self.size = size


@dataclass(frozen=True, kw_only=True)
class AddCheckpoint:
    """An `add-checkpoint` request body."""

    old_size: int
    proof: list[bytes]
    note: str

    def encode(self) -> bytes:
        lines = [f"old {self.old_size}", *(base64.b64encode(p).decode() for p in self.proof)]
        return ("".join(line + "\n" for line in lines) + "\n" + self.note).encode("utf-8")

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body; raises `WitnessRequestError` (400) when it is malformed."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad("the request is not UTF-8") from None
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise _bad("no empty line before the checkpoint")
        lines = head.split("\n")
        old = lines[0].removeprefix("old ")
        if old == lines[0] or not old.isascii() or not old.isdigit() or old != str(int(old)):
            raise _bad("the first line must be `old <size>`")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise _bad("more than 63 consistency proof lines")
        try:
            proof = [base64.b64decode(line.encode("ascii"), validate=True) for line in lines[1:]]
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise _bad("a consistency proof line is not base64") from None
        return cls(old_size=int(old), proof=proof, note=note)


def _bad(message: str) -> WitnessRequestError:
    return WitnessRequestError(message, status=BAD_REQUEST)


def parse_size_body(body: bytes) -> int:
    """The witness's size from a 409 response body (`<decimal>\\n`)."""
    text = body.decode("ascii", errors="replace").strip()
    if not text.isdigit():
        raise ValueError("a 409 body is a tree size")
    return int(text)


@dataclass(frozen=True, kw_only=True)
class Witnessed:
    """What a witness keeps of one log: the latest checkpoint it cosigned."""

    size: int
    root: bytes
    #: That checkpoint's text (without signatures).
    text: str


class CosignerState(Protocol):
    """A witness's durable record, one per log origin."""

    def transact(self, origin: str, decide: Callable[[Witnessed | None], Witnessed]) -> None:
        """Under a lock: read the origin's record, call `decide`, store what it returns.

        When `decide` raises, nothing is stored and the exception propagates.
        """
        ...

    def alarm(self, *, origin: str, reason: str, previous: str, offered: str) -> None:
        """Keep the evidence of a refused, validly signed checkpoint."""
        ...


class MemoryCosignerState:
    """In-memory `CosignerState`, for tests."""

    def __init__(self) -> None:
        self.logs: dict[str, Witnessed] = {}
        self.alarms: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def transact(self, origin: str, decide: Callable[[Witnessed | None], Witnessed]) -> None:
        with self._lock:
            self.logs[origin] = decide(self.logs.get(origin))

    def alarm(self, *, origin: str, reason: str, previous: str, offered: str) -> None:
        _ = (previous, offered)
        self.alarms.append((origin, reason))


class Cosigner:
    """The witness side of tlog-witness: checks and cosigns checkpoints of the logs it follows.

    `logs` maps each origin to the verifier keys trusted for it; `clock` gives POSIX seconds.
    """

    def __init__(
        self,
        *,
        logs: Mapping[str, list[str]],
        signer_key: str,
        state: CosignerState,
        clock: Callable[[], int],
    ) -> None:
        self.logs = dict(logs)
        self.signer_key = signer_key
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> str:
        """Answer an `add-checkpoint` body: the cosignature line(s), or `WitnessRequestError`."""
        # 1. Parse the request and the checkpoint (400).
        request = AddCheckpoint.parse(body)
        try:
            text, _ = parse_note(request.note)
            checkpoint = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise _bad(f"not a checkpoint: {exc}") from None
        # 2. The origin must be a log this witness follows (404) and have signed it (403).
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise WitnessRequestError("unknown log origin", status=NOT_FOUND)
        try:
            open_note_full(note=request.note, verifier_keys=keys)
        except NoteError:
            raise WitnessRequestError("no valid signature by the log", status=FORBIDDEN) from None
        # 3. The old size may not exceed the checkpoint's (400).
        if request.old_size > checkpoint.size:
            raise _bad("the old size is larger than the checkpoint's")
        # 4. Under the state's lock: compare with the last cosigned checkpoint (409, 422).
        refused: list[tuple[str, str]] = []

        def decide(last: Witnessed | None) -> Witnessed:
            try:
                _check(last, request, checkpoint)
            except WitnessRequestError as exc:
                forked = (
                    exc.status == CONFLICT and last is not None and last.size == request.old_size
                )
                if exc.status == UNPROCESSABLE or forked:
                    refused.append((str(exc), last.text if last else ""))
                raise
            return Witnessed(size=checkpoint.size, root=checkpoint.root, text=text)

        try:
            self.state.transact(checkpoint.origin, decide)
        except WitnessRequestError:
            for reason, previous in refused:
                self.state.alarm(
                    origin=checkpoint.origin, reason=reason, previous=previous, offered=request.note
                )
            raise
        # 5. Cosign (tlog-cosignature, cosignature/v1) and return only the new line(s).
        return signature_lines(text=text, signer_keys=[self.signer_key], timestamp=self.clock())


def _check(last: Witnessed | None, request: AddCheckpoint, checkpoint: Checkpoint) -> None:
    """The spec's checks against the last cosigned checkpoint, in its order."""
    known = 0 if last is None else last.size
    if request.old_size != known:
        raise WitnessRequestError(
            f"the witness last cosigned size {known}", status=CONFLICT, size=known
        )
    root1 = EMPTY_ROOT if last is None else last.root
    if request.old_size == checkpoint.size and last is not None:
        if checkpoint.root != last.root:
            raise WitnessRequestError(
                f"two roots for tree size {known}: the log is forked", status=CONFLICT, size=known
            )
        return
    try:
        verify_consistency(
            size1=request.old_size,
            size2=checkpoint.size,
            proof=request.proof,
            root1=root1,
            root2=checkpoint.root,
        )
    except ProofError as exc:
        raise WitnessRequestError(
            f"size {checkpoint.size} is not consistent with size {known}: {exc}",
            status=UNPROCESSABLE,
        ) from None


@dataclass(frozen=True, kw_only=True)
class WitnessReply:
    """A witness's answer to `add-checkpoint`: HTTP status, media type and body."""

    status: int
    content_type: str
    body: bytes


def post_add_checkpoint(url: str, request: AddCheckpoint, *, timeout: float) -> WitnessReply:
    """POST `request` to `<url>/add-checkpoint` (standard-library HTTP); any status returns.

    Raises `OSError` when the witness cannot be reached.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("a witness URL must be http or https")
    req = urllib.request.Request(  # noqa: S310 - scheme checked above
        url.rstrip("/") + "/add-checkpoint",
        data=request.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310  # nosec B310
            return WitnessReply(
                status=resp.status,
                content_type=resp.headers.get("Content-Type", ""),
                body=resp.read(MAX_REQUEST_BYTES),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return WitnessReply(
                status=exc.code,
                content_type=exc.headers.get("Content-Type", ""),
                body=exc.read(MAX_REQUEST_BYTES),
            )
