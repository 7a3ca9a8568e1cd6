"""`Prepared` reads on the driver's own cursor (issue 18) give exactly what SQLAlchemy's
execution of the same statement gives, on SQLite and on PostgreSQL: the same rows, the same
Python types, what the unit of work added but did not flush yet, and SQLAlchemy's errors.
`PreparedInsert` writes exactly what a Core insert of the same values writes, defaults
included."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    LargeBinary,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from custos.store.base import UTCDateTime
from custos.store.core import MANY_VALUES_ROWS, Prepared, PreparedInsert, _many_values, run
from custos.workflow.context import Context


class _Base(DeclarativeBase):
    pass


class Probe(_Base):
    """A table of every kind of column the request path reads."""

    __tablename__ = "prepared_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(String(200))
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flag: Mapped[bool] = mapped_column(Boolean)
    listed: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)


class Defaulted(_Base):
    """Columns with scalar defaults, as the request path's tables have."""

    __tablename__ = "prepared_defaulted"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    flag: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=7)
    note: Mapped[str | None] = mapped_column(String(20), nullable=True)


_PROBE_COLUMNS = ("id", "text", "number", "flag", "listed", "at", "blob")
_PROBE_TABLE = cast("Table", Probe.__table__)
_INSERT_PROBE = PreparedInsert(_PROBE_TABLE, _PROBE_COLUMNS)
_INSERT_DEFAULTED = PreparedInsert(
    cast("Table", Defaulted.__table__), ("id", "flag", "version", "note")
)

_ROW = select(Probe.text, Probe.number, Probe.flag, Probe.listed, Probe.at, Probe.blob).where(
    Probe.id == bindparam("id")
)
_PREPARED_ROW = Prepared(_ROW)
_ids = itertools.count(1)

_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60)
# Hypothesis bounds aware datetimes by naive ones, read in the given time zone.
_times = st.datetimes(
    min_value=dt.datetime(1970, 1, 2),  # noqa: DTZ001
    max_value=dt.datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
_values = st.tuples(
    _text,
    st.none() | st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
    st.lists(_text, max_size=4),
    st.none() | _times,
    st.binary(max_size=40),
)


@pytest.fixture
def probe(ctx: Context) -> Context:
    _Base.metadata.create_all(ctx.engine)
    return ctx


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=_values)
def test_a_prepared_read_gives_what_sqlalchemy_gives(
    probe: Context,
    values: tuple[str, int | None, bool, list[str], dt.datetime | None, bytes],
) -> None:
    text, number, flag, listed, at, blob = values
    row_id = next(_ids)
    with probe.transaction() as s:
        s.add(
            Probe(id=row_id, text=text, number=number, flag=flag, listed=listed, at=at, blob=blob)
        )
    with probe.reading() as s:
        through_sqlalchemy = [tuple(row) for row in run(s, _ROW, {"id": row_id})]
        prepared = _PREPARED_ROW.all(s, {"id": row_id})
    assert prepared == through_sqlalchemy
    assert [type(v) for v in prepared[0]] == [type(v) for v in through_sqlalchemy[0]]
    assert prepared[0][:5] == (text, number, flag, listed, at)
    assert bytes(prepared[0][5]) == blob


def test_a_prepared_read_sees_what_its_unit_of_work_has_not_flushed(probe: Context) -> None:
    row_id = next(_ids)
    with probe.transaction() as s:
        s.add(Probe(id=row_id, text="pending", number=None, flag=True, listed=[], blob=b""))
        found = _PREPARED_ROW.first(s, {"id": row_id})
        s.rollback()
    assert found is not None
    assert found[0] == "pending"
    with probe.reading() as s:
        assert _PREPARED_ROW.first(s, {"id": row_id}) is None


def test_a_prepared_read_of_nothing_is_none(probe: Context) -> None:
    with probe.reading() as s:
        assert _PREPARED_ROW.first(s, {"id": -1}) is None
        assert _PREPARED_ROW.all(s, {"id": -1}) == []


def test_a_statement_whose_sql_depends_on_its_values_is_refused(probe: Context) -> None:
    expanding = Prepared(select(Probe.id).where(Probe.id.in_(bindparam("ids", expanding=True))))
    with probe.reading() as s, pytest.raises(ValueError, match="expanding"):
        expanding.all(s, {"ids": [1, 2]})


