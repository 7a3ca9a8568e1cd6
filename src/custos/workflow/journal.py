"""The one way a service records what it did: an event appended to the ledger.

Every service calls `record` (one event) or `record_all` (many, in order) inside the same
transaction as the state change it describes, so the two commit together or not at all
(DESIGN: "no state change without its log entry"). Nothing else in `workflow` calls
`ledger.append`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from custos import ledger
from custos.domain.events import RELEASE_KEY, RELEASE_LIFECYCLE_TAGS, Event, EventTag
from custos.workflow.context import Context


def event(
    ctx: Context, tag: EventTag, actor: str, *, request_id: str | None = None, **data: Any
) -> Event:
    """An event stamped with the context's clock (for `record_all`).

    A release lifecycle event must name its release in its data: the release map commits it
    under that release, and a person's file proves a status from it. One without would stop
    every later map commit, so it is refused here, in the transaction that made it.
    """
    if tag in RELEASE_LIFECYCLE_TAGS:
        named = data.get(RELEASE_KEY)
        if not isinstance(named, str) or not named:
            raise ValueError(f"a {tag.value} event names its release (data.{RELEASE_KEY})")
    return Event(tag=tag, at=ctx.now(), actor=actor, request_id=request_id, data=data)


def record(
    ctx: Context,
    session: Session,
    tag: EventTag,
    actor: str,
    *,
    request_id: str | None = None,
    subject_ref: str | None = None,
    **data: Any,
) -> int:
    """Append one event in the caller's transaction; returns its ledger index.

    `subject_ref` is the keyed pseudonym of the person the event is about, if any: the
    ledger writes it into the hashed entry as `data.subject` and into the lookup column the
    person's accounting finds the entry by.
    """
    made = event(ctx, tag, actor, request_id=request_id, **data)
    return ledger.append(session, [made], subject_refs=[subject_ref])[0]


def record_all(
    session: Session, events: Sequence[Event], *, subject_refs: Sequence[str | None] | None = None
) -> list[int]:
    """Append several events in order (a release's accounting entries); returns their indices."""
    return ledger.append(session, events, subject_refs=subject_refs)
