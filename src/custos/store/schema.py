"""The full schema: importing this module registers every table on one metadata."""

from __future__ import annotations

import contextlib

import custos.store.release_tables  # noqa: F401  (registers the release tables)
from custos.store import report_tables, rights_tables, tables  # noqa: F401  (registers tables)
from custos.store.base import Base

with contextlib.suppress(ImportError):  # the ledger's own tables (being written)
    from custos.store import ledger_tables  # noqa: F401

metadata = Base.metadata
