"""The release package a recipient downloads, and its offline verification.

A package is an uncompressed POSIX tar (streamed, never assembled on disk) holding:

- `manifest.json` — the manifest, canonical JSON (no personal data);
- `manifest.sig` — the agency's signed note over it (see `custos.release._manifest`);
- `manifest.json.age` — a copy of the manifest encrypted to the recipient;
- `payload.<csv|jsonl|parquet>.age` — the records, encrypted to the recipient (age v1).

`verify_package` checks all of it: signature, manifest hash, ciphertext hash, and — with the
recipient's identity — the plaintext's SHA-256 and size and the encrypted manifest copy.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pyrage import x25519

from custos.release import _manifest
from custos.release._errors import ReleaseVerificationError
from custos.release._payload import open_digest

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MANIFEST_COPY = "manifest.json.age"
_BLOCK = 512
_CHUNK = 1 << 20


def payload_name(fmt: str) -> str:
    return f"payload.{fmt}.age"


@dataclass(frozen=True, kw_only=True)
class Member:
    """One file of a package: in memory or read from disk when streamed."""

    name: str
    size: int
    data: bytes | None = None
    path: Path | None = None


def _header(name: str, size: int, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def stream_package(members: Iterable[Member], *, mtime: int = 0) -> Iterator[bytes]:
    """Yield a tar archive of `members`, reading files in 1 MiB chunks (POSIX ustar)."""
    for m in members:
        yield _header(m.name, m.size, mtime)
        if m.data is not None:
            yield m.data
        elif m.path is not None:
            with m.path.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    yield chunk
        pad = -m.size % _BLOCK
        if pad:
            yield b"\0" * pad
    yield b"\0" * (2 * _BLOCK)


class _Package:
    """A package on disk: a tar file or a directory holding the same names."""

    def __init__(self, path: Path) -> None:
        self._dir = path if path.is_dir() else None
        self._tar: tarfile.TarFile | None = None
        if self._dir is None:
            try:
                self._tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed in close()
            except (OSError, tarfile.TarError):
                raise ReleaseVerificationError("the package is not a readable tar file") from None

    def names(self) -> list[str]:
        if self._dir is not None:
            return sorted(p.name for p in self._dir.iterdir() if p.is_file())
        assert self._tar is not None
        return [m.name for m in self._tar.getmembers() if m.isfile()]

    def open(self, name: str) -> BinaryIO:
        if self._dir is not None:
            path = self._dir / name
            if not path.is_file():
                raise ReleaseVerificationError(f"the package has no {name}")
            return path.open("rb")
        assert self._tar is not None
        try:
            f = self._tar.extractfile(name)
        except KeyError:
            f = None
        if f is None:
            raise ReleaseVerificationError(f"the package has no {name}")
        return f  # type: ignore[return-value]  # tarfile's ExFileObject is a binary reader

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()


@dataclass(frozen=True, kw_only=True)
class VerifiedPackage:
    manifest: dict[str, Any]
    #: The payload was decrypted and its hash checked (an identity was given).
    decrypted: bool


def verify_package(
    path: Path,
    *,
    verifier_keys: list[str],
    identities: list[x25519.Identity] | None = None,
) -> VerifiedPackage:
    """Verify a release package offline; returns the manifest or raises.

    1. The manifest's signed note verifies with the agency's key and matches the manifest.
    2. The payload ciphertext's SHA-256 and size are the manifest's.
    3. With an identity: the payload decrypts, and its plaintext SHA-256 and size are the
       manifest's; the encrypted manifest copy decrypts to the same manifest bytes.
    """
    pkg = _Package(path)
    try:
        # 1.
        manifest_bytes = pkg.read(MANIFEST)
        signature = pkg.read(SIGNATURE).decode("utf-8", errors="replace")
        manifest = _manifest.verify(manifest_bytes, signature, verifier_keys)
        payload = manifest.get("payload")
        if not isinstance(payload, dict):
            raise ReleaseVerificationError("the manifest describes no payload")
        name = payload_name(str(payload.get("format")))
        # 2.
        digest = hashlib.sha256()
        size = 0
        with pkg.open(name) as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != payload.get("ciphertext_sha256") or size != payload.get(
            "ciphertext_size"
        ):
            raise ReleaseVerificationError("the payload ciphertext does not match the manifest")
        if not identities:
            return VerifiedPackage(manifest=manifest, decrypted=False)
        # 3.
        with pkg.open(name) as f:
            sha, plain_size = open_digest(f, identities)
        if sha != payload.get("sha256") or plain_size != payload.get("size"):
            raise ReleaseVerificationError("the decrypted payload does not match the manifest")
        copy = io.BytesIO()
        with pkg.open(MANIFEST_COPY) as f:
            open_digest(f, identities, sink=copy)
        if copy.getvalue() != manifest_bytes:
            raise ReleaseVerificationError("the encrypted manifest copy differs from the manifest")
        return VerifiedPackage(manifest=manifest, decrypted=True)
    finally:
        pkg.close()
