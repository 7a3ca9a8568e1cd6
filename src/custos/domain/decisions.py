"""Decisions: per request × person × field, with the reasons that decided them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from custos.domain.programs import FieldRef


class Effect(StrEnum):
    DISCLOSE = "disclose"
    GENERALIZE = "generalize"
    WITHHOLD = "withhold"


class Notify(StrEnum):
    NONE = "none"
    BEFORE = "before"
    AFTER = "after"


class Outcome(StrEnum):
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    DENIED = "denied"
    NEEDS_REVIEW = "needs_review"
    #: A preservation request: records are to be kept; nothing is disclosed.
    PRESERVE = "preserve"


@dataclass(frozen=True, kw_only=True)
class Obligations:
    """What a disclosure binds the agency and the recipient to."""

    notify: Notify = Notify.NONE
    #: Notice may be delayed only on a written statement with an end date.
    notice_delay_requires_statement: bool = False
    retention_days: int | None = None
    no_onward_sharing: bool = True
    #: How a generalized field is coarsened (e.g. "county" for an address).
    generalize_to: str | None = None
    #: Days the person told before disclosure has to challenge, when a rule sets them (the
    #: longest of its rules'); None leaves the pack's or the default window.
    challenge_window_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class FieldDecision:
    """The decision for one field of one person, and why."""

    field: FieldRef
    effect: Effect
    rule_ids: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    obligations: Obligations = dataclasses.field(default_factory=Obligations)
    #: The disclosure is compelled by law (survives an opt-out), not discretionary.
    compelled: bool = False
    #: A rule asks a human to look (e.g. a subpoena must be answered by asserting confidentiality).
    needs_review: bool = False
    #: Short plain-language reasons from the rules, or why nothing permitted it.
    reasons: tuple[str, ...] = ()

    @property
    def discloses(self) -> bool:
        return self.effect is not Effect.WITHHOLD


@dataclass(frozen=True, kw_only=True)
class SubjectDecision:
    """All field decisions for one person (by pseudonym), or for a no-match."""

    subject_ref: str
    fields: tuple[FieldDecision, ...]

    @property
    def discloses(self) -> bool:
        return any(f.discloses for f in self.fields)


def outcome_of(decisions: Iterable[SubjectDecision]) -> Outcome:
    """Fold per-field effects into the request's outcome."""
    total = disclosed = 0
    review = False
    for subject in decisions:
        for f in subject.fields:
            total += 1
            disclosed += f.discloses
            review = review or f.needs_review
    if review:
        return Outcome.NEEDS_REVIEW
    if disclosed == 0:
        return Outcome.DENIED
    if disclosed == total:
        return Outcome.APPROVED
    return Outcome.PARTLY_APPROVED
