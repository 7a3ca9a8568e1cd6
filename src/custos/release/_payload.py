"""Payload serialization and age encryption, streamed: plaintext lives only in memory.

Chunks of minimized rows are serialized (CSV, JSON Lines or Parquet), hashed and handed to
age (`pyrage.encrypt_io`) through a reader, and the ciphertext goes to disk through a hashing
writer. Nothing but ciphertext is ever written to a file. Parquet cannot be appended to a
stream row group by row group with Polars alone, so a Parquet payload is assembled in memory
and then streamed (bounded by the payload's size; a million rows take tens of MiB).

age (https://age-encryption.org/v1) encrypts in 64 KiB chunks, each authenticated, so a
flipped ciphertext byte makes decryption fail rather than yield altered data.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyrage
from pyrage import x25519

from custos.release._errors import ReleaseError, ReleaseVerificationError


class PayloadFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {
            PayloadFormat.CSV: "text/csv",
            PayloadFormat.JSONL: "application/jsonl",
            PayloadFormat.PARQUET: "application/vnd.apache.parquet",
        }[self]


def serialize(frames: Iterable[pl.DataFrame], fmt: PayloadFormat) -> Iterator[bytes]:
    """Yield the payload's bytes chunk by chunk (CSV header once, at the start)."""
    if fmt is PayloadFormat.PARQUET:
        parts = list(frames)
        buf = io.BytesIO()
        if parts:
            pl.concat(parts, how="vertical").write_parquet(buf)
        else:
            pl.DataFrame().write_parquet(buf)
        data = buf.getbuffer()
        for start in range(0, len(data), 1 << 20):
            yield bytes(data[start : start + (1 << 20)])
        return
    first = True
    for frame in frames:
        buf = io.BytesIO()
        if fmt is PayloadFormat.CSV:
            frame.write_csv(buf, include_header=first)
        elif frame.height:
            frame.write_ndjson(buf)
        first = False
        yield buf.getvalue()


class _ChunkReader(io.RawIOBase):
    """A readable stream over byte chunks that hashes what passes through."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buf = memoryview(b"")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        while not self._buf:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return 0
            self.sha256.update(chunk)
            self.size += len(chunk)
            self._buf = memoryview(chunk)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class _HashingWriter(io.RawIOBase):
    """A writable stream that hashes and counts, optionally forwarding to a file."""

    def __init__(self, sink: BinaryIO | None = None) -> None:
        self._sink = sink
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        self.sha256.update(b)
        self.size += len(b)
        if self._sink is not None:
            self._sink.write(b)
        return len(b)


@dataclass(frozen=True, kw_only=True)
class Sealed:
    """Digests of a payload and of its ciphertext."""

    sha256: str
    size: int
    ciphertext_sha256: str
    ciphertext_size: int


def parse_recipients(recipients: Iterable[str]) -> list[x25519.Recipient]:
    parsed = []
    for r in recipients:
        try:
            parsed.append(x25519.Recipient.from_str(r))
        except pyrage.RecipientError:
            raise ReleaseError("a recipient key of the requester is not a valid age key") from None
    if not parsed:
        raise ReleaseError("the requester has no age recipient key; nothing can be released")
    return parsed


def seal(chunks: Iterable[bytes], recipients: Iterable[str], path: Path) -> Sealed:
    """Encrypt the plaintext chunks to `recipients` into `path` (mode 0600), streaming.

    Written to a temporary name and renamed, so `path` only ever holds a whole ciphertext.
    """
    keys = parse_recipients(recipients)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    reader = _ChunkReader(chunks)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            writer = _HashingWriter(f)
            pyrage.encrypt_io(reader, writer, keys)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Sealed(
        sha256=reader.sha256.hexdigest(),
        size=reader.size,
        ciphertext_sha256=writer.sha256.hexdigest(),
        ciphertext_size=writer.size,
    )


def seal_bytes(data: bytes, recipients: Iterable[str], path: Path) -> Sealed:
    return seal([data], recipients, path)


def open_digest(
    ciphertext: BinaryIO, identities: Iterable[x25519.Identity], *, sink: BinaryIO | None = None
) -> tuple[str, int]:
    """Decrypt a stream, returning SHA-256 (hex) and size of the plaintext.

    The plaintext goes only to `sink` if given (e.g. a buffer for a small manifest copy).
    """
    writer = _HashingWriter(sink)
    try:
        pyrage.decrypt_io(ciphertext, writer, list(identities))
    except (pyrage.DecryptError, OSError, ValueError) as exc:
        raise ReleaseVerificationError(
            "the ciphertext does not decrypt with this key (wrong key, or altered)"
        ) from exc
    return writer.sha256.hexdigest(), writer.size
