"""Events encode canonically (RFC 8785), so their leaf hashes are reproducible anywhere."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import rfc8785
from hypothesis import assume, given
from hypothesis import strategies as st

from custos.domain.events import SUBJECT_KEY, Event, EventTag, _plain, canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_bytes_do_not_depend_on_key_order(data: dict[str, object]) -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    a = Event(tag=EventTag.REQUEST_INTAKE_RECEIVE, at=at, actor="system", data=data)
    b = Event(
        tag=EventTag.REQUEST_INTAKE_RECEIVE,
        at=at,
        actor="system",
        data=dict(reversed(list(data.items()))),
    )
    assert a.canonical() == b.canonical()
    assert json.loads(a.canonical())["data"] == data


def test_known_encoding() -> None:
    event = Event(
        tag=EventTag.REQUEST_STATUS_DENY,
        at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC),
        actor="staff:stf_1",
        request_id="req_1",
        data={"b": 1, "a": [True, None]},
    )
    assert event.canonical() == (
        b'{"actor":"staff:stf_1","at":"2026-03-02T15:00:00.000000Z","data":{"a":[true,null],"b":1},'
        b'"request":"req_1","tag":"request:status:deny"}'
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Event(tag=EventTag.REQUEST_STATUS_DENY, at=dt.datetime(2026, 1, 1), actor="system")  # noqa: DTZ001


def test_tags_are_source_subject_action() -> None:
    for tag in EventTag:
        parts = tag.value.split(":")
        assert len(parts) == 3
        assert all(parts)


@given(
    st.text(max_size=20),
    st.none() | st.text(max_size=20),
    st.dictionaries(
        st.text(max_size=8),
        json_values | st.floats(allow_nan=False, allow_infinity=False),
        max_size=6,
    ),
    st.sampled_from(list(EventTag)),
)
def test_the_fast_encoding_is_exactly_rfc_8785(
    actor: str, request_id: str | None, data: dict[str, object], tag: EventTag
) -> None:
    at = dt.datetime(2026, 5, 6, 7, 8, 9, 10, tzinfo=dt.UTC)
    event = Event(tag=tag, at=at, actor=actor, request_id=request_id, data=data)
    assert event.canonical() == bytes(rfc8785.dumps(event.body()))


#: Any code point, lone surrogates and controls included: the escapes and the refusals too.
any_text = st.text(st.characters(exclude_categories=()), max_size=12)


@given(
    actor=st.text(max_size=20),
    request_id=st.none() | any_text,
    data=st.dictionaries(any_text, json_values | any_text, max_size=6),
    tag=st.sampled_from(list(EventTag)),
    key=st.sampled_from([SUBJECT_KEY]) | any_text,
    value=any_text,
)
def test_an_entry_with_an_added_key_is_exactly_rfc_8785(
    *,
    actor: str,
    request_id: str | None,
    data: dict[str, object],
    tag: EventTag,
    key: str,
    value: str,
) -> None:
    """The ledger adds a person's pseudonym to an entry's data while encoding it: the bytes
    are RFC 8785's for the event with that key, or refused as RFC 8785 refuses them."""
    at = dt.datetime(2026, 5, 6, 7, 8, 9, 10, tzinfo=dt.UTC)
    event = Event(tag=tag, at=at, actor=actor, request_id=request_id, data=data)
    body = event.body()
    body["data"] = {**data, key: value}
    try:
        expected = bytes(rfc8785.dumps(body))
    except ValueError as refused:  # a lone surrogate (rfc8785 raises one of two errors)
        with pytest.raises(type(refused)):
            event.canonical(extra=(key, value))
        return
    assert event.canonical(extra=(key, value)) == expected
    assert json.loads(expected)["data"][key] == value


@given(
    st.dictionaries(
        st.text(st.characters(max_codepoint=127), max_size=8), json_values | any_text, max_size=6
    )
)
def test_the_fast_encoder_is_the_standard_librarys_canonical_json(data: dict[str, object]) -> None:
    """For the plain shapes, canonical bytes are what the standard library writes with sorted
    keys, no spaces and UTF-8 text (the fast path's definition before orjson), wherever the
    standard library can write UTF-8 at all."""
    assume(_plain(data))
    try:
        reference = json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it, and no canonical form
        with pytest.raises(ValueError):  # rfc8785's refusal
            canonical(data, plain=True)
        return
    assert canonical(data, plain=True) == reference
