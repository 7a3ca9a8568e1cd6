"""Ledger events: what happened, tagged from one enum, encoded canonically.

An event's body is RFC 8785 canonical JSON, so its bytes — and therefore its Merkle leaf hash —
are the same in any language that re-encodes it. Events never carry plaintext personal data:
people appear only as keyed pseudonyms (see `custos.domain.pseudonyms`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import rfc8785


class EventTag(StrEnum):
    """Every kind of ledger event, as `source:subject:action`."""

    # requests and their lifecycle
    REQUEST_INTAKE_RECEIVE = "request:intake:receive"
    REQUEST_DECISION_DISCLOSE = "request:decision:disclose"
    REQUEST_DECISION_PARTIAL = "request:decision:partial"
    REQUEST_DECISION_DENY = "request:decision:deny"
    REQUEST_DECISION_REVIEW = "request:decision:review"
    REQUEST_REVIEW_START = "request:review:start"
    REQUEST_CLASSIFICATION_CONFIRM = "request:classification:confirm"
    REQUEST_CLASSIFICATION_CORRECT = "request:classification:correct"
    REQUEST_APPROVAL_GRANT = "request:approval:grant"
    REQUEST_STATUS_APPROVE = "request:status:approve"
    REQUEST_STATUS_DENY = "request:status:deny"
    REQUEST_STATUS_WITHDRAW = "request:status:withdraw"
    REQUEST_STATUS_LAPSE = "request:status:lapse"
    REQUEST_STATUS_HOLD = "request:status:hold"
    REQUEST_STATUS_RESUME = "request:status:resume"
    # parties and accounts
    REQUESTER_ACCOUNT_REGISTER = "requester:account:register"
    REQUESTER_TOKEN_ISSUE = "requester:token:issue"  # noqa: S105  (a tag, not a secret)
    REQUESTER_TOKEN_REVOKE = "requester:token:revoke"  # noqa: S105  (a tag, not a secret)
    AGREEMENT_RECORD_REGISTER = "agreement:record:register"
    STAFF_ACCOUNT_CREATE = "staff:account:create"
    # records and policy
    RECORDS_IMPORT_COMPLETE = "records:import:complete"
    POLICY_PACK_ACTIVATE = "policy:pack:activate"
    # releases (request status moves to released / delivered / … with these)
    RELEASE_PACKAGE_BUILD = "release:package:build"
    #: One per person whose data a release carries: the person's accounting of disclosures.
    RELEASE_ACCOUNTING_ENTRY = "release:accounting:entry"
    RELEASE_DOWNLOAD_RECORD = "release:download:record"
    RELEASE_RECEIPT_ACKNOWLEDGE = "release:receipt:acknowledge"
    RELEASE_RETENTION_EXPIRE = "release:retention:expire"
    RELEASE_RETENTION_OVERDUE = "release:retention:overdue"
    RELEASE_DESTRUCTION_ATTEST = "release:destruction:attest"
    RELEASE_RECALL_ISSUE = "release:recall:issue"
    RELEASE_CORRECTION_ISSUE = "release:correction:issue"
    RELEASE_CIPHERTEXT_PURGE = "release:ciphertext:purge"
    # people's rights
    PERSON_ACCESS_CODE_ISSUE = "person:access_code:issue"
    PERSON_SIGNIN_LOCKOUT = "person:signin:lockout"
    PERSON_REPRESENTATIVE_REGISTER = "person:representative:register"
    PERSON_REPRESENTATIVE_GRANT = "person:representative:grant"
    PERSON_REPRESENTATIVE_REVOKE = "person:representative:revoke"
    PERSON_CHALLENGE_FILE = "person:challenge:file"
    PERSON_CHALLENGE_RESOLVE = "person:challenge:resolve"
    PERSON_OPTOUT_SET = "person:optout:set"
    PERSON_OPTOUT_CLEAR = "person:optout:clear"
    PERSON_NOTICE_GENERATE = "person:notice:generate"
    PERSON_NOTICE_SEND = "person:notice:send"
    CONCERN_REPORT_RECEIVE = "concern:report:receive"
    CONCERN_REPORT_TRIAGE = "concern:report:triage"
    # oversight
    OVERSIGHT_ALERT_RAISE = "oversight:alert:raise"
    OVERSIGHT_REPORT_PUBLISH = "oversight:report:publish"
    OVERSIGHT_AUDIT_READ = "oversight:audit:read"

    @property
    def source(self) -> str:
        return self.value.split(":", 1)[0]


@functools.lru_cache(maxsize=4096)
def _stamp(at: dt.datetime) -> str:
    """RFC 3339 UTC with microseconds and a `Z`. Cached: a batch of events (a release's
    accounting entries) shares one time, and formatting is most of an event's encoding cost."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class Event:
    """One thing that happened. Only the ledger appends events; nothing edits them."""

    tag: EventTag
    at: dt.datetime
    #: Who acted: `staff:<id>`, `requester:<id>`, `person:<pseudonym>`, `system`.
    actor: str
    #: The request this event concerns, if any.
    request_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("event times are timezone-aware (UTC)")

    def body(self) -> dict[str, Any]:
        return {
            "tag": self.tag.value,
            "at": _stamp(self.at),
            "actor": self.actor,
            "request": self.request_id,
            "data": self.data,
        }

    def canonical(self) -> bytes:
        """RFC 8785 canonical JSON bytes: the Merkle leaf's entry."""
        return bytes(rfc8785.dumps(self.body()))
