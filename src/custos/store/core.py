"""Core statements on a session's own connection: the request path's reads and inserts.

`Session.execute` wraps every statement in the ORM's machinery (an ORM compile state, an
autoflush, entity loading) even when it selects plain columns, and `Session.get` loads a
whole mapped object. Measured on SQLite in one transaction (issue 18): `Session.get` of a
requester took 300 µs, `Session.execute` of a prebuilt column select 160 µs, the same select
on the session's connection 64 µs. A single-person request ran a dozen of them.

`run` executes a Core statement (over tables or columns, never mapped entities) on the
connection the session's transaction holds, so it reads and writes in that transaction. It
flushes first when the session has pending changes, as `Session.execute` would: a read never
misses what the same unit of work added through the ORM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVarTuple, overload

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TypedReturnsRows

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
_Ts = TypeVarTuple("_Ts")


@overload
def run(
    session: Session, statement: TypedReturnsRows[*_Ts], params: Params = None
) -> CursorResult[*_Ts]: ...


@overload
def run(
    session: Session, statement: Executable, params: Params = None
) -> CursorResult[*tuple[Any, ...]]: ...


def run(
    session: Session, statement: Executable, params: Params = None
) -> CursorResult[*tuple[Any, ...]]:
    """Execute a Core `statement` in the session's transaction (see the module docstring)."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection().execute(statement, params)
