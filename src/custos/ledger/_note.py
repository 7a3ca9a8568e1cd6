"""Signed notes (C2SP signed-note), Ed25519 keys, and witness cosignatures (C2SP tlog-cosignature).

A note is a UTF-8 text ending in a newline, a blank line, then signature lines
`— <key name> base64(key id (4 bytes) ‖ signature)`. Keys are written as the Go reference
(`golang.org/x/mod/sumdb/note`) writes them:

- verifier key: `<name>+<key id, 8 hex digits>+base64(alg ‖ public key)`
- signer key:   `PRIVATE+KEY+<name>+<key id>+base64(alg ‖ Ed25519 seed)`

with key id = SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4]. Two algorithms are supported:
0x01, plain Ed25519 over the note text (the log's own signature); and 0x04, the Ed25519
cosignature/v1 of a witness, which signs `cosignature/v1\\ntime <t>\\n` followed by the note
text and puts the 8-byte big-endian time before the signature.

Ed25519 is deterministic, so a note signed here is byte for byte what any conforming
implementation signs with the same key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from custos.ledger._errors import NoteError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
_ALGS = (ALG_ED25519, ALG_COSIGNATURE_V1)
_SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
#: Parsing stops here, as in the Go reference: a note with more lines is malformed.
MAX_SIGNATURES = 100


def _is_valid_name(name: str) -> bool:
    """Non-empty, no Unicode white space, no '+' (signed-note "key name")."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4], the signed-note key id."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError("malformed base64") from None


@dataclass(frozen=True, kw_only=True)
class VerifierKey:
    """A public key a note can be checked against."""

    name: str
    alg: int
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        parts = vkey.split("+", 2)  # base64 may itself hold '+'
        if len(parts) != 3:  # noqa: PLR2004 - name, key id, key
            raise NoteError("malformed verifier key")
        name, hash16, key64 = parts
        raw = _b64decode(key64)
        if (
            not _is_valid_name(name)
            or len(hash16) != 8  # noqa: PLR2004 - 4 bytes as hex
            or not all(c in "0123456789abcdefABCDEF" for c in hash16)
            or len(raw) != 33  # noqa: PLR2004 - alg byte + Ed25519 public key
        ):
            raise NoteError("malformed verifier key")
        alg, public = raw[0], raw[1:]
        if alg not in _ALGS:
            raise NoteError("unknown verifier key algorithm")
        kid = bytes.fromhex(hash16)
        if kid != key_id(name, alg, public):
            raise NoteError("verifier key id does not match its key")
        return cls(name=name, alg=alg, key_id=kid, public_key=public)

    def encode(self) -> str:
        blob = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"


