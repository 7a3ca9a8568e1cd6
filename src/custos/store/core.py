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

import functools
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVarTuple, cast, overload

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Dialect,
    Executable,
    Table,
    bindparam,
    insert,
    literal,
    or_,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault
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
    _flush_pending(session)
    return session.connection().execute(statement, params)


def _flush_pending(session: Session) -> None:
    """Flush what the unit of work added, as `Session.execute` would before a statement."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()


class Prepared(Generic[*_Ts]):
    """A SELECT compiled once per dialect and run on the driver's own cursor, in the session's
    transaction: for the few reads every API request makes.

    `run` still pays SQLAlchemy's execution of a compiled statement (64 µs on SQLite, issue
    18) where the driver itself takes 6 µs. Values pass through the column types' own bind
    and result processors, so a read gives what `run` gives; it flushes first, as `run` does.
    Rows come back as plain tuples, in the statement's column order.

    A statement whose SQL depends on each call's values (an expanding `IN`, a literal
    rendered at execution) is refused when it is first run: `run` is the place for it.
    """

    def __init__(self, statement: TypedReturnsRows[*_Ts]) -> None:
        self._statement = statement
        self._plans: weakref.WeakKeyDictionary[Dialect, _Plan] = weakref.WeakKeyDictionary()

    def all(self, session: Session, params: Mapping[str, Any] | None = None) -> list[tuple[*_Ts]]:
        """Every row."""
        connection, plan = _planned(session, self._plans, self._statement)
        return cast("list[tuple[*_Ts]]", plan.execute(connection, params or {}))

    def first(
        self, session: Session, params: Mapping[str, Any] | None = None
    ) -> tuple[*_Ts] | None:
        """The first row, or None."""
        rows = self.all(session, params)
        return rows[0] if rows else None


class PreparedInsert:
    """An INSERT of fixed columns, compiled once per dialect and run on the driver's cursor
    in the session's transaction: for the rows every request writes.

    `run` of a Core insert paid SQLAlchemy's execution (building and processing its parameters,
    a result object) on every call; on the request path that cost more than the insert itself
    (issue 18). Values pass through the column types' own bind processors (JSON, dates), as
    SQLAlchemy would; a value left out or None takes the column's scalar default where it has
    one, as a Core insert gives it, else NULL. Flushes first, as `run` does.
    """

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        # `inline`: no RETURNING of the key (PostgreSQL's compiler adds one to a one-row
        # insert; nothing here reads it back).
        self._statement = (
            insert(table)
            .values({key: bindparam(key, type_=table.c[key].type) for key in columns})
            .inline()
        )
        self._defaults: dict[str, Any] = {}
        for key in columns:
            default = table.c[key].default
            if isinstance(default, ScalarElementColumnDefault):
                self._defaults[key] = default.arg
        self._plans: weakref.WeakKeyDictionary[Dialect, _Plan] = weakref.WeakKeyDictionary()

    def run(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows`, in as few statements as the driver allows (`driver_execute`)."""
        if not rows:
            return
        connection, plan = _planned(session, self._plans, self._statement)
        defaults = self._defaults
        params = [
            plan.parameters(
                {**row, **{k: v for k, v in defaults.items() if row.get(k) is None}}
                if defaults
                else row
            )
            for row in rows
        ]
        driver_execute(connection, plan.sql, params)


def _planned(
    session: Session, plans: weakref.WeakKeyDictionary[Dialect, _Plan], statement: Any
) -> tuple[Connection, _Plan]:
    """The session's connection (after a flush) and the statement's plan for its dialect."""
    _flush_pending(session)
    connection = session.connection()
    dialect = connection.dialect
    plan = plans.get(dialect)
    if plan is None:
        plan = plans[dialect] = _Plan.compile(statement, dialect)
    return connection, plan


