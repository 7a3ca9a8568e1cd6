"""Which letters are due: a disclosure letter once its entry is visible, a pending letter for
decisions noticed before disclosure."""

from __future__ import annotations

import datetime as dt

from custos.rights import (
    AccountingEntry,
    PendingView,
    made_key,
    made_letter,
    noticed_classes,
    notify_before,
    pending_key,
    pending_letter,
)

TODAY = dt.date(2026, 3, 10)


def _entry(*, notify: str = "after", delayed_until: dt.date | None = None) -> AccountingEntry:
    return AccountingEntry(
        index=7,
        disclosed_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC),
        request_id="req_1",
        release_id="rel_1",
        requester_id="rq_1",
        requester_name="Columbia Police Department",
        requester_kind="police",
        fields=("snap/address",),
        generalized=(),
        legal_process="court_order",
        purpose="criminal_investigation",
        rule_ids=("r1",),
        citations=("7 U.S.C. 2020(e)(8)(E)",),
        compelled=True,
        retention_until=dt.date(2031, 3, 1),
        notify=notify,
        notice_delayed_until=delayed_until,
    )


def test_a_visible_entry_to_notify_has_its_letter_due() -> None:
    assert made_letter(_entry(), TODAY) == {
        "disclosed_on": "2026-03-02",
        "requester_name": "Columbia Police Department",
        "fields": ["snap/address"],
        "legal_process": "court_order",
        "purpose": "criminal_investigation",
        "citations": ["7 U.S.C. 2020(e)(8)(E)"],
        "compelled": True,
        "retention_until": "2031-03-01",
    }


def test_no_letter_when_the_pack_does_not_notify() -> None:
    assert made_letter(_entry(notify="none"), TODAY) is None


def test_a_delayed_entry_s_letter_waits_for_the_end_of_the_delay() -> None:
    entry = _entry(delayed_until=dt.date(2026, 4, 1))
    assert made_letter(entry, TODAY) is None
    assert made_letter(entry, dt.date(2026, 4, 1)) is not None


def test_only_disclosures_noticed_before_need_a_pending_letter() -> None:
    assert notify_before("disclose", {"notify": "before"})
    assert notify_before("generalize", {"notify": "before"})
    assert not notify_before("withhold", {"notify": "before"})
    assert not notify_before("disclose", {"notify": "after"})
    assert not notify_before("disclose", None)
    decisions = [
        ("req_1", "c1", "disclose", {"notify": "before"}),
        ("req_1", "c2", "withhold", {"notify": "before"}),
        ("req_2", "c1", "disclose", {}),
        ("req_3", "c1", "generalize", {"notify": "before"}),
    ]
    assert noticed_classes(decisions) == {("req_1", "c1"), ("req_3", "c1")}


def test_a_written_delay_of_notice_replaces_the_letter_before_where_the_rule_allows_it() -> None:
    may_delay = {"notify": "before", "notice_delay_requires_statement": True}
    assert notify_before("disclose", may_delay)
    assert not notify_before("disclose", may_delay, notice_delayed=True)
    # A rule that does not allow a delay still tells the person first.
    assert notify_before("disclose", {"notify": "before"}, notice_delayed=True)
    decisions = [
        ("req_1", "c1", "disclose", may_delay),
        ("req_2", "c1", "disclose", may_delay),
    ]
    assert noticed_classes(decisions, {"req_2"}) == {("req_1", "c1")}


def test_each_letter_has_one_source_key() -> None:
    assert made_key(7) == "entry:7"
    assert pending_key("req_1", "per_1") == "pending:req_1:per_1"


def test_a_pending_letter_says_how_long_the_person_has_to_challenge() -> None:
    pending = PendingView(
        request_id="req_1",
        requester_name="ICE Kansas City",
        fields=("snap/address", "snap/benefit"),
        purpose="immigration_enforcement",
        legal_process="administrative_subpoena",
        received_on=dt.date(2026, 3, 2),
        challenge_by=dt.date(2026, 3, 16),
        status="pending",
    )
    assert pending_letter(pending) == {
        "requester_name": "ICE Kansas City",
        "fields": ["snap/address", "snap/benefit"],
        "purpose": "immigration_enforcement",
        "legal_process": "administrative_subpoena",
        "challenge_by": "2026-03-16",
    }
