"""Ledger events: what happened, tagged from one enum, encoded canonically.

An event's body is RFC 8785 canonical JSON, so its bytes — and therefore its Merkle leaf hash —
are the same in any language that re-encodes it. Events never carry plaintext personal data:
people appear only as keyed pseudonyms (see `custos.domain.pseudonyms`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
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
    REQUEST_STATUS_REOPEN = "request:status:reopen"
    # parties and accounts
    REQUESTER_ACCOUNT_REGISTER = "requester:account:register"
    REQUESTER_TOKEN_ISSUE = "requester:token:issue"  # noqa: S105  # nosec B105  (a tag)
    REQUESTER_TOKEN_REVOKE = "requester:token:revoke"  # noqa: S105  # nosec B105  (a tag)
    REQUESTER_OFFICER_REGISTER = "requester:officer:register"
    REQUESTER_OFFICER_SUSPEND = "requester:officer:suspend"
    REQUESTER_OFFICER_REINSTATE = "requester:officer:reinstate"
    REQUESTER_OFFICER_TOTP_RESET = "requester:officer:totp_reset"
    REQUESTER_SIGNIN_LOCKOUT = "requester:signin:lockout"
    AGREEMENT_RECORD_REGISTER = "agreement:record:register"
    STAFF_ACCOUNT_CREATE = "staff:account:create"
    STAFF_SIGNIN_LOCKOUT = "staff:signin:lockout"
    STAFF_TOTP_ENROL = "staff:totp:enrol"
    STAFF_TOTP_RESET = "staff:totp:reset"
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
    # the log itself
    #: The accounting map's root over every accounting entry before this one (see
    #: docs/accounting-map.md), appended just before a checkpoint is signed.
    LEDGER_MAP_COMMIT = "ledger:map:commit"

    @property
    def source(self) -> str:
        return self.value.split(":", 1)[0]


#: The key, inside an entry's `data`, naming the person the entry is about (their keyed
#: pseudonym). The ledger writes it for every entry appended with a subject; a person's
#: accounting file and the per-person map read it. A contract with other implementations:
#: keep the name.
SUBJECT_KEY = "subject"

#: The events that move a release's copy on after it was built: received, past retention,
#: overdue, attested destroyed, recalled. Each names its release inside its hashed data
#: (`RELEASE_KEY`). A person's accounting file carries them and the status shown is worked
#: out from them (`custos.rights.status_from_events`); the log commits them per release in the
#: release map (docs/accounting-map.md). A contract with other implementations.
RELEASE_LIFECYCLE_TAGS: tuple[EventTag, ...] = (
    EventTag.RELEASE_RECEIPT_ACKNOWLEDGE,
    EventTag.RELEASE_RETENTION_EXPIRE,
    EventTag.RELEASE_RETENTION_OVERDUE,
    EventTag.RELEASE_DESTRUCTION_ATTEST,
    EventTag.RELEASE_RECALL_ISSUE,
)
#: The key, inside a release event's `data`, naming its release.
RELEASE_KEY = "release"

#: RFC 8785 numbers are IEEE doubles: integers beyond this are not exact.
_MAX_SAFE_INT = 2**53 - 1


def _plain(value: Any) -> bool:  # noqa: PLR0911 - one return per JSON type reads best
    """True when the encoder below writes exactly RFC 8785's bytes for `value`.

    That holds for objects with ASCII keys (RFC 8785 §3.2.3 sorts keys by UTF-16 code units,
    which for ASCII is Python's order), strings (§3.2.2.2 escapes the same characters the
    same way), booleans, null, and integers small enough to be exact doubles. Floats are left
    to `rfc8785`: orjson does not write ECMAScript's number forms (`1.0` for `1`, `-0.0`, `1e+20`).
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_MAX_SAFE_INT <= value <= _MAX_SAFE_INT)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return False
            if type(item) is str or item is None:
                continue
            if not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) is str or _plain(item) for item in value)
    return isinstance(value, str)


#: orjson writes exactly RFC 8785's bytes for plain values (see `_plain`): compact, keys
#: sorted, strings escaped as §3.2.2.2 says (the two-character escapes for backspace, tab,
#: newline, form feed, return, quote and backslash, other controls as lower-case `\u00xx`,
#: nothing else), UTF-8 out. It is several times faster than the standard library's encoder,
#: which was the largest share of an append's cost. A lone surrogate, or nesting deeper than
#: orjson goes, raises: those bodies go to `rfc8785`, which accepts or rejects them.
_SORTED = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_Unencodable = orjson.JSONEncodeError


def encode_string(value: str) -> str:
    """`value` as an RFC 8785 JSON string literal (what `canonical` writes for it)."""
    return json.encoder.encode_basestring(value)


def canonical(body: dict[str, Any], *, plain: bool | None = None) -> bytes:
    """RFC 8785 canonical JSON of `body`; a fast path for the common plain shapes.

    `plain` says whether `body` is known to be plain (see `_plain`); None checks it here.
    """
    if plain if plain is not None else _plain(body):
        try:
            return _dumps(body, option=_SORTED)
        except _Unencodable:
            pass  # a lone surrogate or deep nesting: let rfc8785 accept or reject it
    return bytes(rfc8785.dumps(body))


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
    #: Whether `data` is plain JSON that the fast encoder writes exactly as RFC 8785 does;
    #: decided once, when the event is made, not each time it is encoded.
    plain: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("event times are timezone-aware (UTC)")
        object.__setattr__(self, "plain", _plain(self.data))

    def body(self) -> dict[str, Any]:
        return {
            "tag": self.tag.value,
            "at": _stamp(self.at),
            "actor": self.actor,
            "request": self.request_id,
            "data": self.data,
        }

    def canonical(self, *, extra: tuple[str, str] | None = None) -> bytes:
        """RFC 8785 canonical JSON bytes: the Merkle leaf's entry.

        The envelope (tag, time, actor, request) is always plain, so the event is plain
        exactly when its data is (and `extra`, when given, has an ASCII key and a string).

        `extra` = (key, string) encodes the event as if its data also held that key: how the
        ledger adds the person an entry is about without making another event.
        """
        if extra is None:
            data, plain = self.data, self.plain
        else:
            data = {**self.data, extra[0]: extra[1]}
            plain = self.plain and type(extra[1]) is str and extra[0].isascii()
        body = {
            "actor": self.actor,
            "at": _stamp(self.at),
            "data": data,
            "request": self.request_id,
            # the plain attribute `_value_`: `.value` is a slow descriptor
            "tag": self.tag._value_,
        }
        return canonical(body, plain=plain)