@dataclass(frozen=True, kw_only=True)
class SignerKey:
    """A private key that signs notes. Never logged, never shown in its `repr`."""

    name: str
    alg: int
    key_id: bytes
    seed: bytes

    def __repr__(self) -> str:
        return f"SignerKey(name={self.name!r}, key_id={self.key_id.hex()})"

    @classmethod
    def parse(cls, skey: str) -> SignerKey:
        parts = skey.strip().split("+", 4)  # base64 may itself hold '+'
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":  # noqa: PLR2004
            raise NoteError("malformed signer key")
        name, hash16, key64 = parts[2:]
        raw = _b64decode(key64)
        if (
            not _is_valid_name(name)
            or len(hash16) != 8  # noqa: PLR2004
            or not all(c in "0123456789abcdefABCDEF" for c in hash16)
            or len(raw) != 33  # noqa: PLR2004 - alg byte + Ed25519 seed
        ):
            raise NoteError("malformed signer key")
        alg, seed = raw[0], raw[1:]
        if alg not in _ALGS:
            raise NoteError("unknown signer key algorithm")
        # The key id is over the public key: derive it from the seed, then compare.
        kid = bytes.fromhex(hash16)
        key = cls(name=name, alg=alg, key_id=kid, seed=seed)
        if kid != key_id(name, alg, key.public_key()):
            raise NoteError("signer key id does not match its key")
        return key

    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def public_key(self) -> bytes:
        return self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def verifier(self) -> VerifierKey:
        return VerifierKey(
            name=self.name, alg=self.alg, key_id=self.key_id, public_key=self.public_key()
        )

    def encode(self) -> str:
        blob = base64.b64encode(bytes([self.alg]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{blob}"

    def sign(self, message: bytes) -> bytes:
        return self._private().sign(message)


def generate_key(name: str, *, cosigner: bool = False) -> tuple[str, str]:
    """A new (signer key, verifier key) pair in signed-note encoding.

    `cosigner=True` makes a witness key (algorithm 0x04, cosignature/v1).
    """
    if not _is_valid_name(name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")
    alg = ALG_COSIGNATURE_V1 if cosigner else ALG_ED25519
    seed = secrets.token_bytes(32)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw_public = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    signer = SignerKey(name=name, alg=alg, key_id=key_id(name, alg, raw_public), seed=seed)
    return signer.encode(), signer.verifier().encode()


@dataclass(frozen=True, kw_only=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    #: The base64 text after the name, exactly as it appeared.
    b64: str

    def line(self) -> str:
        return f"{_SIG_PREFIX}{self.name} {self.b64}\n"


@dataclass(frozen=True, kw_only=True)
class OpenedNote:
    """A note whose signatures were checked: `verified` by a given key, the rest unchecked."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]
    #: Time of each verified cosignature (key name and id → POSIX seconds).
    cosigned_at: tuple[tuple[str, bytes, int], ...] = ()


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("malformed note: the text must end with a newline")
    for ch in text:
        if ch < " " and ch != "\n":
            raise NoteError("malformed note: control character in the text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError("malformed note: not valid UTF-8") from None


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and its signature lines, checking only the syntax."""
    # 1. Valid UTF-8, no ASCII control characters other than newline.
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError("malformed note: not valid UTF-8") from None
    if any(ch < " " and ch != "\n" for ch in note):
        raise NoteError("malformed note: control character")
    # 2. The text ends at the last blank line; the signature block must end with a newline.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no signature block")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("malformed note: signature block must end with a newline")
    # 3. Each line: EM DASH, space, key name, space, base64(key id ‖ signature).
    sigs: list[NoteSignature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(_SIG_PREFIX):
            raise NoteError("malformed note: a signature line must start with an em dash")
        name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        raw = _b64decode(b64) if b64 else b""
        if not _is_valid_name(name) or len(raw) < 5:  # noqa: PLR2004 - key id + ≥1 byte
            raise NoteError("malformed note: bad signature line")
        sigs.append(NoteSignature(name=name, key_id=raw[:4], b64=b64))
        if len(sigs) > MAX_SIGNATURES:
            raise NoteError("malformed note: too many signatures")
    return text, sigs


def _verify_one(key: VerifierKey, text: str, sig: NoteSignature) -> int | None:
    """Verify one signature with its key; returns the cosignature time, if any."""
    raw = base64.b64decode(sig.b64)[4:]
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    timestamp: int | None = None
    message = text.encode()
    if key.alg == ALG_COSIGNATURE_V1:
        # u64 big-endian time, then the 64-byte signature over the cosigned message.
        stamp = int(struct.unpack(">Q", raw[:8])[0]) if len(raw) == 72 else 1 << 63  # noqa: PLR2004
        if stamp >= 1 << 63:
            raise NoteError(f"invalid signature for key {key.name}+{key.key_id.hex()}")
        timestamp = stamp
        message, raw = _cosigned_message(text, stamp), raw[8:]
    try:
        public.verify(raw, message)
    except InvalidSignature:
        raise NoteError(f"invalid signature for key {key.name}+{key.key_id.hex()}") from None
    return timestamp


def open_note_full(*, note: str, verifier_keys: list[str]) -> OpenedNote:
    """Open a note, keeping the signature details (see `open_note`)."""
    keys: dict[tuple[str, bytes], VerifierKey] = {}
    for vkey in verifier_keys:
        key = VerifierKey.parse(vkey)
        ident = (key.name, key.key_id)
        if ident in keys and keys[ident] != key:
            raise NoteError(f"ambiguous key {key.name}+{key.key_id.hex()}")
        keys[ident] = key
    text, sigs = parse_note(note)
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    cosigned: list[tuple[str, bytes, int]] = []
    seen: set[tuple[str, bytes]] = set()
    seen_unverified: set[str] = set()
    for sig in sigs:
        ident = (sig.name, sig.key_id)
        known = keys.get(ident)
        if known is None:
            # Unknown keys are ignored, as the format requires; repeated lines are dropped.
            if sig.line() not in seen_unverified:
                seen_unverified.add(sig.line())
                unverified.append(sig)
            continue
        if ident in seen:
            continue
        seen.add(ident)
        timestamp = _verify_one(known, text, sig)
        if timestamp is not None:
            cosigned.append((sig.name, sig.key_id, timestamp))
        verified.append(sig)
    if not verified:
        raise NoteError("note has no verifiable signatures")
    return OpenedNote(
        text=text,
        verified=tuple(verified),
        unverified=tuple(unverified),
        cosigned_at=tuple(cosigned),
    )


def open_note(*, note: str, verifier_keys: list[str]) -> str:
    """Check a signed note and return its text.

    Follows C2SP signed-note and the Go reference's `Open`: signatures by unknown keys are
    ignored, a signature by a known key that does not verify is an error, and at least one
    known key must have signed. Raises `NoteError`.
    """
    return open_note_full(note=note, verifier_keys=verifier_keys).text


def add_signatures(*, note: str, signer_keys: list[str], timestamp: int | None = None) -> str:
    """Sign an already signed note with more keys; a signature by the same key is replaced.

    Existing signatures are kept first, new ones appended, as the Go reference's `Sign` does.
    Cosigner keys (0x04) sign with `timestamp` (POSIX seconds, required for them).
    """
    text, sigs = parse_note(note)
    return _sign(text, sigs, signer_keys, timestamp)


def _sign(
    text: str, existing: list[NoteSignature], signer_keys: list[str], timestamp: int | None
) -> str:
    _check_text(text)
    signers = [SignerKey.parse(k) for k in signer_keys]
    if not signers:
        raise NoteError("no signer key given")
    mine = {(s.name, s.key_id) for s in signers}
    out = [text, "\n"]
    out += [sig.line() for sig in existing if (sig.name, sig.key_id) not in mine]
    for signer in signers:
        if signer.alg == ALG_COSIGNATURE_V1:
            if timestamp is None or not 0 <= timestamp < 1 << 63:
                raise NoteError("a cosignature needs a time")
            raw = struct.pack(">Q", timestamp) + signer.sign(_cosigned_message(text, timestamp))
        else:
            raw = signer.sign(text.encode())
        b64 = base64.b64encode(signer.key_id + raw).decode()
        out.append(NoteSignature(name=signer.name, key_id=signer.key_id, b64=b64).line())
    return "".join(out)


def sign_note(*, text: str, signer_key: str) -> str:
    """Sign `text` with one Ed25519 signer key; returns the note (C2SP signed-note).

    Byte for byte what the Go reference `note.Sign` produces with the same key.
    """
    return _sign(text, [], [signer_key], None)


def sign_note_with(*, text: str, signer_keys: list[str]) -> str:
    """Sign `text` with several keys in order: used while a log's key is being rotated."""
    return _sign(text, [], signer_keys, None)


def signature_lines(*, text: str, signer_keys: list[str], timestamp: int | None = None) -> str:
    """Only the signature lines `signer_keys` add to `text` (a witness's `add-checkpoint` answer).

    Cosigner keys (0x04) sign with `timestamp`, as in `add_signatures`.
    """
    return _sign(text, [], signer_keys, timestamp)[len(text) + 1 :]
