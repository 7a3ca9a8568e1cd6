"""The log's signer keys: a file of signed-note signer keys, readable by the owner only.

The file named by `CUSTOS_LEDGER_KEY_PATH` holds one signer key (`PRIVATE+KEY+…`) a line,
mode 0600 (anything looser is refused). Every checkpoint is signed by every key in the file.
To rotate: (1) `custos ledger keygen --append` a new key; checkpoints now carry both
signatures; (2) publish the new verifier key and give verifiers and witnesses time to trust
it; (3) remove the old line. A verifier that trusts either key accepts every checkpoint
throughout. In demo mode a key is created under the data directory when none is configured.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from custos.config import Settings
from custos.domain.errors import IntegrityError
from custos.ledger import NoteError, SignerKey, generate_key


class LedgerKeyError(IntegrityError):
    """The log's signer key is missing, unreadable or too widely readable."""

    kind = "ledger-key"
    status = 500
    exit_code = 78


def write_key_file(path: Path, lines: list[str]) -> None:
    """Write signer keys to `path`, created with mode 0600 (never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(line.strip() + "\n" for line in lines))
    path.chmod(0o600)


def _key_path(settings: Settings) -> Path:
    if settings.ledger_key_path is not None:
        return settings.ledger_key_path
    if settings.demo:
        path = settings.data_dir / "ledger.key"
        if not path.exists():
            signer, _ = generate_key(settings.ledger_origin)
            write_key_file(path, [signer])
        return path
    raise LedgerKeyError("CUSTOS_LEDGER_KEY_PATH is required outside demo mode")


def read_key_file(path: Path) -> list[str]:
    """Signer keys from a file of mode 0600, one a line. Fails closed."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LedgerKeyError(f"the key file {path.name} must have mode 0600")
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        raise LedgerKeyError("the key file cannot be read") from None
    if not lines:
        raise LedgerKeyError("the key file holds no key")
    try:
        for line in lines:
            SignerKey.parse(line)
    except NoteError:
        raise LedgerKeyError("the key file holds a malformed key") from None
    return lines


def signer_keys(settings: Settings) -> list[str]:
    """The log's signer keys, from a file of mode 0600. Fails closed."""
    return read_key_file(_key_path(settings))


def verifier_keys(settings: Settings) -> list[str]:
    """The public verifier keys matching `signer_keys`."""
    return [SignerKey.parse(k).verifier().encode() for k in signer_keys(settings)]
