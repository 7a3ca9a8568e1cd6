"""The pure oversight core over hand-made ledger entries: periods, outcomes, rules, charts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from custos import oversight
from custos.domain.errors import InvalidInputError
from custos.domain.events import Event, EventTag
from custos.ledger import canonical

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def _frames(events: list[Event]) -> oversight.EventFrames:
    bodies = [canonical(e.body()) for e in events]
    return oversight.decode(oversight.count_chunks([(list(range(len(bodies))), bodies)]))


def _intake(rid: str, *, at: dt.datetime = T0, requester: str = "rq_1", **data: Any) -> Event:
    return Event(
        tag=EventTag.REQUEST_INTAKE_RECEIVE,
        at=at,
        actor=f"requester:{requester}",
        request_id=rid,
        data={
            "requester": requester,
            "requester_kind": "local_law_enforcement",
            "legal_process": "court_order",
            "fields": ["snap/address"],
            "named_subjects": 1,
            "bulk": None,
            "emergency": False,
            **data,
        },
    )


def _event(tag: EventTag, rid: str, at: dt.datetime = T0, **data: Any) -> Event:
    return Event(tag=tag, at=at, actor="system", request_id=rid, data=data)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-H1", dt.date(2026, 1, 1), dt.date(2026, 7, 1)),
        ("2026-H2", dt.date(2026, 7, 1), dt.date(2027, 1, 1)),
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        ("2026", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    ],
)
def test_periods(text: str, start: dt.date, end: dt.date) -> None:
    p = oversight.Period.parse(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-H3", "2026-13", "26-H1", "2026-Q5", ""])
def test_bad_periods_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInputError):
        oversight.Period.parse(text)


def test_outcomes_follow_the_log() -> None:
    events: list[Event] = []
    for i in range(11):
        rid = f"full{i}"
        events += [
            _intake(rid),
            _event(EventTag.REQUEST_DECISION_DISCLOSE, rid, outcome="approved", subjects=1),
            _event(EventTag.REQUEST_STATUS_APPROVE, rid, T0 + dt.timedelta(days=3)),
        ]
    events += [
        _intake("partly"),
        _event(
            EventTag.REQUEST_DECISION_REVIEW,
            "partly",
            outcome="needs_review",
            fields={"snap/address": {"withhold": 1}},
        ),
        _event(EventTag.REQUEST_STATUS_APPROVE, "partly"),
        _intake("gone"),
        _event(EventTag.REQUEST_STATUS_WITHDRAW, "gone"),
        _intake("last-year", at=dt.datetime(2025, 12, 31, 23, tzinfo=dt.UTC)),
    ]
    figures = oversight.compute(
        _frames(events), oversight.Period.parse("2026-H1"), {"snap/address": "contact"}, []
    )
    kinds = figures.tables[0]
    row = kinds.rows.index("local_law_enforcement")
    counts = dict(zip(kinds.columns, kinds.values[row], strict=True))
    assert counts["fully_granted"] == 11
    assert counts["partly_granted"] == 1
    assert counts["withdrawn"] == 1
    assert sum(counts.values()) == 13
    assert figures.median_days_to_decision == 3.0


def test_the_cumulative_rule_counts_people_per_requester_and_week() -> None:
    events = [
        _intake(f"r{i}", at=T0 + dt.timedelta(minutes=10 * i), requester="rq_ice")
        for i in range(120)
    ] + [_intake("bulk", requester="rq_usda", bulk={"programs": ["snap"]}, named_subjects=0)]
    alerts = oversight.evaluate(_frames(events), now=T0 + dt.timedelta(days=1))
    kinds = sorted(a.kind.value for a in alerts)
    assert kinds == ["bulk_request", "cumulative_extraction", "request_rate_spike"]
    cumulative = next(a for a in alerts if a.kind is oversight.AlertKind.CUMULATIVE_EXTRACTION)
    assert cumulative.key == "cumulative_extraction:rq_ice:2026-03-02"
    raised = [
        Event(tag=EventTag.OVERSIGHT_ALERT_RAISE, at=T0, actor="system", data=a.data())
        for a in alerts
    ]
    assert oversight.evaluate(_frames(events + raised), now=T0 + dt.timedelta(days=1)) == []


def test_charts_are_svg_with_a_bar_per_row_and_withheld_bars_marked() -> None:
    data = oversight.protect(
        oversight.CountTable(
            key="k",
            title="Requests <by> kind",
            unit="requests",
            row_header="Kind",
            rows=("a", "b"),
            columns=("x", "y"),
            values=((3, 50), (40, 60)),
        )
    )
    svg = oversight.svg_chart(oversight._report.table_data(data))
    assert svg.startswith("<svg")
    assert "Requests &lt;by&gt; kind" in svg
    assert svg.count('class="bar"') == 2


def test_accounting_entries_that_differ_only_in_their_person_are_counted_together() -> None:
    """Each person's accounting entry names them; a report counts the entries of one class
    as one decoded line with its count, so naming people keeps reports one pass."""
    facts: dict[str, Any] = {
        "release": "rel_1",
        "requester": "rq_ice",
        "requester_kind": "federal_immigration",
        "fields": ["snap/address"],
        "notice_delayed_until": None,
    }
    people = [f"p_{i:032x}" for i in range(50)]
    bodies = [
        canonical(_event(EventTag.RELEASE_ACCOUNTING_ENTRY, "r1", **facts, subject=p).body())
        for p in people
    ] + [canonical(_event(EventTag.RELEASE_ACCOUNTING_ENTRY, "r1", **facts).body())]
    counted = oversight.count_chunks([(list(range(len(bodies))), bodies)])
    assert counted.height == 2
    assert sorted(counted["n"].to_list()) == [1, 50]
    accounting = oversight.decode(counted).accounting
    assert accounting["n"].sum() == 51
    assert set(accounting["data"].struct.field("release").to_list()) == {"rel_1"}
