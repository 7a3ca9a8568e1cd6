"""Property tests: a disclosure's status, worked out from its release's lifecycle events.

The reference here is declarative — which events the log holds, not the order the fold walks
them in — so these tests check `release_status` against what the release service promises: a
destroyed copy stays destroyed, an overdue one stays overdue until destroyed, a recall
outranks a receipt, and nothing but events moves a copy on.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.domain.events import RELEASE_LIFECYCLE_TAGS, EventTag
from custos.rights import DisclosureStatus, release_status, status_from_events

S = DisclosureStatus
RECEIPT = EventTag.RELEASE_RECEIPT_ACKNOWLEDGE.value
EXPIRE = EventTag.RELEASE_RETENTION_EXPIRE.value
OVERDUE = EventTag.RELEASE_RETENTION_OVERDUE.value
DESTROYED = EventTag.RELEASE_DESTRUCTION_ATTEST.value
RECALL = EventTag.RELEASE_RECALL_ISSUE.value

events = st.lists(st.sampled_from([t.value for t in RELEASE_LIFECYCLE_TAGS]), max_size=12)
DAY0 = dt.date(2026, 1, 1)
days = st.integers(min_value=0, max_value=2000).map(lambda n: DAY0 + dt.timedelta(days=n))


def reference(tags: list[str]) -> DisclosureStatus:
    """What the log's events say, by which of them it holds."""
    held = set(tags)
    if DESTROYED in held:
        return S.DESTROYED
    if OVERDUE in held:
        return S.OVERDUE
    if RECALL in held:
        return S.RECALLED
    if RECEIPT in held:
        return S.DELIVERED
    return S.RELEASED


@given(events)
def test_the_status_is_what_the_events_held_say(tags: list[str]) -> None:
    assert release_status(tags) == reference(tags)


@given(events, events)
def test_a_destroyed_copy_stays_destroyed_and_an_overdue_one_overdue(
    before: list[str], after: list[str]
) -> None:
    assert release_status([*before, DESTROYED, *after]) == S.DESTROYED
    rest = [t for t in after if t != DESTROYED]
    if DESTROYED not in before:
        assert release_status([*before, OVERDUE, *rest]) == S.OVERDUE


@given(events)
def test_leaving_out_a_status_changing_event_changes_the_status_or_it_was_outranked(
    tags: list[str],
) -> None:
    """Why the file must prove *every* event: dropping the one event that decides the
    status changes what is shown (a hidden recall reads as delivered)."""
    decided = release_status(tags)
    for i, tag in enumerate(tags):
        dropped = release_status(tags[:i] + tags[i + 1 :])
        if tags.count(tag) == 1 and reference([tag]) == decided and tag != EXPIRE:
            assert dropped != decided


@given(events, st.sampled_from([None, *range(-5, 5)]), days)
def test_past_retention_a_copy_not_destroyed_or_recalled_is_overdue(
    tags: list[str], offset: int | None, today: dt.date
) -> None:
    until = None if offset is None else today + dt.timedelta(days=offset)
    shown = status_from_events(tags, until, today)
    own = release_status(tags)
    if own in {S.DESTROYED, S.RECALLED} or until is None or until >= today:
        assert shown == own
    else:
        assert shown == S.OVERDUE


@given(events, st.sampled_from(["release:accounting:entry", "release:download:record", "x"]))
def test_only_lifecycle_events_may_decide_a_status(tags: list[str], stranger: str) -> None:
    with pytest.raises(ValueError, match="not a release lifecycle event"):
        release_status([*tags, stranger])
