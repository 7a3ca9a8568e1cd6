"""A person's accounting of disclosures, built from the ledger's accounting entries.

The pattern is the Privacy Act's accounting (5 U.S.C. 552a(c)): date, nature and purpose of
each disclosure and the recipient, shown to the person. Custos adds the fields, the legal
process, the rule and citation that allowed it, and the recipient's retention deadline.

Delayed notice follows 45 CFR 164.528(a)(2): an entry may be withheld from the person only
for the period a written statement with an end date names. A withheld entry is never silent:
the person is told how many are withheld and until when, and the entry appears by itself once
that date has passed (the date is compared with today on every read, nothing is scheduled).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from custos.domain.events import RELEASE_LIFECYCLE_TAGS, SUBJECT_KEY, EventTag
from custos.rights._challenges import ChallengeView

if TYPE_CHECKING:
    from custos.rights._completeness import Completeness
    from custos.rights._release_status import ReleaseLifecycle


class DisclosureStatus(StrEnum):
    """Where a disclosed copy stands, as the person is told."""

    RELEASED = "released"
    DELIVERED = "delivered"
    DESTROYED = "destroyed"
    OVERDUE = "overdue"
    RECALLED = "recalled"


#: Release statuses (from the release service) that the accounting shows as they are.
_KNOWN = {s.value for s in DisclosureStatus}
_FINAL = {DisclosureStatus.DESTROYED, DisclosureStatus.RECALLED}


@dataclass(frozen=True, kw_only=True)
class AccountingEntry:
    """One disclosure of one person's data, as their accounting shows it."""

    index: int
    disclosed_at: dt.datetime
    request_id: str | None
    release_id: str
    requester_id: str
    requester_name: str
    requester_kind: str
    fields: tuple[str, ...]
    generalized: tuple[str, ...]
    legal_process: str
    purpose: str
    rule_ids: tuple[str, ...]
    citations: tuple[str, ...]
    #: Required by law (survives an opt-out) rather than discretionary.
    compelled: bool
    retention_until: dt.date | None
    notify: str
    notice_delayed_until: dt.date | None
    #: The keyed pseudonym of the person the entry is about, as the hashed entry itself says
    #: (`data.subject`); None only for entries written before entries named their person.
    subject: str | None = None
    #: The entry's exact ledger bytes (what a proof and the accounting file carry).
    body: bytes = b""

    def visible_on(self, today: dt.date) -> bool:
        """Whether the person may see this entry today (a delay ends at its end date)."""
        return self.notice_delayed_until is None or self.notice_delayed_until <= today


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def parse_entry(index: int, body: bytes) -> AccountingEntry:
    """An accounting entry from its canonical ledger body. Raises ValueError if it is not one.

    The body may come from an export anyone can hand us, so every shape is checked: a
    malformed entry is an error, never a partly filled disclosure.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not JSON") from exc
    if not isinstance(doc, dict) or doc.get("tag") != EventTag.RELEASE_ACCOUNTING_ENTRY.value:
        raise ValueError("not an accounting entry")
    data = doc.get("data")
    release = data.get("release") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(release, str) or not release:
        raise ValueError("an accounting entry names its release")
    try:
        return AccountingEntry(
            index=index,
            disclosed_at=dt.datetime.fromisoformat(str(doc["at"])),
            request_id=_text_or_none(doc.get("request")),
            release_id=data["release"],
            requester_id=str(data.get("requester", "")),
            requester_name=str(data.get("requester_name", "")),
            requester_kind=str(data.get("requester_kind", "")),
            fields=_strings(data.get("fields", [])),
            generalized=_strings(data.get("generalized", [])),
            legal_process=str(data.get("legal_process", "")),
            purpose=str(data.get("purpose", "")),
            rule_ids=_strings(data.get("rule_ids", [])),
            citations=_strings(data.get("citations", [])),
            compelled=data.get("compelled", False) is True,
            retention_until=_date(data.get("retention_until")),
            notify=str(data.get("notify", "none")),
            notice_delayed_until=_date(data.get("notice_delayed_until")),
            subject=_text_or_none(data.get(SUBJECT_KEY)),
            body=body,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a malformed accounting entry: {exc}") from exc


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _text_or_none(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def disclosure_status(
    release_status: str | None, retention_until: dt.date | None, today: dt.date
) -> DisclosureStatus:
    """The status shown: the release's own when known; past its deadline and not destroyed
    or recalled, the copy is overdue whatever the release service has recorded yet."""
    status = (
        DisclosureStatus(release_status) if release_status in _KNOWN else DisclosureStatus.RELEASED
    )
    if status not in _FINAL and retention_until is not None and retention_until < today:
        return DisclosureStatus.OVERDUE
    return status


_S = DisclosureStatus
#: What each lifecycle event does to a release's copy: (the statuses it moves on from, the
#: status it moves to). The release service's own steps (`custos.workflow.releases`): a
#: receipt only for a copy still just released; overdue for a copy not yet destroyed or
#: overdue; destroyed from anything; a recall leaves an overdue copy overdue. Past retention
#: (`release:retention:expire`) is always followed by overdue in the same transaction.
_STEPS: dict[str, tuple[frozenset[DisclosureStatus], DisclosureStatus]] = {
    EventTag.RELEASE_RECEIPT_ACKNOWLEDGE.value: (frozenset({_S.RELEASED}), _S.DELIVERED),
    EventTag.RELEASE_RETENTION_OVERDUE.value: (
        frozenset({_S.RELEASED, _S.DELIVERED, _S.RECALLED}),
        _S.OVERDUE,
    ),
    EventTag.RELEASE_DESTRUCTION_ATTEST.value: (
        frozenset(set(_S) - {_S.DESTROYED}),
        _S.DESTROYED,
    ),
    EventTag.RELEASE_RECALL_ISSUE.value: (
        frozenset({_S.RELEASED, _S.DELIVERED, _S.RECALLED}),
        _S.RECALLED,
    ),
}
_LIFECYCLE = {t.value for t in RELEASE_LIFECYCLE_TAGS}


def release_status(tags: Iterable[str]) -> DisclosureStatus:
    """A release's status after its lifecycle events (tags, in log order). Raises ValueError
    for a tag that is not a lifecycle event."""
    status = _S.RELEASED
    for tag in tags:
        if tag not in _LIFECYCLE:
            raise ValueError(f"{tag!r} is not a release lifecycle event")
        step = _STEPS.get(tag)
        if step is not None and status in step[0]:
            status = step[1]
    return status


def status_from_events(
    tags: Iterable[str], retention_until: dt.date | None, today: dt.date
) -> DisclosureStatus:
    """The status a person is shown for a disclosure: from its release's lifecycle events
    alone (and its retention date against `today`). The one rule both the accounting's
    writer and its verifier apply, so what is shown is what the proven events say."""
    return disclosure_status(release_status(tags).value, retention_until, today)


@dataclass(frozen=True, kw_only=True)
class Withheld:
    """`count` entries hidden until `until` under a written non-disclosure requirement."""

    count: int
    until: dt.date


def split_visible(
    entries: list[AccountingEntry], today: dt.date
) -> tuple[list[AccountingEntry], list[Withheld]]:
    """Entries the person sees today, and counts of the withheld ones by end date."""
    visible = [e for e in entries if e.visible_on(today)]
    counts = Counter(
        e.notice_delayed_until
        for e in entries
        if not e.visible_on(today) and e.notice_delayed_until is not None
    )
    return visible, [Withheld(count=n, until=d) for d, n in sorted(counts.items())]


@dataclass(frozen=True, kw_only=True)
class InclusionProof:
    """An RFC 9162 inclusion proof of one entry against the document's checkpoint."""

    index: int
    tree_size: int
    entry: bytes
    inclusion: tuple[bytes, ...]


