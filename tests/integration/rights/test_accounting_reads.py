"""A person's accounting reads the same few things however long the log grows.

The page a person (or staff for them) opens reads their entries, their map proof and the
inclusion proofs in one session; what it asks the database must depend on the person, not
on the size of the log (issue 18: at 20M entries a read per entry or per tile would be felt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

from sqlalchemy import event

from custos import ledger
from custos.domain.events import Event, EventTag
from custos.domain.pseudonyms import pseudonym
from custos.ledger import _tiles
from custos.rights import Accounting
from custos.store import core
from custos.store.ledger_tables import LedgerCosignature
from custos.workflow import ledger as ledger_service
from custos.workflow import rights
from tests.integration.conftest import World
from tests.integration.rights.conftest import account, lifecycle, person_id


@contextmanager
def _statements(world: World) -> Iterator[list[str]]:
    """Every statement the block runs: through SQLAlchemy, and on the driver's own cursor
    (`Prepared` reads and tile fetches go to `driver_rows`, which SQLAlchemy never sees)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    real = core.driver_rows

    def counted(connection: Any, sql: str, params: Any) -> list[tuple[Any, ...]]:
        seen.append(sql)
        return real(connection, sql, params)

    event.listen(world.ctx.engine, "before_cursor_execute", count)
    try:
        with (
            patch.object(core, "driver_rows", counted),
            patch.object(_tiles, "driver_rows", counted),
        ):
            yield seen
    finally:
        event.remove(world.ctx.engine, "before_cursor_execute", count)


def _read(world: World, key: str) -> tuple[Accounting, int]:
    """The accounting as a server that has shown pages before reads it, and its statements."""
    staff = world.staff["auditor"]
    rights.accounting_for_staff(world.ctx, actor=staff, person_id=person_id(world, key))
    with _statements(world) as seen:
        acc = rights.accounting_for_staff(world.ctx, actor=staff, person_id=person_id(world, key))
    return acc, len(seen)


def _others(world: World, n: int, start: int) -> None:
    """n accounting entries about people with no record here, and n entries about no one."""
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    refs = [pseudonym(world.ctx.settings.pseudonym_key, f"p_other_{start + i}") for i in range(n)]
    about = [
        Event(tag=EventTag.RELEASE_ACCOUNTING_ENTRY, at=at, actor="system", data={"n": i})
        for i in range(n)
    ]
    nobody = [
        Event(tag=EventTag.RECORDS_IMPORT_COMPLETE, at=at, actor="system", data={"n": i})
        for i in range(n)
    ]
    with world.ctx.transaction() as s:
        ledger.append(s, about + nobody, subject_refs=[*refs, *[None] * n])


def test_the_accounting_asks_the_same_whatever_the_size_of_the_log(world: World) -> None:
    account(world, "snap_noncitizen", release_id="rel_1")
    _others(world, 300, 0)
    account(world, "snap_noncitizen", release_id="rel_2")
    ledger_service.publish_checkpoint(world.ctx)
    small, at_small = _read(world, "snap_noncitizen")
    # Ten times the log, entries of the person's spread across it, some not yet integrated.
    for k in range(1, 10):
        _others(world, 300, 300 * k)
        account(world, "snap_noncitizen", release_id=f"rel_{k + 2}")
    ledger_service.publish_checkpoint(world.ctx)
    account(world, "snap_noncitizen", release_id="rel_late")
    large, at_large = _read(world, "snap_noncitizen")
    assert (len(small.disclosures), len(large.disclosures)) == (2, 12)
    assert small.completeness is not None
    assert large.completeness is not None
    assert large.completeness.count == 11  # the late one is after the map's commit
    assert large.completeness.tree_size > 9 * small.completeness.tree_size
    assert sum(d.proof is not None for d in large.disclosures) == 11
    assert at_large == at_small, (at_small, at_large)
    # Issue 18: 22 statements, then 10. Counted with the reads on the driver's cursor and, on
    # SQLite, the BEGIN that SQLAlchemy runs: 8 there, 7 on PostgreSQL.
    assert at_large <= 8, at_large


def test_the_accounting_carries_every_cosignature_of_its_checkpoint(world: World) -> None:
    """The signing checkpoint and its witnesses' lines come in one statement: a checkpoint
    with no cosignature yet, then with two, in the order they arrived."""
    account(world, "snap_noncitizen", release_id="rel_1")
    ledger_service.publish_checkpoint(world.ctx)
    bare, _ = _read(world, "snap_noncitizen")
    assert bare.completeness is not None
    assert bare.checkpoint is not None
    size = bare.completeness.tree_size
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    lines = ["— witness.example/b AAAAB\n", "— witness.example/a AAAAA\n"]
    with world.ctx.transaction() as s:
        for line in lines:
            name = line.split()[1]
            s.add(
                LedgerCosignature(
                    checkpoint_size=size,
                    witness_name=name,
                    key_id=name[-1] * 8,
                    line=line,
                    cosigned_at=at,
                    received_at=at,
                )
            )
    cosigned, _ = _read(world, "snap_noncitizen")
    assert cosigned.checkpoint == bare.checkpoint + "".join(lines)


def _released(world: World, releases: range) -> None:
    """One disclosure to the person from each release, each release acknowledged."""
    for k in releases:
        account(world, "snap_noncitizen", request_id=f"req_{k}", release_id=f"rel_{k}")
        lifecycle(world, EventTag.RELEASE_RECEIPT_ACKNOWLEDGE, f"rel_{k}", f"req_{k}")


def test_the_accounting_asks_the_same_however_many_releases_disclosed(world: World) -> None:
    """Each release's status comes with its release map proof: the maps' buckets those
    proofs need are read together, not one statement a release."""
    _released(world, range(2))
    ledger_service.publish_checkpoint(world.ctx)
    few, at_few = _read(world, "snap_noncitizen")
    _released(world, range(2, 14))
    ledger_service.publish_checkpoint(world.ctx)
    many, at_many = _read(world, "snap_noncitizen")
    assert (len(few.releases), len(many.releases)) == (2, 14)
    assert all(len(lc.events) == 1 and lc.proof.depth > 0 for lc in many.releases)
    assert at_many == at_few, (at_few, at_many)
