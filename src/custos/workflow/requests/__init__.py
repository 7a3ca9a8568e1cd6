"""The life of a disclosure request: intake, decision, review, approval, denial, withdrawal.

Each public function is one unit of work. Every status change goes through
`custos.domain.lifecycle.check_transition` and records its ledger event inside the same
transaction, so a change and its entry commit together or not at all.

Neither confirm nor deny: an identifier that matches nobody is decided exactly like a person
whom no rule lets us disclose, and everything a requester sees of a request — its status, its
wording, its HTTP status — is the same in both cases.

The modules, by what they hold:

- `state`: loading a request, its checked transitions, the legal process it rests on, and the
  release steps `custos.workflow.releases` moves it through.
- `intake`: `submit`, checking a request against the store before anything is kept.
- `decision`: matching subjects, the Cedar decision per class of equal facts, storing it, and
  deciding again (a corrected classification, an opt-out).
- `review`: classification, the two approvals, denial, withdrawal, lapse, holds.
- `reading`: what a requester is told, what staff review, the queue and a request's events.
- `asked`: the requester's own request as they gave it (the portal's request page).
- `window`: the challenge window a release waits out (who is told before disclosure, whether
  their letters are sent, the first day the release may be built).
- `listing`: the staff console's queue: tabs, search, filters, sort, pages and due dates.
"""

from __future__ import annotations

from custos.workflow.requests.asked import RequestAsAsked, asked_by_requester
from custos.workflow.requests.decision import redecide_for_person
from custos.workflow.requests.intake import submit, submit_with_token
from custos.workflow.requests.listing import (
    QUEUE_TABS,
    Due,
    QueuePage,
    QueueQuery,
    QueueRow,
    search_queue,
)
from custos.workflow.requests.reading import (
    MAX_SUBJECT_ROWS,
    OUTWARD_MESSAGES,
    ApprovalView,
    DecisionClassView,
    FieldDecisionView,
    QueueItem,
    RequesterRequestView,
    StaffRequestView,
    SubjectView,
    events_for,
    get_for_requester,
    get_for_staff,
    list_for_requester,
    outward_status,
    queue,
)
from custos.workflow.requests.review import (
    approve,
    classify,
    deny,
    hold,
    lapse_expired,
    lapse_expired_as,
    lapse_if_expired,
    resume,
    withdraw,
)
from custos.workflow.requests.state import (
    RELEASE_STEPS,
    REQUIRED_APPROVALS,
    advance_release,
    effective_process,
    load_for_release,
)
from custos.workflow.requests.window import (
    check_release_window,
    letter_sent_on,
    notice_delayed,
    noticed_window_days,
    person_window_open,
    release_window_of,
)

__all__ = [
    "MAX_SUBJECT_ROWS",
    "OUTWARD_MESSAGES",
    "QUEUE_TABS",
    "RELEASE_STEPS",
    "REQUIRED_APPROVALS",
    "ApprovalView",
    "DecisionClassView",
    "Due",
    "FieldDecisionView",
    "QueueItem",
    "QueuePage",
    "QueueQuery",
    "QueueRow",
    "RequestAsAsked",
    "RequesterRequestView",
    "StaffRequestView",
    "SubjectView",
    "advance_release",
    "approve",
    "asked_by_requester",
    "check_release_window",
    "classify",
    "deny",
    "effective_process",
    "events_for",
    "get_for_requester",
    "get_for_staff",
    "hold",
    "lapse_expired",
    "lapse_expired_as",
    "lapse_if_expired",
    "letter_sent_on",
    "list_for_requester",
    "load_for_release",
    "notice_delayed",
    "noticed_window_days",
    "outward_status",
    "person_window_open",
    "queue",
    "redecide_for_person",
    "release_window_of",
    "resume",
    "search_queue",
    "submit",
    "submit_with_token",
    "withdraw",
]
