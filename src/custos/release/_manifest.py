"""Release manifests: what a release is, signed by the agency so the recipient can prove it.

The manifest is a JSON object encoded canonically (RFC 8785), so its bytes — and their
SHA-256 — are reproducible by anyone. It is signed as a C2SP signed note (the format of the
ledger's checkpoints, with the same agency key, `CUSTOS_LEDGER_KEY_PATH`) whose text is:

    custos-release-manifest/v1
    <release id>
    sha256:<hex SHA-256 of the manifest's canonical bytes>

So the signature is detached from the manifest file, and checking it needs only the
agency's published verifier key and any C2SP signed-note implementation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

from custos import ledger
from custos.release._errors import ReleaseVerificationError

MANIFEST_FORMAT = "custos-release-manifest/v1"

#: The use-limitation and no-onward-sharing terms bound into every release (safeguard S6).
USE_LIMITATION = (
    "The recipient may use these records only for the purpose stated in this manifest, under "
    "the legal process it names, and must destroy them by the retention date and attest to "
    "their destruction."
)
NO_ONWARD_SHARING = (
    "The recipient may not disclose these records, or information derived from them, to any "
    "other person or agency, except as the law that compelled the disclosure requires."
)


def canonical(manifest: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON bytes of a manifest."""
    return bytes(rfc8785.dumps(dict(manifest)))


def digest(manifest_bytes: bytes) -> str:
    return hashlib.sha256(manifest_bytes).hexdigest()


def note_text(release_id: str, manifest_bytes: bytes) -> str:
    return f"{MANIFEST_FORMAT}\n{release_id}\nsha256:{digest(manifest_bytes)}\n"


def sign(release_id: str, manifest_bytes: bytes, signer_keys: list[str]) -> str:
    """The signed note over a manifest (every configured agency key signs)."""
    return ledger.sign_note_with(
        text=note_text(release_id, manifest_bytes), signer_keys=signer_keys
    )


def verify(manifest_bytes: bytes, signature: str, verifier_keys: list[str]) -> dict[str, Any]:
    """Check a manifest against its signed note; return the manifest. Raises on any mismatch.

    1. The note verifies with one of the agency's keys (C2SP signed-note).
    2. Its text names this format, the manifest's release id and the SHA-256 of its bytes.
    3. The bytes are the manifest's canonical encoding (so no two encodings verify).
    """
    # 1.
    try:
        text = ledger.open_note(note=signature, verifier_keys=verifier_keys)
    except ledger.NoteError as exc:
        raise ReleaseVerificationError(f"the manifest signature does not verify: {exc}") from None
    try:
        manifest = json.loads(manifest_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReleaseVerificationError("the manifest is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ReleaseVerificationError("the manifest is not a Custos release manifest")
    # 2.
    if text != note_text(str(manifest.get("release")), manifest_bytes):
        raise ReleaseVerificationError("the manifest does not match its signature")
    # 3.
    if canonical(manifest) != manifest_bytes:
        raise ReleaseVerificationError("the manifest is not in canonical form")
    return manifest
