"""An entry about a person commits to that person: the pseudonym is inside the hashed entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy.exc
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from custos.domain.events import SUBJECT_KEY, Event, EventTag, encode_string
from custos.ledger import append, hash_leaf
from custos.ledger._log import _insert, _template
from custos.store.tables import LedgerEntry
from custos.workflow.context import Context

AT = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _event(**data: object) -> Event:
    return Event(
        tag=EventTag.RELEASE_ACCOUNTING_ENTRY,
        at=AT,
        actor="staff:s_1",
        request_id="r_1",
        data={"release": "rel_1", "fields": ["person.address"], **data},
    )


def test_each_person_gets_their_own_entry_naming_them(ctx: Context) -> None:
    """One release's people share the facts but not the entry: each names its person, and
    the stored bytes are exactly the canonical event with that subject."""
    shared = _event()
    people = ["p_" + "a" * 32, "p_" + "b" * 32, None]
    with ctx.transaction() as s:
        indices = append(s, [shared, shared, shared], subject_refs=people)
    with ctx.reading() as s:
        rows = s.execute(
            select(LedgerEntry.subject_ref, LedgerEntry.body, LedgerEntry.leaf_hash)
            .where(LedgerEntry.idx.in_(indices))
            .order_by(LedgerEntry.idx)
        ).all()
    for (column, body, leaf), ref in zip(rows, people, strict=True):
        assert column == ref
        expected = shared if ref is None else _event(**{SUBJECT_KEY: ref})
        assert bytes(body) == expected.canonical()
        assert bytes(leaf) == hash_leaf(bytes(body))
        assert json.loads(body)["data"].get(SUBJECT_KEY) == ref
    assert rows[0][1] != rows[1][1]


def test_a_column_that_disagrees_with_the_entry_is_refused(ctx: Context) -> None:
    named = _event(**{SUBJECT_KEY: "p_" + "a" * 32})
    with ctx.transaction() as s, pytest.raises(ValueError, match="disagrees"):
        append(s, [named], subject_refs=["p_" + "b" * 32])
    # An entry that names its subject itself is indexed under it.
    with ctx.transaction() as s:
        [idx] = append(s, [named])
    with ctx.reading() as s:
        assert s.scalar(select(LedgerEntry.subject_ref).where(LedgerEntry.idx == idx)) == (
            "p_" + "a" * 32
        )


@given(
    ref=st.text(min_size=1, max_size=40).filter(lambda r: "\x00custos-subject\x00" not in r),
    data=st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
        st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=20)),
        max_size=6,
    ),
)
def test_the_spliced_entry_is_the_canonical_event(ref: str, data: dict[str, object]) -> None:
    """Whatever the data and the pseudonym, the fast splice writes RFC 8785's bytes."""
    data.pop(SUBJECT_KEY, None)
    event = Event(tag=EventTag.RELEASE_ACCOUNTING_ENTRY, at=AT, actor="system", data=data)
    parts = _template(event)
    assert parts is not None
    before, after = parts
    spliced = before + encode_string(ref).encode() + after
    assert (
        spliced
        == Event(tag=event.tag, at=AT, actor="system", data={**data, SUBJECT_KEY: ref}).canonical()
    )


def test_a_refused_batch_writes_nothing(ctx: Context) -> None:
    """Rows are written as they are made; a bad ref late in a batch is still refused before
    the first row, so a caller that goes on and commits commits none of the batch."""
    with ctx.reading() as s:
        before = s.scalar(select(func.count()).select_from(LedgerEntry))
    with ctx.transaction() as s:  # noqa: SIM117 - the caller catches the refusal, then commits
        with pytest.raises(ValueError, match="non-empty pseudonym"):
            append(s, [_event(), _event(), _event()], subject_refs=["p_" + "a" * 32, None, ""])
    with ctx.reading() as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == before


def test_data_holding_the_placeholder_is_encoded_whole(ctx: Context) -> None:
    """The splice's placeholder is a value no pseudonym takes, but data may hold it: such an
    entry, repeated for many people, is written as its canonical bytes all the same."""
    odd = _event(note="\x00custos-subject\x00")
    people = ["p_" + c * 32 for c in "abc"]
    with ctx.transaction() as s:
        indices = append(s, [odd, odd, odd], subject_refs=people)
    with ctx.reading() as s:
        bodies = s.scalars(
            select(LedgerEntry.body).where(LedgerEntry.idx.in_(indices)).order_by(LedgerEntry.idx)
        ).all()
    assert [bytes(b) for b in bodies] == [
        _event(note="\x00custos-subject\x00", **{SUBJECT_KEY: p}).canonical() for p in people
    ]


def test_a_driver_error_is_raised_as_sqlalchemys(ctx: Context) -> None:
    """The rows go to the driver's own executemany; its errors still reach callers as the
    SQLAlchemy errors they would get from any other statement."""
    with ctx.transaction() as s, pytest.raises(sqlalchemy.exc.DBAPIError):
        _insert(s.connection(), "INSERT INTO no_such_table VALUES (?)", iter([(1,)]))
