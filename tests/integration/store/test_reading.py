"""`Context.reading()`: read-only sessions that keep nothing they might write, and on
PostgreSQL keep the driver's prepared statements from one request to the next (issue 18)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from custos.store import tables as t
from custos.workflow.context import Context

_AT = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _activation(name: str) -> t.PackActivation:
    return t.PackActivation(
        name=name, version="1", content_hash="0" * 64, activated_by="s_test", activated_at=_AT
    )


def _activations(ctx: Context) -> list[str]:
    with ctx.reading() as s:
        return list(s.scalars(select(t.PackActivation.name).order_by(t.PackActivation.id)))


def _write_in_a_read(ctx: Context) -> None:
    with ctx.reading() as s:
        s.add(_activation("sneaked in"))
        s.flush()


def test_a_read_sees_what_was_committed_and_a_failing_read_loses_nothing(ctx: Context) -> None:
    with ctx.transaction() as s:
        s.add(_activation("kept"))

    def failing_read() -> None:
        with ctx.reading() as s:
            assert s.scalar(select(func.count()).select_from(t.PackActivation)) == 1
            raise RuntimeError("mid-read")

    with pytest.raises(RuntimeError, match="mid-read"):
        failing_read()
    # The connection the failed read used goes back to the pool in a usable state.
    for _ in range(3):
        assert _activations(ctx) == ["kept"]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_server_refuses_a_write_in_a_read(ctx: Context) -> None:
    with pytest.raises(DBAPIError, match="read-only transaction"):
        _write_in_a_read(ctx)
    assert _activations(ctx) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_keeps_nothing_written_in_a_read(ctx: Context) -> None:
    _write_in_a_read(ctx)
    assert _activations(ctx) == []


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_reads_keep_their_prepared_statements_on_postgresql(ctx: Context) -> None:
    """psycopg prepares a statement on its fifth execution on a connection and forgets them
    all on ROLLBACK: reads that ended with one were planned afresh every time."""
    with ctx.transaction() as s:
        s.add(_activation("kept"))
    for _ in range(12):
        assert _activations(ctx) == ["kept"]
    with ctx.reading() as s:
        prepared = s.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM pack_activations" in statement for statement in prepared), prepared
