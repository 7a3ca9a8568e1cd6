"""The request state machine: only the listed moves are legal, and every state is reachable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.domain.errors import IllegalTransitionError
from custos.domain.lifecycle import TRANSITIONS, RequestStatus, check_transition

statuses = st.sampled_from(list(RequestStatus))


@given(statuses, statuses)
def test_a_move_is_legal_exactly_when_listed(current: RequestStatus, target: RequestStatus) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransitionError):
            check_transition(current, target)


@given(st.lists(statuses, max_size=12))
def test_any_accepted_path_starts_received_and_never_leaves_a_terminal_state(
    path: list[RequestStatus],
) -> None:
    state = RequestStatus.RECEIVED
    for target in path:
        try:
            check_transition(state, target)
        except IllegalTransitionError:
            continue
        assert not state.terminal
        state = target


def test_every_status_is_reachable_from_received() -> None:
    seen = {RequestStatus.RECEIVED}
    frontier = [RequestStatus.RECEIVED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(RequestStatus)


def test_nothing_is_released_without_approval() -> None:
    into_released = {s for s, nxt in TRANSITIONS.items() if RequestStatus.RELEASED in nxt}
    assert into_released == {RequestStatus.APPROVED}


def test_terminal_states() -> None:
    assert {s for s in RequestStatus if s.terminal} == {
        RequestStatus.DENIED,
        RequestStatus.DESTROYED,
        RequestStatus.WITHDRAWN,
        RequestStatus.LAPSED,
    }
