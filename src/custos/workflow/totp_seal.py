"""TOTP secrets sealed at rest: staff's and officers' shared secrets, encrypted with a key the
installation holds outside the database.

A TOTP secret must be readable to check a code, so it cannot be hashed like a password. A copy
of the database alone (a backup, a replica, a dump) must still not let anyone mint codes, so
each secret is encrypted with AES-256-GCM under a key kept in a file of mode 0600
(`CUSTOS_TOTP_KEY_PATH`; in demo mode `totp.key` under the data directory, created when
missing). The account that owns the secret (`staff:ID` or `officer:ID`) is the associated
data: a sealed secret copied into another account's row, or another table, does not open.

A stored value reads `v1:KEYID:BASE64URL(nonce || ciphertext)`. KEYID names the key (an HMAC
of a fixed label under it), so a wrong key is told apart from an altered row: the first is a
configuration error of the installation, the second an integrity failure of one account, which
an administrator repairs by resetting that account's second factor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custos.config import ConfigurationError, Settings
from custos.domain.errors import IntegrityError

#: AES-256: the key file holds 32 random bytes, base64-encoded on one line.
KEY_BYTES = 32
_NONCE_BYTES = 12
_VERSION = "v1"
_AAD_LABEL = b"custos-totp-secret-v1\x00"
_KEY_ID_LABEL = b"custos-totp-key-id-v1"
#: The demo's key file, under the data directory.
DEMO_KEY_FILE = "totp.key"


class TotpKeyError(ConfigurationError):
    """The key that seals TOTP secrets is missing, unreadable, or not the one they were
    sealed with."""

    kind = "totp-key"


class SealedSecretError(IntegrityError):
    """One account's sealed TOTP secret does not open: altered, or moved from another row."""

    kind = "totp-secret-integrity"
    status = 500


def staff_owner(staff_id: str) -> str:
    """The associated data of a staff member's secret."""
    return f"staff:{staff_id}"


def officer_owner(officer_id: str) -> str:
    """The associated data of a requesting officer's secret."""
    return f"officer:{officer_id}"


def write_key_file(path: Path) -> None:
    """Create a fresh key in `path`, mode 0600 (never readable by others); refuses to
    overwrite one, since every sealed secret would then be lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")


def read_key_file(path: Path) -> bytes:
    """The key from a file of mode 0600. Fails closed, naming what is wrong."""
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TotpKeyError(f"the TOTP key file {path.name} must have mode 0600")
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise TotpKeyError(f"the TOTP key file {path.name} cannot be read") from None
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != KEY_BYTES:
        raise TotpKeyError(
            f"the TOTP key file {path.name} must hold {KEY_BYTES} random bytes in base64 "
            "(create one with `custos staff totp-keygen PATH`)"
        )
    return key


def _key(settings: Settings) -> bytes:
    if settings.totp_key_path is not None:
        return read_key_file(settings.totp_key_path)
    if settings.demo:
        path = settings.data_dir / DEMO_KEY_FILE
        if not path.exists():
            write_key_file(path)
        return read_key_file(path)
    raise TotpKeyError("CUSTOS_TOTP_KEY_PATH is required outside demo mode")


def _key_id(key: bytes) -> str:
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def seal(settings: Settings, *, owner: str, secret: str) -> str:
    """`secret` encrypted for storage in `owner`'s row."""
    key = _key(settings)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode("ascii"), _AAD_LABEL + owner.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{_VERSION}:{_key_id(key)}:{body}"


def unseal(settings: Settings, *, owner: str, stored: str) -> str:
    """The secret stored in `owner`'s row.

    Raises TotpKeyError when the installation's key is not the one it was sealed with, and
    SealedSecretError when the value was altered, is not sealed at all, or belongs to
    another account.
    """
    key = _key(settings)
    version, _, rest = stored.partition(":")
    key_id, _, body = rest.partition(":")
    if version != _VERSION or not body:
        raise SealedSecretError(
            "the second factor stored for this account is not sealed (stored by an older "
            "version, or altered): an administrator must reset it"
        )
    if not hmac.compare_digest(key_id, _key_id(key)):
        raise TotpKeyError(
            "the TOTP key (CUSTOS_TOTP_KEY_PATH) is not the key these second factors were "
            "sealed with: restore the installation's key file"
        )
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        opened = AESGCM(key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD_LABEL + owner.encode()
        )
    except (binascii.Error, ValueError, InvalidTag):
        raise SealedSecretError(_ALTERED) from None
    return opened.decode("ascii")


_ALTERED = (
    "the second factor stored for this account does not verify (altered, or copied from "
    "another account): an administrator must reset it"
)
