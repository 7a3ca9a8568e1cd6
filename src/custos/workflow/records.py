"""Filling the records store: synthetic demo data and file imports.

Each service is one unit of work: the rows and the `records:import:complete` ledger event commit
together, so the log shows every bulk change to the records. The event carries counts and the
file's SHA-256 — never a name, number or any other personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from sqlalchemy import inspect

from custos import records
from custos.domain.errors import ConflictError, InvalidInputError
from custos.domain.events import EventTag
from custos.records import ImportSummary, LoadCounts
from custos.store.tables import Person
from custos.workflow import journal
from custos.workflow.context import Context

#: (phase, rows done since the last call): phases are "generate", "validate", "load".
Progress = Callable[[str, int], None]

_NOT_EMPTY = "the store already holds people; demo data goes into an empty store"


def _require_schema(ctx: Context) -> None:
    if not inspect(ctx.engine).has_table(Person.__tablename__):
        raise ConflictError("the database has no schema yet; run `custos db upgrade` first")


def generate_demo(
    ctx: Context,
    *,
    people: int,
    seed: int,
    actor: str = "system",
    progress: Progress | None = None,
) -> LoadCounts:
    """Generate `people` synthetic people (the fixed demo people included) into an empty store.

    Refuses a store that already holds people: synthetic identifiers are only unique within
    one generation, and mixing demo data into real records must never happen by accident.
    """
    _require_schema(ctx)
    with ctx.reading() as session:
        if not records.store_is_empty(session):
            raise ConflictError(_NOT_EMPTY)
    try:
        generated = records.generate(people, seed)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if progress is not None:
        progress("generate", people)
    with ctx.transaction() as session:
        if not records.store_is_empty(session):
            raise ConflictError(_NOT_EMPTY)
        counts = records.load(
            session,
            generated,
            progress=(lambda n: progress("load", n)) if progress is not None else None,
        )
        data: dict[str, Any] = {"source": "demo", "seed": seed, **counts.as_dict()}
        journal.record(ctx, session, EventTag.RECORDS_IMPORT_COMPLETE, actor, **data)
    return counts


def import_file(
    ctx: Context,
    path: Path,
    *,
    actor: str = "system",
    max_bytes: int = records.DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a CSV or Parquet file in the documented schema: every row or none.

    The file is validated in a read-only session first, so a long check does not hold the
    write lock; then loaded in one transaction with its ledger event. Should another writer add
    a clashing DCN, SSN or case number in between, the store's unique constraints reject the
    load and the whole transaction rolls back.
    """
    _require_schema(ctx)
    with ctx.reading() as session:
        records.validate_file(
            session, path, today=ctx.today(), max_bytes=max_bytes, progress=progress
        )
    try:
        with ctx.transaction() as session:
            summary = records.load_file(
                session, path, today=ctx.today(), max_bytes=max_bytes, progress=progress
            )
            data: dict[str, Any] = {
                "source": "file",
                "format": summary.file_format,
                "sha256": summary.sha256,
                "bytes": summary.size_bytes,
                **summary.counts.as_dict(),
            }
            journal.record(ctx, session, EventTag.RECORDS_IMPORT_COMPLETE, actor, **data)
    except sqlalchemy.exc.IntegrityError:
        raise ConflictError(
            "another change added a clashing DCN, SSN or case number during the import; "
            "nothing was imported — run the import again"
        ) from None
    return summary
