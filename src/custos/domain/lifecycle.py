"""The state machine of a request, in one place.

Every transition is checked here; workflow services call `check_transition` before they change
a request and write the transition's ledger event in the same transaction.
"""

from __future__ import annotations

from enum import StrEnum

from custos.domain.errors import IllegalTransitionError


class RequestStatus(StrEnum):
    RECEIVED = "received"
    DECIDED = "decided"
    IN_REVIEW = "in_review"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    DENIED = "denied"
    RELEASED = "released"
    DELIVERED = "delivered"
    RETENTION_EXPIRED = "retention_expired"
    DESTROYED = "destroyed"
    OVERDUE = "overdue"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def open_for_requester(self) -> bool:
        """The requester may still withdraw."""
        return self in UNRELEASED


S = RequestStatus

#: Allowed moves: from → the states it may go to. Anything else is illegal.
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.RECEIVED: frozenset({S.DECIDED, S.WITHDRAWN, S.LAPSED}),
    S.DECIDED: frozenset({S.IN_REVIEW, S.WITHDRAWN, S.LAPSED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.DENIED, S.ON_HOLD, S.WITHDRAWN, S.LAPSED}),
    S.ON_HOLD: frozenset({S.IN_REVIEW, S.DENIED, S.WITHDRAWN, S.LAPSED}),
    # back to review when a fact the decision rests on changes (an opt-out) before release
    S.APPROVED: frozenset({S.RELEASED, S.IN_REVIEW, S.ON_HOLD, S.WITHDRAWN, S.LAPSED}),
    S.RELEASED: frozenset({S.DELIVERED, S.RETENTION_EXPIRED, S.DESTROYED}),
    S.DELIVERED: frozenset({S.RETENTION_EXPIRED, S.DESTROYED}),
    S.RETENTION_EXPIRED: frozenset({S.DESTROYED, S.OVERDUE}),
    S.OVERDUE: frozenset({S.DESTROYED}),
    S.DENIED: frozenset(),
    S.DESTROYED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.LAPSED: frozenset(),
}

_TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
#: Not yet released: the request may still be withdrawn, lapse, be held by a challenge, or be
#: decided again; nothing about it has left the agency.
UNRELEASED = frozenset({S.RECEIVED, S.DECIDED, S.IN_REVIEW, S.ON_HOLD, S.APPROVED})


def check_transition(current: RequestStatus, target: RequestStatus) -> None:
    """Raise IllegalTransitionError unless `current → target` is allowed."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransitionError(f"a request cannot go from {current} to {target}")