def test_a_driver_error_is_raised_as_sqlalchemys(probe: Context) -> None:
    missing = Prepared(select(Probe.id).where(Probe.id == bindparam("id")))

    def drop_then_read() -> None:
        # The error rolls the transaction back, the DROP with it (a read would refuse it).
        with probe.transaction() as s:
            s.connection().exec_driver_sql("DROP TABLE prepared_probe")
            missing.all(s, {"id": 1})

    with pytest.raises(DBAPIError, match="prepared_probe"):
        drop_then_read()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_values, min_size=1, max_size=3))
def test_a_prepared_insert_writes_what_a_core_insert_writes(
    probe: Context,
    rows: list[tuple[str, int | None, bool, list[str], dt.datetime | None, bytes]],
) -> None:
    ours = [dict(zip(_PROBE_COLUMNS, (next(_ids), *values), strict=True)) for values in rows]
    core = [{**row, "id": next(_ids)} for row in ours]
    with probe.transaction() as s:
        _INSERT_PROBE.run(s, ours)
        run(s, insert(_PROBE_TABLE), core)
    with probe.reading() as s:
        for mine, theirs in zip(ours, core, strict=True):
            assert (
                run(s, _ROW, {"id": mine["id"]}).all() == run(s, _ROW, {"id": theirs["id"]}).all()
            )
            [written] = _PREPARED_ROW.all(s, {"id": mine["id"]})
            assert written[:5] == tuple(mine[k] for k in _PROBE_COLUMNS[1:6])


def test_a_prepared_insert_fills_defaults_for_values_left_out_or_none(probe: Context) -> None:
    first, second, third = next(_ids), next(_ids), next(_ids)
    with probe.transaction() as s:
        _INSERT_DEFAULTED.run(
            s,
            [
                {"id": first},
                {"id": second, "flag": None, "version": None, "note": None},
                {"id": third, "flag": False, "version": 1, "note": "set"},
            ],
        )
    with probe.reading() as s:
        rows = s.execute(
            select(Defaulted.id, Defaulted.flag, Defaulted.version, Defaulted.note).order_by(
                Defaulted.id
            )
        ).all()
    assert [tuple(r) for r in rows][-3:] == [
        (first, True, 7, None),
        (second, True, 7, None),
        (third, False, 1, "set"),
    ]


def test_a_prepared_insert_of_nothing_writes_nothing(probe: Context) -> None:
    count = select(func.count()).select_from(Defaulted)
    with probe.transaction() as s:
        before = s.scalar(count)
        _INSERT_DEFAULTED.run(s, [])
        assert s.scalar(count) == before


def test_a_prepared_insert_that_breaks_a_constraint_is_sqlalchemys_error_and_keeps_nothing(
    probe: Context,
) -> None:
    row_id = next(_ids)
    with pytest.raises(IntegrityError), probe.transaction() as s:
        _INSERT_DEFAULTED.run(s, [{"id": row_id}, {"id": row_id}])
    with probe.reading() as s:
        assert s.execute(select(Defaulted.id).where(Defaulted.id == row_id)).all() == []


@pytest.mark.parametrize("count", [2, MANY_VALUES_ROWS, MANY_VALUES_ROWS + 1])
def test_a_prepared_insert_of_many_rows_writes_every_row_in_order(
    probe: Context, count: int
) -> None:
    """A few rows go as one multi-row statement on PostgreSQL, more as the driver's
    executemany: either way every row lands with its own values."""
    first = next(_ids)
    rows = [{"id": first + i, "version": i, "note": f"row {i}"} for i in range(count)]
    for _ in range(count - 1):
        next(_ids)
    with probe.transaction() as s:
        _INSERT_DEFAULTED.run(s, rows)
    with probe.reading() as s:
        written = s.execute(
            select(Defaulted.id, Defaulted.flag, Defaulted.version, Defaulted.note)
            .where(Defaulted.id >= first, Defaulted.id < first + count)
            .order_by(Defaulted.id)
        ).all()
    assert [tuple(r) for r in written] == [(first + i, True, i, f"row {i}") for i in range(count)]


def test_only_a_one_row_insert_is_made_into_a_multi_row_one() -> None:
    assert _many_values("INSERT INTO x (a, b) VALUES (%s, %s)", 2) == (
        "INSERT INTO x (a, b) VALUES (%s, %s), (%s, %s)"
    )
    with pytest.raises(ValueError, match="one-row INSERT"):
        _many_values("UPDATE x SET a = %s", 2)
