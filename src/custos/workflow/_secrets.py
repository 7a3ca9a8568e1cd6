"""The old name of `custos.workflow.bearer`, kept until its last importer moves over."""

from __future__ import annotations

from custos.workflow.bearer import digest, matches, mint, split

__all__ = ["digest", "matches", "mint", "split"]
