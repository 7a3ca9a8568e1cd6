"""`custos policy replay`: what another pack would have decided on past requests.

Each stored request is re-decided under the other pack, once per decision class, and compared
with the stored effects; the report counts people and person × field pairs that would have
been disclosed or withheld differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from custos.domain.decisions import Effect
from custos.domain.programs import FieldRef
from custos.policy._engine import DecisionContext, Subject, decide_classes
from custos.policy._pack import Pack


@dataclass(frozen=True, kw_only=True)
class ReplayClass:
    """People of one stored request who share their facts, and what was decided for them."""

    #: Their facts, None (no record matched) or OUTSIDE_SCOPE (the document names none of them).
    facts: Subject
    people: int
    stored: Mapping[FieldRef, Effect]


@dataclass(frozen=True, kw_only=True)
class ReplayItem:
    request_id: str
    context: DecisionContext
    classes: tuple[ReplayClass, ...]


@dataclass(frozen=True, kw_only=True)
class RequestReplay:
    request_id: str
    people: int
    people_changed: int
    newly_disclosed: int
    newly_withheld: int


@dataclass(frozen=True, kw_only=True)
class ReplayReport:
    pack: str
    pack_hash: str
    requests: tuple[RequestReplay, ...]

    @property
    def requests_changed(self) -> int:
        return sum(1 for r in self.requests if r.people_changed)

    @property
    def people(self) -> int:
        return sum(r.people for r in self.requests)

    @property
    def people_changed(self) -> int:
        return sum(r.people_changed for r in self.requests)

    @property
    def newly_disclosed(self) -> int:
        """Person × field pairs withheld before that the other pack would disclose."""
        return sum(r.newly_disclosed for r in self.requests)

    @property
    def newly_withheld(self) -> int:
        """Person × field pairs disclosed before that the other pack would withhold."""
        return sum(r.newly_withheld for r in self.requests)

    def to_text(self) -> str:
        lines = [
            (
                f"Replay under {self.pack} ({self.pack_hash[:12]}): "
                f"{len(self.requests)} request(s), {self.requests_changed} decided differently."
            ),
            (f"People: {self.people}, of whom {self.people_changed} would be treated differently."),
            (
                f"Person × field pairs newly disclosed: {self.newly_disclosed}; "
                f"newly withheld: {self.newly_withheld}."
            ),
        ]
        lines += [
            f"  {r.request_id}: {r.people_changed}/{r.people} people changed, "
            f"+{r.newly_disclosed} disclosed, -{r.newly_withheld} withheld"
            for r in self.requests
            if r.people_changed
        ]
        return "\n".join(lines) + "\n"


def _shared(effect: Effect) -> bool:
    return effect is not Effect.WITHHOLD


def replay(pack: Pack, items: Iterable[ReplayItem]) -> ReplayReport:
    """Re-decide every item under `pack` and count the differences."""
    out: list[RequestReplay] = []
    for item in items:
        table = decide_classes(pack, item.context, [c.facts for c in item.classes])
        people = changed = more = less = 0
        for cls in item.classes:
            people += cls.people
            now = {d.field: d.effect for d in table[cls.facts]}
            cls_more = sum(
                1 for f, e in now.items() if _shared(e) and not _shared(cls.stored.get(f, e))
            )
            cls_less = sum(
                1
                for f, e in now.items()
                if not _shared(e) and _shared(cls.stored.get(f, Effect.WITHHOLD))
            )
            differs = any(cls.stored.get(f) is not e for f, e in now.items())
            changed += cls.people if differs else 0
            more += cls_more * cls.people
            less += cls_less * cls.people
        out.append(
            RequestReplay(
                request_id=item.request_id,
                people=people,
                people_changed=changed,
                newly_disclosed=more,
                newly_withheld=less,
            )
        )
    return ReplayReport(pack=pack.label, pack_hash=pack.content_hash, requests=tuple(out))
