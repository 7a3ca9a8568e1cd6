"""Delayed notice never means silence: every entry is either shown or counted, and shows up by
itself on the day its delay ends."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from custos.rights import AccountingEntry, parse_entry, split_visible

DAY0 = dt.date(2026, 1, 1)
days = st.integers(min_value=0, max_value=400).map(lambda n: DAY0 + dt.timedelta(days=n))


def _entry(index: int, delayed_until: dt.date | None) -> AccountingEntry:
    return AccountingEntry(
        index=index,
        disclosed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        request_id="req_1",
        release_id="rel_1",
        requester_id="rqr_1",
        requester_name="Agency",
        requester_kind="court",
        fields=("snap/address",),
        generalized=(),
        legal_process="court_order",
        purpose="court_proceeding",
        rule_ids=("r1",),
        citations=("c1",),
        compelled=True,
        retention_until=None,
        notify="after",
        notice_delayed_until=delayed_until,
    )


@given(st.lists(st.none() | days, max_size=40), days)
def test_every_entry_is_shown_or_counted_never_dropped(
    delays: list[dt.date | None], today: dt.date
) -> None:
    entries = [_entry(i, d) for i, d in enumerate(delays)]
    visible, withheld = split_visible(entries, today)
    assert len(visible) + sum(w.count for w in withheld) == len(entries)
    assert all(w.until > today for w in withheld)
    assert [w.until for w in withheld] == sorted({w.until for w in withheld})
    # On the day a delay ends, its entries appear without anyone doing anything.
    for w in withheld:
        later_visible, later_withheld = split_visible(entries, w.until)
        assert w.until not in {x.until for x in later_withheld}
        assert len(later_visible) >= len(visible) + w.count


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
near_entries = st.fixed_dictionaries(
    {"tag": st.just("release:accounting:entry") | st.text(max_size=5)},
    optional={
        "at": st.just("2026-01-01T00:00:00.000000Z") | json_values,
        "request": json_values,
        "data": st.fixed_dictionaries(
            {},
            optional={
                "release": json_values,
                "fields": json_values,
                "citations": json_values,
                "retention_until": json_values,
                "notice_delayed_until": json_values,
            },
        )
        | json_values,
    },
)


@given(st.binary(max_size=200) | near_entries.map(lambda d: json.dumps(d).encode()))
def test_a_malformed_entry_is_an_error_never_a_partial_disclosure(body: bytes) -> None:
    try:
        entry = parse_entry(0, body)
    except ValueError:
        return
    # Whatever parses names the release and lists the fields disclosed, as strings.
    assert entry.release_id
    assert all(isinstance(f, str) for f in entry.fields)
