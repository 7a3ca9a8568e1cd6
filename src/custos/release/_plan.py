"""What a release may carry, worked out once per decision class from the stored decisions.

People whose policy-relevant facts are equal share a decision class (see
`custos.store.tables.DecisionRow`), so everything a release needs to know about a person —
which fields leave, which are coarsened, under which rules — is computed per class, not per
person. A million-person bulk release then touches the decisions a few dozen times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from custos.domain.decisions import Effect, Notify

_NOTIFY_ORDER = {Notify.NONE: 0, Notify.AFTER: 1, Notify.BEFORE: 2}


@dataclass(frozen=True, kw_only=True)
class StoredDecision:
    """One stored field decision of a class (a `decision_rows` row, as plain values)."""

    class_key: str
    field: str
    effect: Effect
    rule_ids: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    obligations: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    compelled: bool = False


@dataclass(frozen=True, kw_only=True)
class ClassPlan:
    """What leaves for every person of one decision class."""

    class_key: str
    #: field ref → None (disclosed as held) or the generalization applied (e.g. "county").
    treatment: Mapping[str, str | None]
    rule_ids: tuple[str, ...]
    citations: tuple[str, ...]
    #: Every disclosed field is compelled by law (survives an opt-out).
    compelled: bool
    notify: Notify
    #: A rule allows the notice to wait for a written non-disclosure requirement.
    notice_delay_allowed: bool
    retention_days: int | None
    no_onward_sharing: bool

    @property
    def fields(self) -> list[str]:
        return list(self.treatment)

    @property
    def generalized(self) -> list[str]:
        return [f for f, g in self.treatment.items() if g is not None]


@dataclass(frozen=True, kw_only=True)
class ReleasePlan:
    """The columns of a release and, per class that discloses anything, what it discloses.

    Classes absent from `classes` disclose nothing: their people are not in the release.
    """

    fields: tuple[str, ...]
    classes: Mapping[str, ClassPlan]
    retention_days: int
    no_onward_sharing: bool

    def retention_until(self, day: dt.date) -> dt.date:
        return day + dt.timedelta(days=self.retention_days)

    @property
    def generalizations(self) -> dict[str, str]:
        """field ref → generalization, for fields any class sends generalized."""
        return {
            f: g for cls in self.classes.values() for f, g in cls.treatment.items() if g is not None
        }


def _class_plan(key: str, rows: list[StoredDecision]) -> ClassPlan:
    """One class's plan from its disclosing decisions (already in requested-field order)."""
    days = [
        int(d.obligations["retention_days"]) for d in rows if d.obligations.get("retention_days")
    ]
    return ClassPlan(
        class_key=key,
        treatment={
            d.field: (
                str(d.obligations["generalize_to"]) if d.effect is Effect.GENERALIZE else None
            )
            for d in rows
        },
        rule_ids=tuple(sorted({r for d in rows for r in d.rule_ids})),
        citations=tuple(sorted({c for d in rows for c in d.citations})),
        compelled=all(d.compelled for d in rows),
        notify=max(
            (Notify(d.obligations.get("notify", "none")) for d in rows),
            key=_NOTIFY_ORDER.__getitem__,
        ),
        notice_delay_allowed=any(
            bool(d.obligations.get("notice_delay_requires_statement")) for d in rows
        ),
        retention_days=min(days) if days else None,
        no_onward_sharing=any(bool(d.obligations.get("no_onward_sharing", True)) for d in rows),
    )


def plan_release(
    decisions: Iterable[StoredDecision],
    *,
    requested_fields: Iterable[str],
    default_retention_days: int,
) -> ReleasePlan:
    """Fold stored decisions into a release plan.

    Fail closed: a field the request did not ask for is never added, whatever a decision row
    says; a generalize decision without a `generalize_to` is treated as withheld.
    Retention is the shortest period any disclosed field's rule sets (default: the pack's).
    """
    asked = list(dict.fromkeys(requested_fields))
    by_class: dict[str, list[StoredDecision]] = {}
    for d in decisions:
        if d.field in asked and d.effect is not Effect.WITHHOLD:
            if d.effect is Effect.GENERALIZE and not d.obligations.get("generalize_to"):
                continue
            by_class.setdefault(d.class_key, []).append(d)
    classes: dict[str, ClassPlan] = {}
    for key, rows in sorted(by_class.items()):
        rows.sort(key=lambda d: asked.index(d.field))
        classes[key] = _class_plan(key, rows)
    retention = [c.retention_days for c in classes.values() if c.retention_days is not None]
    used = {f for c in classes.values() for f in c.treatment}
    return ReleasePlan(
        fields=tuple(f for f in asked if f in used),
        classes=classes,
        retention_days=min(retention) if retention else default_retention_days,
        no_onward_sharing=any(c.no_onward_sharing for c in classes.values()) or not classes,
    )
