"""`Prepared` reads on the driver's own cursor (issue 18) give exactly what SQLAlchemy's
execution of the same statement gives, on SQLite and on PostgreSQL: the same rows, the same
Python types, what the unit of work added but did not flush yet, and SQLAlchemy's errors."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from custos.store.base import UTCDateTime
from custos.store.core import Prepared, run
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
