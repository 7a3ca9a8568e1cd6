"""Checkpoints (C2SP tlog-checkpoint): the signed statement of a tree size and its root."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from custos.ledger._errors import CheckpointError
from custos.ledger._merkle import HASH_SIZE


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """A checkpoint's body: origin line, tree size in decimal, base64 root hash.

    Extension lines are allowed by the format; Custos writes none and keeps any it reads.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The note text: each line ending in a newline."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note's text (signatures already removed). Raises `CheckpointError`."""
        if not text.endswith("\n"):
            raise CheckpointError("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:  # noqa: PLR2004 - origin, size, root
            raise CheckpointError("a checkpoint has at least three lines")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise CheckpointError("empty origin line")
        if (
            not size_text.isascii()
            or not size_text.isdigit()
            or (len(size_text) > 1 and size_text[0] == "0")
        ):
            raise CheckpointError("the tree size is not a decimal number")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise CheckpointError("the root hash is not base64") from None
        if len(root) != HASH_SIZE:
            raise CheckpointError("the root hash is not 32 bytes")
        if any(not line for line in extensions):
            raise CheckpointError("empty extension line")
        return cls(origin=origin, size=int(size_text), root=root, extensions=tuple(extensions))
