"""Which letters are due to a person, decided from what the services read.

Two letters follow from what a policy pack obliges (the `notify` obligation of a decision):

- `disclosure_made`, once for each accounting entry whose pack obligation is to notify, as
  soon as the person may see the entry (a delayed notice's letter waits for its end date);
- `disclosure_pending`, once for each person named in an unreleased request with a decision
  that must be noticed before disclosure (and is not a withholding), telling them how long
  they have to challenge it.

Each letter has a source key, so a letter is queued once however often the sweep runs.
The services read the rows; these functions decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from custos.rights._accounting import AccountingEntry, PendingView


def notify_before(
    effect: str, obligations: Mapping[str, Any] | None, *, notice_delayed: bool = False
) -> bool:
    """Whether a decision must be noticed to the person before its disclosure. Not when the
    legal process carries a written requirement to delay notice (`notice_delayed`) and the
    rule allows it (`notice_delay_requires_statement`): then the person is told after, once
    the delay ends, and no letter or challenge window comes first."""
    o = obligations or {}
    delayed = notice_delayed and bool(o.get("notice_delay_requires_statement"))
    return effect != "withhold" and o.get("notify") == "before" and not delayed


def noticed_classes(
    decisions: Iterable[tuple[str, str, str, Mapping[str, Any] | None]],
    delayed: Collection[str] = (),
) -> set[tuple[str, str]]:
    """(request id, subject class) pairs whose decisions `(request id, class, effect,
    obligations)` oblige a notice before disclosure; `delayed` names the requests whose legal
    process delays notice."""
    return {
        (request_id, class_key)
        for request_id, class_key, effect, obligations in decisions
        if notify_before(effect, obligations, notice_delayed=request_id in delayed)
    }


def made_key(index: int) -> str:
    """The source key of the `disclosure_made` letter for the ledger entry at `index`."""
    return f"entry:{index}"


def pending_key(request_id: str, person_id: str) -> str:
    """The source key of the `disclosure_pending` letter for one person and request."""
    return f"pending:{request_id}:{person_id}"


def made_letter(entry: AccountingEntry, today: dt.date) -> dict[str, Any] | None:
    """The `disclosure_made` letter's data when the entry's letter is due today, else None."""
    if entry.notify == "none" or not entry.visible_on(today):
        return None
    return {
        "disclosed_on": entry.disclosed_at.date().isoformat(),
        "requester_name": entry.requester_name,
        "fields": list(entry.fields),
        "legal_process": entry.legal_process,
        "purpose": entry.purpose,
        "citations": list(entry.citations),
        "compelled": entry.compelled,
        "retention_until": entry.retention_until.isoformat() if entry.retention_until else None,
    }


def pending_letter(pending: PendingView) -> dict[str, Any]:
    """The `disclosure_pending` letter's data."""
    return {
        "requester_name": pending.requester_name,
        "fields": list(pending.fields),
        "purpose": pending.purpose,
        "legal_process": pending.legal_process,
        "challenge_by": pending.challenge_by.isoformat(),
    }