def one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column` equal to one of `values`, as OR'ed equalities with their values bound.

    `column.in_(values)` is an expanding parameter: its SQL changes with the values, so it
    cannot be `Prepared` and PostgreSQL plans it anew. For a fixed, short list (a map's tags,
    the unreleased statuses) this spelling keeps one statement text."""
    return or_(*(column == literal(value) for value in values))


_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """One statement as one dialect runs it: its SQL and how values go in and come out."""

    sql: str
    #: (name, value when the caller gives none, bind processor), in the SQL's order.
    binds: tuple[tuple[str, Any, _Processor], ...]
    positional: bool
    results: tuple[_Processor, ...]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect) -> _Plan:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a prepared statement takes no expanding or literal parameters")
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        positional = compiled.positiontup is not None
        order = list(compiled.positiontup) if positional else list(by_name)
        binds = tuple(
            (
                name,
                by_name[name].effective_value,
                by_name[name].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in order
        )
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(statement, "selected_columns", ())
        )
        return cls(sql=compiled.string, binds=binds, positional=positional, results=results)

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The caller's values as the driver takes them (processed as SQLAlchemy would, None
        included: a type decorator may store something for it)."""
        values = []
        for name, default, process in self.binds:
            value = given.get(name, default)
            values.append((name, value if process is None else process(value)))
        if self.positional:
            return [value for _, value in values]
        return dict(values)

    def execute(self, connection: Connection, given: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        rows = driver_rows(connection, self.sql, self.parameters(given))
        results = self.results
        if not any(results):
            return rows  # already tuples (`driver_rows`)
        return [
            tuple(v if p is None else p(v) for v, p in zip(row, results, strict=True))
            for row in rows
        ]


def driver_rows(
    connection: Connection, sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Every row of one statement run on the driver's cursor, in the connection's transaction.

    On PostgreSQL the rows come back in the binary format: a `bytea` value in the text format
    is hex, twice its size on the wire and decoded again by the driver, and the reads that go
    this way (every `Prepared` read, and the tiles) carry map buckets (17 KB at a million
    people) and tiles (16 KB each; fetching a person's ten cold tiles took 1.3–1.5 ms as text,
    0.6–0.8 ms binary, issue 18). Driver errors are raised as SQLAlchemy's, as they would be
    through it.
    """
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(sql, params, binary=True)  # type: ignore[call-arg]  # psycopg's keyword
        else:
            cursor.execute(sql, params)
        rows = [tuple(row) for row in cursor.fetchall()]
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=connection.dialect) from exc
    finally:
        cursor.close()
    return rows


#: At most this many rows go into one multi-row INSERT on PostgreSQL (see `driver_execute`).
MANY_VALUES_ROWS = 64


def driver_execute(
    connection: Connection, sql: str, params: Sequence[Sequence[Any] | Mapping[str, Any]]
) -> None:
    """One statement that returns no rows, run on the driver's cursor for each of `params`,
    in the connection's transaction. Driver errors are raised as SQLAlchemy's.

    On PostgreSQL a few rows of an `INSERT ... VALUES (...)` go as one statement with a row of
    values each: psycopg's executemany runs a pipeline, and for the four to ten rows a request
    writes that cost 157 µs of the client's CPU against 60 µs for the one statement (four
    rows, 3,000 times; issue 18). SQLite's own executemany is cheap and is used as it is.
    """
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        if len(params) == 1:
            cursor.execute(sql, params[0])
        elif connection.dialect.name == "postgresql" and len(params) <= MANY_VALUES_ROWS:
            cursor.execute(_many_values(sql, len(params)), _flattened(params))
        else:
            cursor.executemany(sql, cast("Sequence[Sequence[Any]]", params))
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=connection.dialect) from exc
    finally:
        cursor.close()


@functools.lru_cache(maxsize=256)
def _many_values(sql: str, rows: int) -> str:
    """`INSERT ... VALUES (...)` for one row made into one for `rows` rows. Named
    placeholders `%(name)s` of row i become `%(r{i}_name)s` (see `_flattened`)."""
    head, sep, values = sql.partition(" VALUES ")
    if not sep or not values.startswith("(") or not values.endswith(")"):
        raise ValueError("only a one-row INSERT ... VALUES (...) takes several rows at once")
    if "%(" not in values:
        return head + sep + ", ".join([values] * rows)
    return head + sep + ", ".join(values.replace("%(", f"%(r{i}_") for i in range(rows))


def _flattened(
    params: Sequence[Sequence[Any] | Mapping[str, Any]],
) -> list[Any] | dict[str, Any]:
    """The rows' values as `_many_values` numbers them."""
    if isinstance(params[0], Mapping):
        return {
            f"r{i}_{name}": value
            for i, row in enumerate(cast("Sequence[Mapping[str, Any]]", params))
            for name, value in row.items()
        }
    return [value for row in params for value in cast("Sequence[Any]", row)]