@dataclass(frozen=True, kw_only=True)
class DisclosureView:
    entry: AccountingEntry
    status: str
    proof: InclusionProof | None


@dataclass(frozen=True, kw_only=True)
class PendingView:
    """A request about the person that the pack says they must hear of before disclosure."""

    request_id: str
    requester_name: str
    fields: tuple[str, ...]
    purpose: str
    legal_process: str
    received_on: dt.date
    challenge_by: dt.date
    status: str


@dataclass(frozen=True, kw_only=True)
class Accounting:
    """Everything the person may know about disclosures of their data, as of `generated_at`."""

    subject_ref: str
    name: str
    generated_at: dt.datetime
    opted_out: bool
    language: str
    disclosures: tuple[DisclosureView, ...]
    withheld: tuple[Withheld, ...]
    pending: tuple[PendingView, ...]
    challenges: tuple[ChallengeView, ...]
    #: The signed checkpoint the proofs are against; None before the first checkpoint.
    checkpoint: str | None
    #: The proof that the list is complete (`_completeness`); None before the first map commit.
    completeness: Completeness | None = None
    #: For each release a disclosure names, its lifecycle events below the same map commit
    #: and its release map proof (`_release_status`): what proves each status.
    releases: tuple[ReleaseLifecycle, ...] = ()


def withheld_message(w: Withheld) -> str:
    """How the person is told of entries withheld under delayed notice."""
    noun = "disclosure is" if w.count == 1 else "disclosures are"
    return f"{w.count} {noun} temporarily withheld until {w.until.isoformat()}"
